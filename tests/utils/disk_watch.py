"""What the suite tells make test's disk watch (`python-deps disk watch`, python_deps/disk.py), so
that its peak names the phase and the tests that ran then: a pytest plugin, registered by the
root conftest.py, that does nothing outside the watch."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def mark_phase(name: str) -> None:
    """Name make test's phase for its disk and time figures."""
    phase_file = os.environ.get("DISK_WATCH_PHASE_FILE")
    if phase_file:
        Path(phase_file).write_text(name + "\n")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Name the test each process runs while it runs."""
    running = os.environ.get("DISK_WATCH_RUNNING_DIR")
    if not running:
        return (yield)
    marker = Path(running) / os.environ.get("PYTEST_XDIST_WORKER", "main")
    marker.write_text(item.nodeid)
    try:
        return (yield)
    finally:
        marker.unlink(missing_ok=True)
