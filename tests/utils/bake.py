"""Bakes of the tests' own: each online, for the engine's platform, under its own tag where asked,
and with the build cache records it made pruned afterwards, so that no test's build touches the
harness's images or stays on the disk."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from python_deps import ROOT
from python_deps.bake import MAIN_BAKE_FILES, bake_command, build_environment


def build_cache_records(environment: Mapping[str, str]) -> set[str] | None:
    """The IDs of the build cache's records, on the engine the environment names; None where the
    listing fails (a record removed while it was read, by a build beside it)."""
    listed = subprocess.run(
        ["docker", "buildx", "du", "--format", "json"],
        env=environment,
        capture_output=True,
        text=True,
    )
    return (
        {json.loads(line)["ID"] for line in listed.stdout.splitlines() if line.strip()}
        if listed.returncode == 0
        else None
    )


@contextmanager
def own_build_cache_pruned(environment: Mapping[str, str] = os.environ) -> Iterator[None]:
    """Prune, once the block is done, the build cache records it created. A test's own build (a
    clean one above all: gigabytes that no later build matches) would otherwise stay through the
    rest of the suite, where make test's disk peaks; an image it loaded keeps its layers. BuildKit
    prunes no record that another build still uses."""
    before = build_cache_records(environment)
    try:
        yield
    finally:
        after = build_cache_records(environment)
        # Unless both listings were read: pruning all but a list not read would prune the harness's.
        created = after - before if before is not None and after is not None else set()
        if created:
            pattern = f"id~=^({'|'.join(sorted(created))})$"
            subprocess.run(
                ["docker", "buildx", "prune", "--force", "--filter", pattern],
                env=environment,
                capture_output=True,
            )


def run_bake(
    *arguments: str, files: tuple[Path, ...] = tuple(MAIN_BAKE_FILES), **variables: str
) -> subprocess.CompletedProcess:
    """`docker buildx bake` on docker-bake.hcl (or `files`) with these variables, its output
    captured, and the build cache records it made pruned afterwards. Online and for the engine's
    platform, whatever WHEELHOUSE and platforms the suite runs with, unless the variables set
    them."""
    environment = {
        **build_environment(),
        "WHEELHOUSE": "",
        "PLATFORMS": "",
        "PLATFORM_PROFILE": "local",
        # A test's build is its own: the run's flags (a read-only cache) are not for it.
        "BAKE_FLAGS": "",
        **variables,
    }
    with own_build_cache_pruned(environment):
        return subprocess.run(
            bake_command("--progress=plain", *arguments, files=files, environment=environment),
            env=environment,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )


def bake_under_own_tag(
    target: str, *arguments: str, **variables: str
) -> tuple[subprocess.CompletedProcess, str]:
    """run_bake() of one variant of the default cell under a fresh TAG, so that no build of a
    test touches the harness's images and a tag left behind is its own: the result and the
    image it tags."""
    tag = f"test-{uuid.uuid4().hex[:8]}"
    result = run_bake(*arguments, target, **variables, TAG=tag)
    return result, f"{os.environ.get('REGISTRY', '')}spark-k8s-{target}:{tag}"
