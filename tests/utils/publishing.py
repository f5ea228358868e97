"""Test records of tested images, and `python -m python_deps publish` run against them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from python_deps import ROOT
from python_deps.matrix import MACHINES

# The revision test records carry; publish reads the tree's from REVISION.
TEST_REVISION = "test-revision"


def record_tested(folder: Path, images: list[dict], revision: str = TEST_REVISION) -> Path:
    """A record of tested images as a green run writes it (reports/tested.json). An image given
    without SBOMs gets a stand-in for each platform, an empty CycloneDX document: the tests of
    publish's refusals are not about SBOMs."""
    stand_in = folder / "stand-in.cdx.json"
    stand_in.write_text(
        json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": []})
    )
    images = [
        image if "sboms" in image else {**image, "sboms": dict.fromkeys(MACHINES, str(stand_in))}
        for image in images
    ]
    record = folder / "tested.json"
    record.write_text(json.dumps({"revision": revision, "images": images}))
    return record


def publish_command(registry: str, record: Path) -> list[str]:
    """python -m python_deps publish, as make publish runs it, against a test record; run it with
    publish_environment()."""
    return [sys.executable, "-m", "python_deps", "publish", registry, "--tested", str(record)]


def publish_environment(**environment: str) -> dict[str, str]:
    # A stalled push fails the test in minutes rather than holding the run.
    return {**os.environ, "REVISION": TEST_REVISION, "PUBLISH_PUSH_TIMEOUT": "600", **environment}


def publish(registry: str, record: Path, **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        publish_command(registry, record),
        env=publish_environment(**environment),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
