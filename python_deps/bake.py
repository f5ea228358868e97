"""The bake files, and running bake on them with what every build of this project shares: the
labels, the commit's time, the CA bundle and the --allow flags it and a wheelhouse need.

    python-deps bake [-f FILE]... [--set VALUE]... TARGET...    bake so, as the Makefile does
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from python_deps import ROOT, cli
from python_deps.runner import commit_time, revision, source_url

# docker-bake.json holds the lock digests (python -m python_deps lock); bake reads it with
# docker-bake.hcl, as a plain `docker buildx bake` in the root does.
MAIN_BAKE_FILES = [ROOT / "docker-bake.hcl", ROOT / "docker-bake.json"]
# With the test images of tests/docker-bake.hcl, which build on the targets of the main files.
HARNESS_BAKE_FILES = (*MAIN_BAKE_FILES, ROOT / "tests" / "docker-bake.hcl")
# Handed to the builds as CA_BUNDLE where it is not set: a TLS-intercepting proxy's CA is in it.
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
    """The environment for bake: the labels' revision and source, the commit's time as
    SOURCE_DATE_EPOCH, and the host's CA bundle as CA_BUNDLE (a TLS-intercepting proxy's CA),
    each where the environment does not set it; an empty value is kept (CA_BUNDLE= for none)."""
    defaults = {
        "REVISION": revision,
        "SOURCE_URL": source_url,
        "SOURCE_DATE_EPOCH": commit_time,
        "CA_BUNDLE": lambda: HOST_CA_BUNDLE if os.path.exists(HOST_CA_BUNDLE) else "",
    }
    return {
        **{name: decide() for name, decide in defaults.items() if environment.get(name) is None},
        **environment,
    }


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
    """The --allow flags bake needs for the CA bundle of CA_BUNDLE (a secret it reads) and the
    wheelhouse of WHEELHOUSE (a context the builds read, which make wheelhouse writes)."""
    environment = build_environment() if environment is None else environment
    ca_bundle, wheelhouse = environment.get("CA_BUNDLE"), environment.get("WHEELHOUSE")
    return [
        *([f"--allow=fs.read={Path(ca_bundle).resolve().parent}"] if ca_bundle else []),
        *([f"--allow=fs={Path(wheelhouse).resolve()}"] if wheelhouse else []),
    ]


def main(argv: list[str] | None = None) -> int:
    """Bake the targets with build_environment(), its --allow flags and BAKE_FLAGS; bake's own
    exit status."""
    parser = cli.parser("bake", __doc__)
    parser.add_argument("targets", nargs="+", metavar="TARGET", help="Bake targets or groups.")
    parser.add_argument(
        "-f", "--file", action="append", type=Path, help="A bake file (default: the main ones)."
    )
    parser.add_argument("--set", action="append", default=[], help="As bake's --set.")
    parser.add_argument("--progress", help="As bake's --progress.")
    args = parser.parse_args(argv)
    environment = build_environment()
    options = [*(f"--set={value}" for value in args.set)]
    options += [f"--progress={args.progress}"] if args.progress else []
    command = bake_command(
        *options, *args.targets, files=args.file or MAIN_BAKE_FILES, environment=environment
    )
    return subprocess.run(command, env=environment, cwd=ROOT).returncode
