"""The lock files are current: re-resolving their inputs changes nothing."""

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def test_locks_are_not_stale():
    uv = Path(sys.executable).with_name("uv")
    check = subprocess.run(
        [ROOT / "scripts" / "lock.sh", "--check"], env={**os.environ, "UV": str(uv)}, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
