"""The base images a bake group builds on, and what making them takes: which hermetic bases
(docker-bake.hcl's hermetic_bases()), for which platforms, from which root filesystems. A group
needs only the bases of its own cells and platforms: one cell for the engine's platform writes
one root filesystem and needs no emulation.

    python-deps bases plan GROUP...     what `make build` makes first, as make words
    python-deps bases check GROUP...    every base the groups build on is here or pullable

Only the standard library and bake: the Makefile runs it with the system's python3, before any
virtual environment exists.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from python_deps import cli
from python_deps.bake import BakeError, bake_group, definition
from python_deps.runner import Refusal, engine_platform

BASES_GROUP = "bases"
EMPTY: Mapping[str, str] = {}


def bake_refusal(error: BakeError) -> str:
    """Bake's own reason: the last ERROR line, without the file position of a validation."""
    lines = [line for line in str(error).splitlines() if line.startswith("ERROR:")]
    reason = (lines or [str(error).splitlines()[-1]])[-1].removeprefix("ERROR: ")
    return reason.split("Validation failed; ", 1)[-1]


def bake_definition(targets: tuple[str, ...], variables: Mapping[str, str] = EMPTY) -> dict:
    try:
        return definition(targets, variables=tuple(sorted(variables.items())))
    except BakeError as error:
        raise Refusal(bake_refusal(error)) from None


@dataclass
class Plan:
    """The hermetic base targets to bake, each for its platforms, and their root filesystems."""

    engine: str
    platforms: dict[str, set[str]] = field(default_factory=dict)  # base target: platforms
    rootfs: set[tuple[str, str]] = field(default_factory=set)  # (path, platform)
    built: set[str] = field(default_factory=set)  # every platform something is built for

    def words(self) -> list[str]:
        """The plan as make reads it: kind:value words."""
        return [
            *(f"base:{name}" for name in sorted(self.platforms)),
            *(
                f"set:{name}.platform={','.join(sorted(platforms))}"
                for name, platforms in sorted(self.platforms.items())
            ),
            *(
                f"{'native' if platform == self.engine else 'foreign'}-rootfs:{path}"
                for path, platform in sorted(self.rootfs)
            ),
            f"engine:{self.engine}",
            *(f"platform:{platform}" for platform in sorted(self.built)),
        ]


def variant_bases(printed: dict) -> dict[str, tuple[str, set[str]]]:
    """{Python: (its base image, the platforms built on it)} of the variant targets printed; the
    base "" where BASE_IMAGES names none, a target's name where it is built in the same bake."""
    bases: dict[str, tuple[str, set[str]]] = {}
    for target in printed["target"].values():
        args = target.get("args", {})
        if "PYTHON_VERSION" not in args or "SPARK_VERSION" not in args:
            continue
        base, platforms = bases.get(args["PYTHON_VERSION"], (args.get("BASE_IMAGE", ""), set()))
        bases[args["PYTHON_VERSION"]] = (base, platforms | set(target.get("platforms", [])))
    return bases


def hermetic_targets(printed: dict) -> dict[str, dict]:
    """{the tag of a hermetic base: its bake target, with its name}, of the targets printed."""
    return {
        tag: {**target, "name": name}
        for name, target in printed["target"].items()
        if "DEBIAN_SUITE" in target.get("args", {})
        for tag in target.get("tags", [])
    }


def add_base(plan: Plan, target: dict, platforms: set[str]) -> None:
    """A hermetic base for these platforms, its virtual environment made on the engine's too."""
    suite = target["args"]["DEBIAN_SUITE"]
    plan.platforms.setdefault(target["name"], set()).update(platforms)
    plan.built.update(platforms | {plan.engine})
    for platform in platforms | {plan.engine}:
        arch = platform.removeprefix("linux/")
        path = PurePosixPath(target["context"]) / f"rootfs-{suite}-{arch}.tar"
        plan.rootfs.add((str(path), platform))


def plan(groups: list[str], base_targets: list[str]) -> Plan:
    """The bases the groups build on, or with base_targets those targets for their platforms."""
    made = Plan(engine_platform())
    if base_targets:
        for name, target in bake_definition(tuple(base_targets))["target"].items():
            add_base(made, {**target, "name": name}, set(target["platforms"]))
        return made
    # The groups with the bases group: one evaluation of the bake file, its slowest step.
    printed = bake_definition((*groups, BASES_GROUP))
    hermetic = hermetic_targets(printed)
    for python, (base, platforms) in sorted(variant_bases(printed).items()):
        if not base:
            raise Refusal(missing_base(python))
        made.built.update(platforms)
        if base in hermetic:
            add_base(made, hermetic[base], platforms)
    return made


def missing_base(python: str) -> str:
    return (
        f"the Python {python} cells have no base image: set BASE_IMAGES={python}=IMAGE, IMAGE"
        f" being an image with Python {python} and pip, e.g. python:{python}-slim-bookworm"
    )


def available(image: str) -> bool:
    """On this engine, or pullable from a registry it reaches."""
    return any(
        subprocess.run(command, capture_output=True).returncode == 0
        for command in (
            ["docker", "image", "inspect", image],
            ["docker", "buildx", "imagetools", "inspect", image],
        )
    )


def check(groups: list[str], variables: Mapping[str, str] = EMPTY) -> None:
    """Every base the groups build on, with these bake variables, is here or pullable: bake's own
    error for a missing one is a registry lookup failure, this one names the fix."""
    printed = bake_definition((*groups, BASES_GROUP), variables)
    hermetic = hermetic_targets(printed)
    for python, (base, _) in sorted(variant_bases(printed).items()):
        built_here = any(
            base in target.get("contexts", {}) for target in printed["target"].values()
        )
        if not base:
            raise Refusal(missing_base(python))
        if built_here or available(base):
            continue
        fix = (
            "build the hermetic bases (make bases)"
            if base in hermetic
            else f"pull it (docker pull {base}, from a registry this engine reaches)"
        )
        raise Refusal(
            f"{base}, the base of the Python {python} cells, is neither on this engine nor"
            f" pullable: {fix}, or set BASE_IMAGES={python}=IMAGE, IMAGE being an image with"
            f" Python {python}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(
        "bases",
        "Say which base images bake groups build on, what making them takes, and whether they"
        " are here.",
    )
    verbs = parser.add_subparsers(dest="verb", required=True)
    planned = verbs.add_parser(
        "plan",
        help="print the hermetic bases, platforms and root filesystems the groups need, as make"
        " words",
    )
    planned.add_argument("groups", nargs="*", help="bake groups or targets (default: BAKE_GROUP)")
    planned.add_argument(
        "--base-targets",
        default="",
        help="plan these base targets, space-separated, for their own platforms instead",
    )
    checked = verbs.add_parser(
        "check", help="fail, naming the fix, unless every base the groups build on is here"
    )
    checked.add_argument("groups", nargs="*", help="bake groups or targets (default: BAKE_GROUP)")
    options = parser.parse_args(argv)
    groups = options.groups or bake_group()
    try:
        if options.verb == "plan":
            print(" ".join(plan(groups, options.base_targets.split()).words()))
        else:
            check(groups)
    except Refusal as refusal:
        cli.fail("bases", str(refusal), status=2)
    return 0
