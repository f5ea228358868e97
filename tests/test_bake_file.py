"""The bake file: one Dockerfile, one stage per variant, stacked on base-deps."""

import json
import os
import re
import subprocess
from pathlib import Path

from conftest import MAIN_BAKE_FILES, ROOT, STAGES, bake_definition

VARIANT_TARGETS = {"python-deps": "base-deps", "python-deps-gpu": "gpu", "python-deps-iceberg": "iceberg"}


def test_variant_targets_build_the_stages_of_one_dockerfile():
    targets = bake_definition()["target"]
    assert {name: targets[name]["target"] for name in VARIANT_TARGETS} == VARIANT_TARGETS
    sources = {(targets[name]["context"], targets[name]["dockerfile"]) for name in VARIANT_TARGETS}
    assert len(sources) == 1, f"variant targets use several Dockerfiles: {sources}"


def test_stages_stack_as_the_harness_assumes():
    """The parent map that decides which tests run on which image matches the Dockerfile."""
    target = bake_definition()["target"]["python-deps"]
    dockerfile = Path(ROOT, target["context"], target["dockerfile"]).read_text()
    parents = dict((stage, base) for base, stage in re.findall(r"^FROM\s+(\S+)\s+AS\s+(\S+)", dockerfile, re.M))
    assert parents["base-deps"] == "${BASE_IMAGE}"
    children = {name: stage.parent for name, stage in STAGES.items() if stage.parent}
    assert {name: parents[name] for name in children} == children


def print_variant_targets(**variables: str) -> dict:
    """The variant targets as bake resolves them with these variables (and no other cache settings)."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("CACHE_")}
    printed = subprocess.run(
        ["docker", "buildx", "bake", *(f"--file={file}" for file in MAIN_BAKE_FILES), "--print", "all"],
        env={**environment, **variables}, capture_output=True, text=True, check=True,
    )
    return {name: target for name, target in json.loads(printed.stdout)["target"].items() if name in VARIANT_TARGETS}


def test_variants_read_and_write_a_shared_build_cache():
    """CACHE_REGISTRY and CACHE_DIR give every variant its own cache entry, written with all
    intermediate stages (mode=max); unset, no target reads or writes one."""
    targets = print_variant_targets(CACHE_REGISTRY="registry.example/python-deps-cache", CACHE_DIR="/cache")
    for name, target in targets.items():
        assert target["cache-from"] == [
            {"type": "registry", "ref": f"registry.example/python-deps-cache:{name}"},
            {"type": "local", "src": f"/cache/{name}"},
        ]
        assert target["cache-to"] == [
            {"type": "registry", "ref": f"registry.example/python-deps-cache:{name}", "mode": "max"},
            {"type": "local", "dest": f"/cache/{name}", "mode": "max"},
        ]
    assert not any("cache-from" in target or "cache-to" in target for target in print_variant_targets().values())
