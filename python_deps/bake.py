"""The bake files, and running bake on them: as the test harness bakes its images, as the
tests and benchmarks that bake images of their own do, with the flags a CA bundle or a
wheelhouse needs."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from python_deps import ROOT

# docker-bake.json holds the lock digests (python -m python_deps lock); bake reads it with
# docker-bake.hcl, as a plain `docker buildx bake` in the root does.
MAIN_BAKE_FILES = [ROOT / "docker-bake.hcl", ROOT / "docker-bake.json"]
# With the test images of tests/docker-bake.hcl, which build on the targets of the main files.
HARNESS_BAKE_FILES = (*MAIN_BAKE_FILES, ROOT / "tests" / "docker-bake.hcl")
# The host's CA bundle: handed to the builds (a TLS-intercepting proxy's CA) where CA_BUNDLE is
# not set, as the Makefile does.
HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def bake_group() -> list[str]:
    """The targets or groups under test: BAKE_GROUP (space-separated), CI's group by default."""
    return os.environ.get("BAKE_GROUP", "ci").split()


class BakeError(RuntimeError):
    pass


def missing_docker() -> str | None:
    """What is missing to run bake here, in one sentence, or None."""
    if not shutil.which("docker"):
        return (
            "no docker CLI on PATH: run `make build` (scripts/ensure-docker.sh installs the engine"
            " and buildx), or put docker on PATH"
        )
    info = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True
    )
    if info.returncode != 0:
        reason = (info.stderr.strip().splitlines() or ["no answer"])[-1]
        return (
            f"no Docker engine answers ({reason}): start it"
            " (scripts/ensure-docker.sh, which make build runs)"
        )
    if subprocess.run(["docker", "buildx", "version"], capture_output=True).returncode != 0:
        return "docker has no buildx plugin: run scripts/ensure-docker.sh"
    return None


def build_environment(environment: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The environment for bake, with the Makefile's defaults where it sets none: the host's CA
    bundle as CA_BUNDLE where the host has one, and the commit's time as SOURCE_DATE_EPOCH (else
    the images take the build time, and two builds of one commit differ)."""
    defaults = {}
    if environment.get("CA_BUNDLE") is None and os.path.exists(HOST_CA_BUNDLE):
        defaults["CA_BUNDLE"] = HOST_CA_BUNDLE
    if environment.get("SOURCE_DATE_EPOCH") is None:
        commit_time = subprocess.run(
            ["git", "log", "-1", "--format=%ct"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip()
        defaults.update({"SOURCE_DATE_EPOCH": commit_time} if commit_time else {})
    return {**defaults, **environment}


@cache
def definition(
    targets: tuple[str, ...],
    files: tuple[Path, ...] = tuple(MAIN_BAKE_FILES),
    variables: tuple[tuple[str, str], ...] = (),
) -> dict:
    """`docker buildx bake --print` of these targets, on these bake files, with these variables
    ((name, value) pairs) set."""
    printed = subprocess.run(
        bake_command("--print", *targets, files=files),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**build_environment(), **dict(variables)},
    )
    if printed.returncode != 0:
        raise BakeError(
            f"`docker buildx bake --print {' '.join(targets)}` failed: {printed.stderr.strip()}"
        )
    return json.loads(printed.stdout)


def bake_command(
    *arguments: str,
    files: tuple[Path, ...] | list[Path] = tuple(MAIN_BAKE_FILES),
    environment: Mapping[str, str] | None = None,
) -> list[str]:
    """`docker buildx bake` on these bake files, with the --allow flags the environment's CA
    bundle and wheelhouse need (bake_entitlements) and its BAKE_FLAGS (the Makefile's, e.g.
    --set=*.cache-to= for a reader of CACHE_REGISTRY), then the arguments."""
    flags = (os.environ if environment is None else environment).get("BAKE_FLAGS", "")
    return [
        "docker",
        "buildx",
        "bake",
        *(f"--file={file}" for file in files),
        *bake_entitlements(environment),
        *shlex.split(flags),
        *arguments,
    ]


def bake_entitlements(environment: Mapping[str, str] | None = None) -> list[str]:
    """The --allow flags bake needs to read the CA bundle of CA_BUNDLE (a secret) and the
    wheelhouse of WHEELHOUSE (a context), where the environment sets them."""
    environment = build_environment() if environment is None else environment
    ca_bundle, wheelhouse = environment.get("CA_BUNDLE"), environment.get("WHEELHOUSE")
    return [
        *([f"--allow=fs.read={Path(ca_bundle).resolve().parent}"] if ca_bundle else []),
        *([f"--allow=fs.read={Path(wheelhouse).resolve()}"] if wheelhouse else []),
    ]


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
