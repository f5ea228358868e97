"""The lock files are current: re-resolving their inputs changes nothing. Each lock folder
records what it was resolved from, so the check re-resolves only the cells an edit touches."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

from python_deps import DEPS_DIR, ROOT


def check_locks(*options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "python_deps", "lock", "--check", *options],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_locks_are_not_stale():
    check = check_locks()
    assert check.returncode == 0, check.stderr


def test_an_edited_spark_line_re_resolves_only_its_cells(tmp_path: Path):
    """An edit to Spark 3.5's constraints makes the check resolve the 3.5 cells again, and only
    them, and fail: their locks were not resolved from this input."""
    deps = tmp_path / "python-deps"
    shutil.copytree(DEPS_DIR, deps)
    with (deps / "spark-lines" / "3.5.txt").open("a") as constraints:
        constraints.write("# an edit\n")
    check = check_locks("--deps-dir", str(deps), "--archs", "amd64")
    resolved = re.findall(r"^python-deps lock: (locks/\S+)$", check.stderr, re.M)
    stale = ["locks/spark-3.5/python-3.10/linux-amd64", "locks/spark-3.5/python-3.11/linux-amd64"]
    assert resolved == stale, check.stderr
    assert check.returncode != 0
    assert (
        check.stderr.strip().splitlines()[-1]
        == f"python-deps lock: error: stale against their inputs: {' '.join(stale)};"
        " run 'make lock' and commit the result"
    )
