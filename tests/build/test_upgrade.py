"""make upgrade (python -m python_deps upgrade): what moved, shown per package; new locks that fail
their proof are taken back, and the failed tests named; locks that pass stay. On a scratch copy of
the lock folder, with stand-ins for the lock run and the proof."""

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
