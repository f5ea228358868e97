"""The bake file: one Dockerfile, one stage per variant, stacked on base-deps."""

import re
from pathlib import Path

from conftest import ROOT, STAGES, bake_definition

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
