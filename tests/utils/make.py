"""make as the tests run it: as inside the suite's own `make test` (CHECKOUT_LOCK set, so that the
makes of parallel tests never refuse each other), without the suite's make variables."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

INHERITED = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "DISK_WATCH_PHASE_FILE", "DISK_WATCH_RUNNING_DIR")
# Bake variables a make passes on: the suite's own would choose the test's images.
BAKE_VARIABLES = ("CELL", "BAKE_GROUP", "PLATFORMS", "PLATFORM_PROFILE", "BASE_IMAGES")


def run_make(
    folder: Path, *arguments: str, timeout: int = 120, **variables: str
) -> tuple[subprocess.CompletedProcess, float]:
    """make ARGUMENTS in folder with these environment variables, and how long it took."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in INHERITED and key not in BAKE_VARIABLES
    }
    started = time.monotonic()
    made = subprocess.run(
        ["make", "--no-print-directory", *arguments],
        cwd=folder,
        env={**environment, "CHECKOUT_LOCK": str(folder / ".make.lock"), **variables},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return made, time.monotonic() - started
