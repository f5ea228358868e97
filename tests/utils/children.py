"""Images built on this layer as its users build theirs: the examples under examples/."""

from __future__ import annotations

import subprocess
import uuid

from python_deps import ROOT
from python_deps.bake import MAIN_BAKE_FILES
from tests.utils.bake import run_bake

EXAMPLE_BAKE_FILES = (*MAIN_BAKE_FILES, ROOT / "examples" / "jupyter" / "docker-bake.hcl")


def bake_child(parent: str, extra_requirements: str) -> tuple[subprocess.CompletedProcess, str]:
    """The example's jupyter target on `parent` under a tag of its own: the bake's result and the
    image it tags."""
    tag = f"test-{uuid.uuid4().hex[:8]}"
    result = run_bake(
        "jupyter",
        files=EXAMPLE_BAKE_FILES,
        PARENT=parent,
        EXTRA_REQUIREMENTS=extra_requirements,
        TAG=tag,
    )
    return result, f"spark-k8s-jupyter:{tag}"
