"""make upgrade (python -m python_deps upgrade): what moved, shown per package; new locks that fail
their proof are taken back, and the failed tests named; locks that pass stay. On a scratch copy of
the lock folder, with stand-ins for the lock run and the proof; upgrading one package resolves
for real (uv against PyPI, no Docker)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

from python_deps import DEPS_DIR, ROOT

UPGRADE = [sys.executable, "-m", "python_deps", "upgrade"]
FOLDER = "locks/spark-4.3/python-3.13/linux-amd64"


def upgrade(deps: Path, proof: str) -> subprocess.CompletedProcess:
    """upgrade on the copy deps, whose 'lock run' moves pyarrow in base.txt and adds a package."""
    base = deps / FOLDER / "base.txt"
    lock = (
        f"sh -c 'sed -i s/^pyarrow==[0-9.]*/pyarrow==1.0.0/ {base}"
        f" && echo fresh-package==2.0 >> {deps / FOLDER / 'iceberg.txt'}'"
    )
    return subprocess.run(
        [*UPGRADE, "--lock", lock, "--proof", proof, "--deps-dir", str(deps)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def scratch_deps(tmp_path: Path) -> Path:
    deps = tmp_path / "python-deps"
    shutil.copytree(DEPS_DIR / "locks", deps / "locks")
    return deps


def test_a_failed_proof_puts_the_old_locks_back_and_names_the_failures(tmp_path):
    deps = scratch_deps(tmp_path)
    before = (deps / FOLDER / "base.txt").read_text()
    result = upgrade(deps, "false")
    assert result.returncode == 1
    assert (
        "pyarrow" in result.stdout
        and "-> 1.0.0" in result.stdout
        and "python-deps, python-deps-gpu, python-deps-iceberg" in result.stdout
    )
    assert "fresh-package  - -> 2.0" in result.stdout
    assert (
        "`false` failed with the new locks" in result.stderr
        and "The old locks are back" in result.stderr
    )
    assert (deps / FOLDER / "base.txt").read_text() == before
    assert "fresh-package" not in (deps / FOLDER / "iceberg.txt").read_text()


def test_a_passing_proof_keeps_the_new_locks(tmp_path):
    deps = scratch_deps(tmp_path)
    result = upgrade(deps, "true")
    assert result.returncode == 0, result.stderr
    assert "upgrade: the new locks passed" in result.stdout
    assert "pyarrow==1.0.0" in (deps / FOLDER / "base.txt").read_text()


def test_nothing_moved_says_so_and_proves_nothing(tmp_path):
    deps = scratch_deps(tmp_path)
    result = subprocess.run(
        [*UPGRADE, "--lock", "true", "--proof", "false", "--deps-dir", str(deps)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0
    assert "nothing moved" in result.stdout


# upgrade --package on two lock folders (one cell, both architectures), resolved for real (uv and
# PyPI, no Docker): pytz, pure Python with no requirements, is put back to an old pin first so
# that it moves.
CELL = "spark-4.3-python-3.13"
CELL_FOLDERS = [
    "locks/spark-4.3/python-3.13/linux-amd64",
    "locks/spark-4.3/python-3.13/linux-arm64",
]
MOVED, OLD = "pytz", "2024.1"


def entries(lock: str) -> list[str]:
    """A lock's entries: each pin with its hashes and its "via" lines."""
    return re.split(r"\n(?=\S)", lock)


def without(lock: str, package: str) -> str:
    return "\n".join(entry for entry in entries(lock) if not entry.startswith(f"{package}=="))


def test_upgrading_one_package_moves_it_alone(tmp_path):
    deps = tmp_path / "python-deps"
    shutil.copytree(DEPS_DIR, deps)
    committed = {
        lock: lock.read_text() for folder in CELL_FOLDERS for lock in (deps / folder).glob("*.txt")
    }
    holding = [lock for lock, text in committed.items() if f"\n{MOVED}==" in text]
    assert holding, f"no lock of {CELL} pins {MOVED}: pick another package"
    for lock in holding:
        lock.write_text(re.sub(rf"^{MOVED}==\S+", f"{MOVED}=={OLD}", committed[lock], flags=re.M))

    result = subprocess.run(
        [
            *UPGRADE,
            "--package",
            MOVED,
            "--cells",
            CELL,
            "--jobs",
            "2",
            "--proof",
            "true",
            "--deps-dir",
            str(deps),
            "--digests-file",
            str(tmp_path / "docker-bake.json"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(rf"^{MOVED} +{OLD} -> ", result.stdout, re.M), result.stdout
    assert "python-deps upgrade: the new locks passed" in result.stdout, result.stdout
    assert re.findall(r"^python-deps lock: (locks/\S+)$", result.stderr, re.M) == CELL_FOLDERS

    versions = set()
    for lock, before in committed.items():
        after = lock.read_text()
        assert without(after, MOVED) == without(before, MOVED), f"{lock}: another pin moved"
        if lock in holding:
            versions.update(re.findall(rf"^{MOVED}==(\S+)", after, re.M))
    assert len(versions) == 1 and OLD not in versions, versions
    # The other cells' locks were not resolved, nor written.
    for lock in (deps / "locks").rglob("*"):
        relative = lock.relative_to(deps)
        if lock.is_file() and not any(str(relative).startswith(f) for f in CELL_FOLDERS):
            assert lock.read_bytes() == (DEPS_DIR / relative).read_bytes(), relative


def test_a_package_no_lock_pins_is_refused_in_one_line(tmp_path):
    deps = scratch_deps(tmp_path)
    result = subprocess.run(
        [*UPGRADE, "--package", "no-such-package", "--proof", "false", "--deps-dir", str(deps)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "python-deps upgrade: error: no lock pins no-such-package: name a package of the locks\n"
    )
