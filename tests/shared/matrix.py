"""The matrix under test, as the bake file declares it: each variant target of a bake group is
one Dockerfile stage built for one cell (Spark line, Python version), and each has a test image
(tests/docker-bake.hcl) and a base (test-base-pyXY). Tests apply to a stage and to every stage
built on it, as jupyter/docker-stacks does with its parent map.

    python -m tests.shared.matrix [GROUP...]    the targets the harness bakes for these groups
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from python_on_whales import docker

from tests.shared.bake import DEPS_DIR, bake_group, definition

# What platform.machine() says in an image of each platform: its CPU, emulated or not.
MACHINES = {"linux/amd64": "x86_64", "linux/arm64": "aarch64"}


@dataclass(frozen=True)
class Stage:
    parent: str | None
    requirement_set: str  # requirements-<set>.txt, and <set>.txt in each lock folder


# The stages of the Dockerfile and what each adds; tests/test_bake_file.py checks the parents.
STAGES = {
    "base-deps": Stage(None, "base"),
    "gpu": Stage("base-deps", "gpu"),
    "iceberg": Stage("base-deps", "iceberg"),
}


@dataclass(frozen=True)
class Variant:
    target: str  # e.g. python-deps-iceberg-spark43-py313
    stage: str
    spark: str
    python: str
    image: str  # its first tag
    platforms: tuple[str, ...]  # e.g. ("linux/amd64", "linux/arm64")

    @property
    def cell(self) -> str:
        return f"spark-{self.spark}-python-{self.python}"

    @property
    def name(self) -> str:
        """The variant whatever its cell: python-deps, python-deps-gpu or python-deps-iceberg."""
        return re.sub(r"-spark[0-9]+-py[0-9]+$", "", self.target)

    @property
    def test_target(self) -> str:
        """The test image on it: the variant plus Java and the spark user."""
        return f"{self.target}-test"

    @property
    def base_target(self) -> str:
        """The base image of its cell, as the test target that loads it."""
        return base_target_of(self.python)

    @property
    def lineage(self) -> list[str]:
        """The stages this image is made of, base-deps first."""
        stages, stage = [], self.stage
        while stage:
            stages.insert(0, stage)
            stage = STAGES[stage].parent
        return stages

    def requested(self, own_only: bool = False) -> list[str]:
        """Names of the distributions the requirement sets of this image ask for; with own_only,
        those of its own stage alone."""
        stages = [self.stage] if own_only else self.lineage
        return [name for stage in stages for name in requirement_names(STAGES[stage].requirement_set)]

    @property
    def foreign_platforms(self) -> list[str]:
        """The platforms it is built for that the engine runs under emulation."""
        return [platform for platform in self.platforms if platform != f"linux/{engine_arch()}"]

    def lock_folder(self, arch: str | None = None) -> Path:
        """The locks of its cell for an architecture, the engine's by default."""
        return DEPS_DIR / "locks" / f"spark-{self.spark}" / f"python-{self.python}" / f"linux-{arch or engine_arch()}"

    def lock_file(self, arch: str | None = None) -> Path:
        """The lock this image's own stage installs."""
        return self.lock_folder(arch) / f"{STAGES[self.stage].requirement_set}.txt"

    def __str__(self) -> str:
        return self.target


def base_target_of(python: str) -> str:
    return f"test-base-py{python.replace('.', '')}"


def variants(groups: list[str]) -> list[Variant]:
    """The variant targets that these bake groups (or targets) build, in the bake's order."""
    targets = definition(tuple(groups))["target"]
    return [
        Variant(name, target["target"], target["args"]["SPARK_VERSION"], target["args"]["PYTHON_VERSION"], target["tags"][0], tuple(target["platforms"]))
        for name, target in targets.items()
        if target.get("target") in STAGES
    ]


def parent_of(variant: Variant, others: list[Variant]) -> Variant | None:
    """The variant of the same cell whose stage this one's is built on; None for base-deps."""
    parent = STAGES[variant.stage].parent
    return next((other for other in others if other.stage == parent and other.cell == variant.cell), None) if parent else None


# The PostgreSQL server of the tests that need one (tests/docker-bake.hcl).
POSTGRES_TARGET = "test-postgres"


def harness_targets(groups: list[str]) -> list[str]:
    """What the harness bakes: the variants, a test image on each, the base of each cell, and the
    PostgreSQL server."""
    selected = variants(groups)
    return [
        *(variant.target for variant in selected),
        *(variant.test_target for variant in selected),
        *sorted({variant.base_target for variant in selected}),
        POSTGRES_TARGET,
    ]


def requirement_names(requirement_set: str) -> list[str]:
    names = []
    for line in (DEPS_DIR / f"requirements-{requirement_set}.txt").read_text().splitlines():
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line.split("#", 1)[0])
        if match and match.group(1) not in names:
            names.append(match.group(1))
    return names


def lock_pins(lock_file: Path) -> dict[str, str]:
    """{normalized name: version} of a hashed lock file."""
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", lock_file.read_text(), re.M)
    return {normalize(name): version for name, version in pins}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def engine_arch() -> str:
    arch = docker.info().architecture
    return {machine: platform.removeprefix("linux/") for platform, machine in MACHINES.items()}.get(arch, arch)


if __name__ == "__main__":
    print(" ".join(harness_targets(sys.argv[1:] or bake_group())))
