"""make upgrade: every lock re-resolved to the newest versions its inputs allow, what moved shown
package by package, then proven: the images rebuilt and the test suite run on them. The new locks
stay only if the proof passes; otherwise the old ones are put back and the failed tests named.

  1. the lock files (cells' and tools', docker-bake.json's digests) are copied aside;
  2. `python -m python_deps lock --upgrade` resolves them all again, the committed pins ignored;
  3. a table: each package that moved, old -> new, in which images, for which cells;
  4. nothing moved: done. Else the proof (`make test`: build, then the whole suite), and on
     failure the copies go back.

    python -m python_deps upgrade [--lock CMD] [--proof CMD]
        (defaults: python -m python_deps lock --upgrade; make test)
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from pathlib import Path

from python_deps import DEPS_DIR, REPORTS, ROOT
from python_deps.declaration import declaration
from python_deps.lock import TEST_TOOL_SETS

# Who installs a tool lock (python_deps.lock's TOOL_SETS and TEST_TOOL_SETS).
TOOLS_INSTALLED_BY = {
    "tools.txt": "build tools (uv)",
    "build.txt": "PySpark's build backend",
    "sbom.txt": "SBOM tools",
    "s3.txt": "iceberg test image (moto)",
}


def locked_trees(deps: Path) -> list[Path]:
    """Every file a lock run writes: the cells' and the tools' locks, the S3 server's of the
    iceberg test image, and the digests bake labels the images with."""
    return [
        deps / "locks",
        *(tool_set.parent / "locks" for tool_set in TEST_TOOL_SETS),
        ROOT / "docker-bake.json",
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


def print_changes(moved: dict[tuple[str, str, str, str], list[str]]) -> None:
    if not moved:
        print("upgrade: nothing moved: every lock already has the newest versions its inputs allow")
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m python_deps upgrade", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--lock",
        default=f"{sys.executable} -m python_deps lock --upgrade",
        help="the command that re-resolves the locks",
    )
    parser.add_argument(
        "--proof", default="make test", help="the command that must pass for the new locks to stay"
    )
    parser.add_argument(
        "--deps-dir",
        type=Path,
        default=DEPS_DIR,
        help="the locks' folder (default: the Dockerfile's context)",
    )
    args = parser.parse_args(argv)

    trees = locked_trees(args.deps_dir)
    saved = snapshot(trees)
    before = {str(tree): pins(tree) for tree in trees if tree.is_dir()}

    proven = False
    try:
        if subprocess.run(shlex.split(args.lock), cwd=ROOT).returncode != 0:
            sys.exit(
                "upgrade: re-resolving the locks failed (the reason is above);"
                " the locks are as they were"
            )
        moved: dict = {}
        for tree in before:
            moved.update(changes(before[tree], pins(Path(tree))))
        print_changes(moved)
        if moved:
            print(f"upgrade: proving the new locks: {args.proof}", flush=True)
            junit = REPORTS / "junit.xml"
            junit.unlink(missing_ok=True)
            if subprocess.run(shlex.split(args.proof), cwd=ROOT).returncode != 0:
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
                    f"upgrade: `{args.proof}` failed with the new locks{named}. The old locks are"
                    " back: pin what broke in its requirements-*.txt and run make upgrade again"
                )
            print("upgrade: the new locks passed; review and commit them (git diff --stat)")
        proven = True
    finally:
        # Anything short of a passing proof (a failure, an interrupt) puts the old locks back.
        if not proven:
            restore(saved, trees)


if __name__ == "__main__":
    main()
