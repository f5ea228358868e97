"""make upgrade: every lock re-resolved to the newest versions its inputs allow, or with --package
only the packages named, what moved shown package by package, then proven: the images rebuilt and
the test suite run on them. The new locks stay only if the proof passes; otherwise the old ones
are put back and the failed tests named.

  1. The lock files (the cells' and the tools', docker-bake.json's digests) are copied aside.
  2. `python-deps lock --upgrade` resolves them all again, the committed pins ignored; with
     --package NAME, `python-deps lock --upgrade-package NAME` moves NAME alone in every lock
     that has it, and every other pin stays unless NAME's new version requires otherwise.
     --cells and --jobs go to the lock run (--cells leaves the tools' locks as they are).
  3. A table: each package that moved, old -> new, in which images, for which cells.
  4. Nothing moved: done. Else the proof (`make test`: build, then the whole suite), and on
     failure the copies go back.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from pathlib import Path

from python_deps import DEPS_DIR, REPORTS, ROOT
from python_deps.cli import Parser, cell_list, from_make, nested_environment, parser, positive
from python_deps.cli import prefix as verb_prefix
from python_deps.declaration import declaration
from python_deps.lock import TEST_TOOL_SETS
from python_deps.matrix import normalize

PREFIX = verb_prefix("upgrade")

# Who installs a tool lock (python_deps.lock's TOOL_SETS and TEST_TOOL_SETS).
TOOLS_INSTALLED_BY = {
    "tools.txt": "build tools (uv)",
    "build.txt": "PySpark's build backend",
    "sbom.txt": "SBOM tools",
    "s3.txt": "iceberg test image (moto)",
}


def locked_trees(deps: Path, digests_file: Path = ROOT / "docker-bake.json") -> list[Path]:
    """Every file a lock run writes: the cells' and the tools' locks, the S3 server's of the
    iceberg test image, and the digests bake labels the images with."""
    return [
        deps / "locks",
        *(tool_set.parent / "locks" for tool_set in TEST_TOOL_SETS),
        digests_file,
    ]


def installed_by() -> dict[str, str]:
    """The lock of each image's own layer and the images that install it, and the tool locks; the
    others (the joint resolution, a variant's layers, parts of its lock) install nothing of their
    own."""
    matrix = declaration()
    return {
        **{
            f"{kind.requirements}.txt": ", ".join(
                image for image in matrix.variants if kind in matrix.lineage(image)
            )
            for kind in matrix.variants.values()
        },
        **TOOLS_INSTALLED_BY,
    }


PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.M)


def pins(tree: Path) -> dict[str, dict[str, str]]:
    """{lock file relative to its locks folder: {package: version}} of every lock under tree."""
    installed = installed_by()
    return {
        str(lock.relative_to(tree)): dict(PIN.findall(lock.read_text()))
        for lock in sorted(tree.rglob("*.txt"))
        if lock.name in installed
    }


def changes(
    before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]
) -> dict[tuple[str, str, str, str], list[str]]:
    """{(package, old, new, installed by): [where]} for every pin that moved, appeared (old "-")
    or went (new "-"); where is the lock's folder, e.g. spark-4.3/python-3.13/linux-amd64."""
    moved: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)
    installed = installed_by()
    for lock in sorted(set(before) | set(after)):
        old, new = before.get(lock, {}), after.get(lock, {})
        folder, name = os.path.split(lock)
        for package in sorted(set(old) | set(new)):
            if old.get(package) != new.get(package):
                moved[
                    (package, old.get(package, "-"), new.get(package, "-"), installed[name])
                ].append(folder or "(tools)")
    return moved


def print_changes(
    moved: dict[tuple[str, str, str, str], list[str]], packages: list[str] | None = None
) -> None:
    if not moved:
        print(
            f"{PREFIX} nothing moved: "
            + (
                f"{', '.join(packages)} already at the newest versions the inputs allow"
                if packages
                else "every lock already has the newest versions its inputs allow"
            )
        )
        return
    rows = [("package", "old -> new", "in", "where")] + [
        (package, f"{old} -> {new}", installed_by, ", ".join(sorted(set(where))))
        for (package, old, new, installed_by), where in sorted(moved.items())
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)),
            row[3],
            sep="  ",
        )


def snapshot(trees: list[Path]) -> dict[Path, bytes]:
    """Every file of the lock trees, and its content."""
    files = [
        file
        for path in trees
        for file in ([path] if path.is_file() else path.rglob("*") if path.is_dir() else [])
        if file.is_file()
    ]
    return {file: file.read_bytes() for file in files}


def restore(saved: dict[Path, bytes], trees: list[Path]) -> None:
    """The lock trees as snapshot() saw them: only what differs is written, so a file nothing
    changed is never touched (a bake may be reading it)."""
    for file in set(snapshot(trees)) - set(saved):
        file.unlink()
    for file, content in saved.items():
        if not file.exists() or file.read_bytes() != content:
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_bytes(content)


def failed_tests(junit: Path) -> list[str]:
    if not junit.exists():
        return []
    cases = ElementTree.parse(junit).getroot().iter("testcase")
    return [
        f"{case.get('classname')}::{case.get('name')}"
        for case in cases
        if case.find("failure") is not None or case.find("error") is not None
    ]


def lock_command(args) -> list[str]:
    """The lock run of this upgrade: python-deps lock on the same folder, moving everything or
    only the packages named."""
    moving = (
        [option for name in args.package for option in ("--upgrade-package", name)]
        if args.package
        else ["--upgrade"]
    )
    return [
        sys.executable,
        "-m",
        "python_deps",
        "lock",
        "--deps-dir",
        str(args.deps_dir),
        "--digests-file",
        str(args.digests_file),
        *moving,
        *(["--cells", ",".join(str(cell) for cell in args.cells)] if args.cells else []),
        *(["--jobs", str(args.jobs)] if args.jobs else []),
    ]


def command_line() -> Parser:
    """The verb's options and their help."""
    options = parser("upgrade", __doc__)
    options.add_argument(
        "--package",
        action="append",
        default=from_make("PACKAGES", "").split(),
        metavar="NAME",
        help=(
            "Move only this package, in every lock that has it, the other pins kept; repeat it for"
            " more packages (default: every package of every lock)."
        ),
    )
    options.add_argument(
        "--cells",
        type=cell_list,
        default=from_make("CELLS"),
        metavar="CELL,...",
        help=(
            "Upgrade only these cells' locks, e.g. spark-4.3-python-3.13,spark-3.5-python-3.11"
            " (default: every cell offered and the tools)."
        ),
    )
    options.add_argument(
        "--jobs",
        type=positive,
        default=from_make("JOBS"),
        help="How many lock folders are resolved at once (JOBS; lock's default).",
    )
    options.add_argument(
        "--proof",
        default=from_make("UPGRADE_PROOF", "make --no-print-directory test"),
        help="The command that must pass for the new locks to stay (UPGRADE_PROOF; make test).",
    )
    options.add_argument(
        "--lock",
        metavar="CMD",
        help=(
            "The command that re-resolves the locks, in place of python-deps lock with the options"
            " above (the tests' stand-in)."
        ),
    )
    options.add_argument(
        "--deps-dir",
        type=Path,
        default=DEPS_DIR,
        help="The folder of the requirement sets and locks (default: the Dockerfile's context).",
    )
    options.add_argument(
        "--digests-file",
        type=Path,
        default=ROOT / "docker-bake.json",
        help="Where the lock digests go (default: docker-bake.json).",
    )
    return options


def main(argv: list[str] | None = None) -> None:
    options = command_line()
    args = options.parse_args(argv)

    trees = locked_trees(args.deps_dir, args.digests_file)
    saved = snapshot(trees)
    before = {str(tree): pins(tree) for tree in trees if tree.is_dir()}
    pinned = {
        normalize(name) for tree in before.values() for lock in tree.values() for name in lock
    }
    unknown = [name for name in args.package if normalize(name) not in pinned]
    if unknown:
        options.error(f"no lock pins {', '.join(unknown)}: name a package of the locks")
    lock = shlex.split(args.lock) if args.lock else lock_command(args)

    proven = False
    try:
        if subprocess.run(lock, cwd=ROOT, env=nested_environment()).returncode != 0:
            sys.exit(
                f"{PREFIX} error: re-resolving the locks failed (the reason is above);"
                " the locks are as they were"
            )
        moved: dict = {}
        for tree in before:
            moved.update(changes(before[tree], pins(Path(tree))))
        print_changes(moved, args.package)
        if moved:
            print(f"{PREFIX} proving the new locks: {args.proof}", flush=True)
            junit = REPORTS / "junit.xml"
            junit.unlink(missing_ok=True)
            proof = subprocess.run(shlex.split(args.proof), cwd=ROOT, env=nested_environment())
            if proof.returncode != 0:
                failed = failed_tests(junit)
                named = (
                    (
                        "; failed: "
                        + ", ".join(failed[:20])
                        + (f" and {len(failed) - 20} more" if len(failed) > 20 else "")
                    )
                    if failed
                    else " (no test report: it failed before the tests, see above)"
                )
                sys.exit(
                    f"{PREFIX} error: `{args.proof}` failed with the new locks{named}. The old"
                    " locks are back: pin what broke in its requirements-*.txt and run make"
                    " upgrade again"
                )
            print(f"{PREFIX} the new locks passed; review and commit them (git diff --stat)")
        proven = True
    finally:
        # Anything short of a passing proof (a failure, an interrupt) puts the old locks back.
        if not proven:
            restore(saved, trees)


if __name__ == "__main__":
    main()
