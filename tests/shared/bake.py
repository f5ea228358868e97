"""The bake files, and running bake on them: as the harness bakes its images, as the tests
that bake images of their own do, with the flags a CA bundle or a wheelhouse needs."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Iterator, Mapping

ROOT = Path(__file__).resolve().parents[2]
# docker-bake.json holds the lock digests (scripts/lock.sh); bake reads it with docker-bake.hcl.
MAIN_BAKE_FILES = [ROOT / "docker-bake.hcl", ROOT / "docker-bake.json"]
# The test images of tests/docker-bake.hcl build on the targets of the main files.
BAKE_FILES = [*MAIN_BAKE_FILES, ROOT / "tests" / "docker-bake.hcl"]
DEPS_DIR = ROOT / "docker" / "docker-intermediate" / "python-deps"
# What a green run of the whole suite tested, for scripts/publish.py: the variants' digests.
TESTED_RECORD = ROOT / "reports" / "tested.json"


def bake_group() -> list[str]:
    """The targets or groups under test: BAKE_GROUP (space-separated), CI's group by default."""
    return os.environ.get("BAKE_GROUP", "ci").split()


class BakeError(RuntimeError):
    pass


@cache
def definition(targets: tuple[str, ...]) -> dict:
    """`docker buildx bake --print` of these targets, on every bake file of the harness."""
    printed = subprocess.run(
        ["docker", "buildx", "bake", *(f"--file={file}" for file in BAKE_FILES), "--print", *targets],
        capture_output=True, text=True, cwd=ROOT,
    )
    if printed.returncode != 0:
        raise BakeError(f"`docker buildx bake --print {' '.join(targets)}` failed: {printed.stderr.strip()}")
    return json.loads(printed.stdout)


def bake_entitlements(environment: Mapping[str, str] = os.environ) -> list[str]:
    """The --allow flags bake needs to read the CA bundle of CA_BUNDLE (a secret) and the
    wheelhouse of WHEELHOUSE (a context), where the environment sets them."""
    ca_bundle, wheelhouse = environment.get("CA_BUNDLE"), environment.get("WHEELHOUSE")
    return [
        *([f"--allow=fs.read={Path(ca_bundle).resolve().parent}"] if ca_bundle else []),
        *([f"--allow=fs.read={Path(wheelhouse).resolve()}"] if wheelhouse else []),
    ]


def build_cache_records(environment: Mapping[str, str]) -> set[str] | None:
    """The IDs of the build cache's records, on the engine the environment names; None where the
    listing fails (a record removed while it was read, by a build beside it)."""
    listed = subprocess.run(["docker", "buildx", "du", "--format", "json"], env=environment, capture_output=True, text=True)
    return {json.loads(line)["ID"] for line in listed.stdout.splitlines() if line.strip()} if listed.returncode == 0 else None


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
            subprocess.run(["docker", "buildx", "prune", "--force", "--filter", pattern], env=environment, capture_output=True)


def run_bake(*arguments: str, **variables: str) -> subprocess.CompletedProcess:
    """`docker buildx bake` on docker-bake.hcl with these variables, its output captured, and the
    build cache records it made pruned afterwards. Online and for the engine's platform, whatever
    WHEELHOUSE and platforms the suite runs with, unless the variables set them."""
    environment = {**os.environ, "WHEELHOUSE": "", "PLATFORMS": "", "DEFAULT_CELL_PLATFORMS": "", **variables}
    with own_build_cache_pruned(environment):
        return subprocess.run(
            ["docker", "buildx", "bake", *(f"--file={file}" for file in MAIN_BAKE_FILES), "--progress=plain", *bake_entitlements(environment), *arguments],
            env=environment, capture_output=True, text=True, cwd=ROOT,
        )


def bake_under_own_tag(target: str, *arguments: str, **variables: str) -> tuple[subprocess.CompletedProcess, str]:
    """run_bake() of one variant of the default cell under a fresh TAG, so that no build of a
    test touches the harness's images and a tag left behind is its own: the result and the
    image it tags."""
    tag = f"test-{uuid.uuid4().hex[:8]}"
    result = run_bake(*arguments, target, **variables, TAG=tag)
    return result, f"{os.environ.get('REGISTRY', '')}spark-k8s-{target}:{tag}"
