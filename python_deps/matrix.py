"""The images a bake group builds, as bake evaluates docker-bake.hcl: each variant target is one
Dockerfile stage built for one cell (Spark line, Python version) and its platforms. What a stage
is and what it installs comes from the declaration (python_deps.declaration).

`python-deps matrix [GROUP...]` prints the variant targets of these bake groups or targets (by
default those of BAKE_GROUP, ci unless set).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from python_deps import DEPS_DIR
from python_deps.bake import definition
from python_deps.declaration import Cell, VariantKind, declaration
from python_deps.runner import engine_arch

# What platform.machine() says in an image of each platform, emulated or not: the CPU its wheel
# platform tag names (x86_64-manylinux_2_28).
MACHINES = {
    f"linux/{arch}": tag.split("-", 1)[0] for arch, tag in declaration().architectures.items()
}


@dataclass(frozen=True)
class Variant:
    target: str  # e.g. python-deps-iceberg-spark43-py313
    stage: str
    cell: Cell
    image: str  # its first tag
    platforms: tuple[str, ...]  # e.g. ("linux/amd64", "linux/arm64")

    @property
    def spark(self) -> str:
        return self.cell.spark

    @property
    def python(self) -> str:
        return self.cell.python

    @property
    def kind(self) -> VariantKind:
        return declaration().by_stage(self.stage)

    @property
    def name(self) -> str:
        """The variant whatever its cell: python-deps, python-deps-gpu or python-deps-iceberg."""
        return self.kind.image

    @property
    def test_target(self) -> str:
        """The test image tests/docker-bake.hcl builds on it: the variant plus Java and the spark
        user."""
        return f"{self.target}-test"

    @property
    def base_target(self) -> str:
        """The base image of its cell, as the test target that loads it (tests/docker-bake.hcl)."""
        return base_target_of(self.python)

    @property
    def lineage(self) -> list[str]:
        """The stages this image is made of, base-deps first."""
        return [kind.stage for kind in declaration().lineage(self.name)]

    def requested(self, own_only: bool = False) -> list[str]:
        """Names of the distributions the requirement sets of this image ask for; with own_only,
        those of its own stage alone."""
        kinds = [self.kind] if own_only else declaration().lineage(self.name)
        return [name for kind in kinds for name in requirement_names(kind.requirements)]

    @property
    def foreign_platforms(self) -> list[str]:
        """The platforms it is built for that the engine runs under emulation."""
        return [platform for platform in self.platforms if platform != f"linux/{engine_arch()}"]

    def lock_folder(self, arch: str | None = None) -> Path:
        """The locks of its cell for an architecture, the engine's by default."""
        return lock_folder(self.cell, arch or engine_arch())

    def lock_file(self, arch: str | None = None) -> Path:
        """The lock this image's own stage installs."""
        return self.lock_folder(arch) / f"{self.kind.requirements}.txt"

    def __str__(self) -> str:
        return self.target


def lock_folder(cell: Cell, arch: str, deps: Path = DEPS_DIR) -> Path:
    """A cell's locks for an architecture, under the requirement sets' folder deps (relative
    with Path("."))."""
    return deps / "locks" / f"spark-{cell.spark}" / f"python-{cell.python}" / f"linux-{arch}"


def base_target_of(python: str) -> str:
    return f"test-base-py{python.replace('.', '')}"


def variants(groups: list[str], **variables: str) -> list[Variant]:
    """The variant targets that these bake groups (or targets) build, in the bake's order, with
    these bake variables set (e.g. PYTHON_VERSION)."""
    stages = {kind.stage for kind in declaration().variants.values()}
    targets = definition(tuple(groups), variables=tuple(sorted(variables.items())))["target"]
    return [
        Variant(
            name,
            target["target"],
            Cell(target["args"]["SPARK_VERSION"], target["args"]["PYTHON_VERSION"]),
            target["tags"][0],
            tuple(target["platforms"]),
        )
        for name, target in targets.items()
        if target.get("target") in stages
    ]


def parent_of(variant: Variant, others: list[Variant]) -> Variant | None:
    """The variant of the same cell whose stage this one's is built on; None for the root."""
    parent = variant.kind.parent
    return (
        next(
            (other for other in others if other.name == parent and other.cell == variant.cell), None
        )
        if parent
        else None
    )


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


def main(argv: list[str] | None = None) -> None:
    from python_deps.bake import BakeError, bake_group
    from python_deps.cli import fail, parser

    options = parser("matrix", __doc__)
    options.add_argument(
        "groups",
        nargs="*",
        metavar="GROUP",
        help="A bake group or target (default: BAKE_GROUP, ci unless set).",
    )
    args = options.parse_args(argv)
    try:
        print(" ".join(variant.target for variant in variants(args.groups or bake_group())))
    except BakeError as error:
        # bake's progress, then its reason on the last line
        command, _, output = str(error).partition(" failed: ")
        fail("matrix", f"{command} failed: {(output.strip().splitlines() or ['?'])[-1]}")
