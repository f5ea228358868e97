"""The harness's bake: what the selected tests need (tests/utils/harness.py), baked once for all
workers, as make build bakes (the host's CA bundle), its log in reports/harness-bake.log."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from python_deps import ROOT
from python_deps.bake import bake_command, build_environment
from tests.utils.disk_watch import mark_phase
from tests.utils.harness import BAKE_FILES, NEEDED, harness_targets, selected_variants

LOG_FILE = ROOT / "reports" / "harness-bake.log"


def bake_for(config: pytest.Config) -> Callable[[Path], dict]:
    """bake(folder) for once(): each target's image (and each variant image's tags and index
    digest), or the error."""

    def bake(folder: Path) -> dict:
        targets = config.stash.get(NEEDED, None) or harness_targets(selected_variants())
        metadata_file = folder / "bake-metadata.json"
        LOG_FILE.parent.mkdir(exist_ok=True)
        mark_phase("test images")
        started = time.time()
        with LOG_FILE.open("w") as log:
            baked = subprocess.run(
                # No --load: the targets' own output (type=image) puts them in the engine's store,
                # and a second, docker exporter beside it races it for the same name ("already
                # exists").
                bake_command(
                    "--progress=plain",
                    f"--metadata-file={metadata_file}",
                    *targets,
                    files=BAKE_FILES,
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env=build_environment(),
            )
        if baked.returncode != 0:
            return {"error": bake_failure(targets)}
        if config.getoption("--trim-build-cache"):
            trim_build_cache(since=started)
        mark_phase("tests")
        return baked_images(json.loads(metadata_file.read_text()))

    return bake


def bake_failure(targets: list[str]) -> str:
    """The failed bake's ERROR lines, then the last lines of its log."""
    lines = LOG_FILE.read_text().splitlines()
    errors = [line for line in lines if line.startswith("ERROR")]
    summary = f"docker buildx bake {' '.join(targets)} failed: " + (
        "; ".join(errors) or "see its log"
    )
    return "\n".join([summary, "", f"last lines of the build log ({LOG_FILE}):", *lines[-30:]])


def trim_build_cache(since: float) -> None:
    """Prune the build cache records not used since then: what the bake did not use (the uv
    caches of the installs above all) would stay through the tests, where make test's disk
    peaks."""
    subprocess.run(
        [
            "docker",
            "buildx",
            "prune",
            "--force",
            "--filter",
            f"until={int(time.time() - since) + 1}s",
        ],
        capture_output=True,
    )


def baked_images(metadata: dict) -> dict:
    """From bake's metadata: each target's image name, and each variant image's tags and index
    digest, as a run records them for publishing."""
    return {
        "images": {
            name: data["image.name"].split(",")[0]
            for name, data in metadata.items()
            if "image.name" in data
        },
        "variant_images": [
            {
                "target": variant.target,
                "tags": metadata[variant.target]["image.name"].split(","),
                "digest": metadata[variant.target]["containerimage.digest"],
            }
            for variant in selected_variants()
            if variant.target in metadata
        ],
    }
