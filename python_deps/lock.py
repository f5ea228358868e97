"""Resolve the requirement sets into hashed lock files, one folder per cell of the matrix (Spark
line, Python version) and architecture:

    locks/spark-S/python-V/linux-ARCH/{JOINT,REQUIREMENTS...,LAYERS...}.txt

JOINT (gpu-iceberg.txt) is the joint resolution of every variant's requirement set; each
variant's lock (its `requirements` in docker-bake.hcl's variants()) is resolved under it as a
constraint, so a package has the same version in every variant and a child's stage only adds
packages on top of its parent's. A variant's layers (base-spark, base-dataframes) are the
closures of the packages they name, resolved under its lock, so their pins are its pins. The
Spark line's floors and ceilings (spark-lines/S.txt) constrain every resolution of its cells.
Existing locks are the resolver's preferences: a re-run changes nothing unless an input changed.
With --upgrade-package NAME, only NAME loses its preference and moves to the newest version the
inputs allow; every other pin stays unless NAME's new version requires otherwise.

Each folder records what it was resolved from (resolved-from.sha256): a folder whose inputs and
locks still match it is not resolved again, so a check after a one-line edit re-resolves only the
cells it touches. docker-bake.json gets the digest of the locks each variant installs, per
folder, for the images' labels (bake cannot read files). The tools' locks are resolved too,
unless --cells picks cells.
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from python_deps import DEPS_DIR, ROOT
from python_deps.cli import Parser, cell_list, from_make, parser, positive
from python_deps.cli import prefix as verb_prefix
from python_deps.declaration import Cell, Declaration, declaration
from python_deps.matrix import lock_folder

PREFIX = verb_prefix("lock")

# Tools installed from a lock of their own, the same on every platform: FOLDER/requirements-NAME.txt
# into FOLDER/locks/NAME.txt. uv for the build's tools stage, setuptools for PySpark's build, the
# SBOM tools, and the iceberg test image's S3 server.
TOOL_SETS = ["tools", "build", "sbom"]
TEST_TOOL_SETS = [ROOT / "tests" / "images" / "runtime" / "s3"]


class Unresolvable(Exception):
    pass


def joint_name(matrix: Declaration) -> str:
    """The joint resolution's lock: every child variant's requirements, e.g. gpu-iceberg."""
    return "-".join(kind.requirements for kind in matrix.variants.values() if kind.parent)


def requirement_files(
    matrix: Declaration, image: str | None = None, cell: Cell | None = None
) -> list[str]:
    """The requirement sets resolved into a variant's lock (its lineage's), or into the joint
    one: of the variants a cell offers, or of all of them."""
    kinds = matrix.lineage(image) if image else matrix.variants.values()
    return [
        f"requirements-{kind.requirements}.txt"
        for kind in kinds
        if cell is None or kind.offered_on(cell)
    ]


class Locker:
    def __init__(self, args: argparse.Namespace):
        self.matrix = declaration()
        self.args = args
        self.deps = Path(args.deps_dir).resolve()
        self.uv = str(Path(shutil.which(args.uv) or args.uv).resolve())
        if not Path(self.uv).exists():
            raise SystemExit(
                f"{PREFIX} error: uv not found ({args.uv}); run make venv or pass --uv"
            )
        self.uv_version = subprocess.run(
            [self.uv, "--version"], capture_output=True, text=True, check=True
        ).stdout
        self.scratch = Path(tempfile.mkdtemp())
        self.stale: list[str] = []

    def prepare_scratch(self) -> None:
        """The inputs under stable relative names, so that the locks' "via" annotations name them
        and not a temporary path."""
        for requirements in self.deps.glob("requirements-*.txt"):
            shutil.copy(requirements, self.scratch)
        shutil.copytree(self.deps / "spark-lines", self.scratch / "spark-lines")
        for kind in self.matrix.variants.values():
            for layer in kind.layers:
                (self.scratch / f"{layer.lock}.in").write_text(
                    "".join(f"{package}\n" for package in layer.packages)
                )

    def uv_compile(self, folder: Path, *arguments: str) -> subprocess.CompletedProcess:
        """uv pip compile into a hashed lock, in folder. No interpreter of the target Python is
        needed to resolve: uv must not try to fetch one."""
        upgrades = [
            option for name in self.args.upgrade_package for option in ("--upgrade-package", name)
        ]
        return subprocess.run(
            [
                self.uv,
                "pip",
                "compile",
                "--quiet",
                "--generate-hashes",
                "--no-header",
                *upgrades,
                *arguments,
            ],
            cwd=folder,
            capture_output=True,
            text=True,
            env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
        )

    def compile(
        self, cell: Cell, arch: str, output: str, constraint: str | None, *inputs: str
    ) -> None:
        resolved = self.uv_compile(
            self.scratch,
            "--config-file",
            str(self.deps / "uv.toml"),
            "--python-version",
            cell.python,
            "--python-platform",
            self.matrix.architectures[arch],
            "--constraint",
            f"spark-lines/{cell.spark}.txt",
            *(["--constraint", constraint] if constraint else []),
            "--output-file",
            output,
            *inputs,
        )
        if resolved.returncode != 0:
            raise Unresolvable(
                f"{resolved.stderr.rstrip()}\n{PREFIX} error: {' '.join(inputs)} cannot be"
                f" resolved for {cell} on {arch} (uv's reason is above):"
                " relax the requirement it names, then run make lock again"
            )

    def inputs_digest(self, cell: Cell, arch: str) -> str:
        content = f"{cell.spark} {cell.python} {arch}\n{self.uv_version}".encode()
        # The sets of the variants the cell offers: offering one more re-resolves the folder.
        sets = requirement_files(self.matrix, cell=cell)
        for name in ["uv.toml", *sets, f"spark-lines/{cell.spark}.txt"]:
            content += (self.deps / name).read_bytes()
        return hashlib.sha256(content).hexdigest()

    def record(self, cell: Cell, arch: str, folder: Path) -> str:
        """resolved-from.sha256: what the folder's locks were resolved from, and what they are."""
        locks = b"".join(lock.read_bytes() for lock in sorted(folder.glob("*.txt")))
        return (
            "# Written by python -m python_deps lock: the digest of what these locks were resolved"
            " from (uv,\n"
            f"# uv.toml, the requirement sets, spark-lines/{cell.spark}.txt) and of the locks."
            " make check-lock and make\n"
            "# lock resolve the folder again only when one of them no longer matches.\n"
            f"inputs sha256:{self.inputs_digest(cell, arch)}\n"
            f"locks sha256:{hashlib.sha256(locks).hexdigest()}\n"
        )

    def up_to_date(self, cell: Cell, arch: str) -> bool:
        folder = lock_folder(cell, arch, self.deps)
        recorded = folder / "resolved-from.sha256"
        return recorded.is_file() and recorded.read_text() == self.record(cell, arch, folder)

    def resolve_folder(self, cell: Cell, arch: str) -> None:
        """Resolve one folder of locks; with --check, compare it with the committed one."""
        relative = lock_folder(cell, arch, Path("."))
        scratch, committed = self.scratch / relative, lock_folder(cell, arch, self.deps)
        scratch.mkdir(parents=True)
        offered = [kind for kind in self.matrix.variants.values() if kind.offered_on(cell)]
        names = {joint_name(self.matrix), *(kind.requirements for kind in offered)}
        names |= {layer.lock for kind in offered for layer in kind.layers}
        # The committed locks are the resolver's preferences, unless upgrading; those of a
        # variant the cell no longer offers are not, and go.
        if committed.is_dir() and not self.args.upgrade:
            for name in names & {lock.stem for lock in committed.glob("*.txt")}:
                shutil.copy(committed / f"{name}.txt", scratch)
        joint = f"{relative}/{joint_name(self.matrix)}.txt"
        self.compile(cell, arch, joint, None, *requirement_files(self.matrix, cell=cell))
        for kind in offered:
            self.compile(
                cell,
                arch,
                f"{relative}/{kind.requirements}.txt",
                joint,
                *requirement_files(self.matrix, kind.image),
            )
        for kind in offered:
            for layer in kind.layers:
                self.compile(
                    cell,
                    arch,
                    f"{relative}/{layer.lock}.txt",
                    f"{relative}/{kind.requirements}.txt",
                    f"{layer.lock}.in",
                )
        (scratch / "resolved-from.sha256").write_text(self.record(cell, arch, scratch))
        if self.args.check:
            comparison = filecmp.dircmp(committed, scratch) if committed.is_dir() else None
            if (
                comparison is None
                or comparison.left_only
                or comparison.right_only
                or comparison.diff_files
            ):
                self.stale.append(str(relative))
        else:
            committed.mkdir(parents=True, exist_ok=True)
            for file in scratch.iterdir():
                write_if_changed(file, committed / file.name)
            for lock in committed.glob("*.txt"):
                if not (scratch / lock.name).exists():
                    lock.unlink()

    def lock_cells(self) -> None:
        folders = []
        for cell in self.args.cells or self.matrix.cells():
            if not (self.deps / "spark-lines" / f"{cell.spark}.txt").is_file():
                raise SystemExit(
                    f"{PREFIX} error: Spark {cell.spark} has no spark-lines/{cell.spark}.txt"
                    " beside the requirement sets: write its constraints there"
                )
            for arch in self.args.archs:
                if self.args.full or not self.up_to_date(cell, arch):
                    print(
                        f"{PREFIX} {lock_folder(cell, arch, Path('.'))}",
                        file=sys.stderr,
                        flush=True,
                    )
                    folders.append((cell, arch))
        with ThreadPoolExecutor(max_workers=self.args.jobs) as pool:
            futures = [pool.submit(self.resolve_folder, *folder) for folder in folders]
        failures = [str(future.exception()) for future in futures if future.exception()]
        if failures:
            raise SystemExit("\n".join(failures))
        # In the folders' order, whichever finished first.
        self.stale.sort()

    def lock_tools(self) -> None:
        for tool_set in [*(self.deps / name for name in TOOL_SETS), *TEST_TOOL_SETS]:
            folder, name = tool_set.parent, tool_set.name
            output = self.scratch / "tool-locks" / f"{name}.txt"
            output.parent.mkdir(exist_ok=True)
            committed = folder / "locks" / f"{name}.txt"
            if committed.is_file() and not self.args.upgrade:
                shutil.copy(committed, output)
            compiled = self.uv_compile(
                folder, "--universal", "--output-file", str(output), f"requirements-{name}.txt"
            )
            if compiled.returncode != 0:
                requirements = folder / f"requirements-{name}.txt"
                raise SystemExit(
                    f"{compiled.stderr.rstrip()}\n{PREFIX} error: {requirements} cannot be"
                    " resolved (uv's reason is above)"
                )
            if not self.args.check:
                write_if_changed(output, committed)
            elif not (committed.is_file() and filecmp.cmp(committed, output, shallow=False)):
                self.stale.append(
                    str(
                        committed.relative_to(ROOT) if committed.is_relative_to(ROOT) else committed
                    )
                )

    def lock_digests(self) -> str:
        """docker-bake.json: the variable LOCK_DIGESTS, the digest of the locks each variant
        installs in each folder, in install order. A variable, not a function: bake evaluates it
        once, where a function is evaluated again at every target. Anyone can recompute one:
        cat locks/build.txt locks/FOLDER/{base-spark,base-dataframes,base}.txt | sha256sum"""
        locks = self.deps / "locks"
        stages = {
            kind.stage: self.matrix.locks(kind.image) for kind in self.matrix.variants.values()
        }
        digests = {}
        for folder in sorted(locks.glob("spark-*/python-*/linux-*")):
            for stage, names in sorted(stages.items()):
                if not all((folder / f"{name}.txt").is_file() for name in names):
                    continue  # a variant its cell does not offer
                content = (locks / "build.txt").read_bytes() + b"".join(
                    (folder / f"{name}.txt").read_bytes() for name in names
                )
                digests[f"{folder.relative_to(locks)}/{stage}"] = (
                    "sha256:" + hashlib.sha256(content).hexdigest()
                )
        written = {
            "description": "Written by make lock (python-deps lock), not by hand: the digest of"
            " the locks each variant installs, by lock folder and stage",
            "default": digests,
        }
        return json.dumps({"variable": {"LOCK_DIGESTS": written}}, indent=2) + "\n"

    def run(self) -> None:
        try:
            self.prepare_scratch()
            self.lock_cells()
            if not self.args.cells:
                self.lock_tools()
            digests, digests_file = self.lock_digests(), Path(self.args.digests_file)
            if not self.args.check:
                if not digests_file.is_file() or digests_file.read_text() != digests:
                    digests_file.write_text(digests)
            elif not digests_file.is_file() or digests_file.read_text() != digests:
                self.stale.append(digests_file.name)
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)
        if self.stale:
            raise SystemExit(
                f"{PREFIX} error: stale against their inputs: {' '.join(self.stale)};"
                " run 'make lock' and commit the result"
            )


def write_if_changed(source: Path, target: Path) -> None:
    """Copy source to target unless target already holds its bytes: a lock nothing moved is not
    touched (a bake may be reading it)."""
    if not (target.is_file() and filecmp.cmp(source, target, shallow=False)):
        shutil.copy(source, target)


def default_uv() -> str:
    """The uv installed beside this Python (make venv installs it from the tools lock)."""
    beside = Path(sys.executable).with_name("uv")
    return str(beside) if beside.exists() else "uv"


def command_line(matrix: Declaration) -> Parser:
    """The verb's options and their help."""
    options = parser("lock", __doc__)
    options.add_argument(
        "--check",
        action="store_true",
        help="Resolve into a scratch folder and fail if any lock differs (a stale lock).",
    )
    options.add_argument(
        "--full",
        action="store_true",
        default=bool(from_make("FULL")),
        help="Resolve every folder, even those whose record still matches.",
    )
    moving = options.add_mutually_exclusive_group()
    moving.add_argument(
        "--upgrade",
        action="store_true",
        help=(
            "Resolve every folder to the newest versions the inputs allow, the committed locks"
            " ignored."
        ),
    )
    moving.add_argument(
        "--upgrade-package",
        action="append",
        default=[],
        metavar="NAME",
        help=(
            "Move only the package NAME to the newest version the inputs allow, in every folder"
            " resolved, the other pins kept; repeat it for more packages."
        ),
    )
    options.add_argument(
        "--cells",
        type=cell_list,
        default=from_make("CELLS"),
        metavar="CELL,...",
        help=(
            "Lock only these cells, e.g. spark-4.3-python-3.13,spark-3.5-python-3.11, and not the"
            " tools (default: every cell offered and the tools)."
        ),
    )
    options.add_argument(
        "--archs",
        metavar="ARCH,...",
        help=f"Lock only these architectures (default: all, {','.join(matrix.architectures)}).",
    )
    options.add_argument(
        "--deps-dir",
        default=str(DEPS_DIR),
        help="The folder of the requirement sets and locks (default: the Dockerfile's context).",
    )
    options.add_argument(
        "--digests-file",
        default=str(ROOT / "docker-bake.json"),
        help="Where the lock digests go (default: docker-bake.json).",
    )
    options.add_argument(
        "--jobs",
        type=positive,
        default=from_make("JOBS", "4"),
        help="How many folders are resolved at once (JOBS; 4).",
    )
    options.add_argument(
        "--uv",
        default=os.environ.get("UV") or default_uv(),
        help="The uv to resolve with (default: $UV, else this Python's, else uv on PATH).",
    )
    return options


def main(argv: list[str] | None = None) -> None:
    matrix = declaration()
    options = command_line(matrix)
    args = options.parse_args(argv)
    offered = matrix.cells()
    unknown = [str(cell) for cell in args.cells or [] if cell not in offered]
    if unknown:
        options.error(
            f"no such cell in the matrix: {', '.join(unknown)}"
            f" (cells: {', '.join(map(str, offered))})"
        )
    args.archs = args.archs.split(",") if args.archs else list(matrix.architectures)
    unknown = [arch for arch in args.archs if arch not in matrix.architectures]
    if unknown:
        options.error(
            f"unknown architecture {', '.join(unknown)} (known: {', '.join(matrix.architectures)})"
        )
    # A package to upgrade moves even where the inputs did not change: every folder is resolved.
    args.full = args.full or args.upgrade or bool(args.upgrade_package)
    Locker(args).run()


if __name__ == "__main__":
    main()
