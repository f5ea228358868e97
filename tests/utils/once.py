"""Work done once for all the xdist workers of a run (a pytest plugin, registered by the root
conftest.py): the folder the controller makes and hands to the workers, and the `once` fixture,
whose results are JSON files in it, each written under a file lock by the first worker to ask."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

HARNESS_DIR = pytest.StashKey[Path]()


def is_controller(config: pytest.Config) -> bool:
    """The process that runs the session: xdist's controller, or the only one."""
    return not hasattr(config, "workerinput")


class SharedHarnessDir:
    """Hands the controller's harness folder to the xdist workers."""

    @pytest.hookimpl
    def pytest_configure_node(self, node) -> None:
        node.workerinput["harness_dir"] = str(node.config.stash[HARNESS_DIR])


def pytest_configure(config: pytest.Config) -> None:
    if is_controller(config):
        config.stash[HARNESS_DIR] = Path(tempfile.mkdtemp(prefix="python-deps-harness-"))
        if config.pluginmanager.hasplugin("xdist"):
            config.pluginmanager.register(SharedHarnessDir())
    else:
        config.stash[HARNESS_DIR] = Path(config.workerinput["harness_dir"])


def pytest_unconfigure(config: pytest.Config) -> None:
    if is_controller(config) and HARNESS_DIR in config.stash:
        shutil.rmtree(config.stash[HARNESS_DIR], ignore_errors=True)


class Once:
    """once(name, produce): produce(folder)'s JSON result, computed by the first worker to ask
    and read from disk by the others. A failure is recorded like a result ({"error": ...}), so
    that no other worker retries it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def result_file(self, name: str) -> Path:
        return self.folder / f"{name}.json"

    def __call__(self, name: str, produce: Callable[[Path], dict]) -> dict:
        result_file = self.result_file(name)
        with FileLock(f"{result_file}.lock"):
            if not result_file.exists():
                result_file.write_text(json.dumps(produce(self.folder)))
        return json.loads(result_file.read_text())

    def computed(self, name: str) -> dict:
        """name's result where a worker computed it, else {}."""
        result_file = self.result_file(name)
        return json.loads(result_file.read_text()) if result_file.exists() else {}

    def report(self, name: str, error: str) -> None:
        """Fail the first test to meet name's failure, with its error; skip the others, which
        would only repeat it. The run still fails, on that one test. Call it from function-scoped
        fixtures only: pytest re-raises a session fixture's failure in every test that uses it."""
        try:
            (self.folder / f"{name}.reported").open("x").close()
        except FileExistsError:
            pytest.skip(
                f"not run: {error.splitlines()[0]}"
                " (reported once, by the first test that needed it)"
            )
        pytest.fail(error, pytrace=False)


def once_of(config: pytest.Config) -> Once:
    """The run's once(), outside fixtures."""
    return Once(config.stash[HARNESS_DIR])


@pytest.fixture(scope="session")
def once(pytestconfig: pytest.Config) -> Once:
    """once(name, produce): produce(folder)'s JSON result, computed once for all workers (Once)."""
    return once_of(pytestconfig)
