"""The harness's command-line options and its plugins (tests/utils). At the root, beside
pyproject.toml: pytest reads the root conftest.py before any other, and honours pytest_plugins
only here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from python_deps.cli import VERB_ONLY

pytest_plugins = [
    "tests.utils.once",
    "tests.utils.harness",
    "tests.utils.tested_record",
    "tests.utils.disk_watch",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-gpu",
        action="store_true",
        help=(
            "fail, instead of skip, the gpu tests where `docker run --gpus all` does not work"
            " (for GPU runners)"
        ),
    )
    parser.addoption(
        "--record-tested",
        metavar="FILE",
        type=Path,
        help=(
            "after a green run, record the images it tested, by digest, with their SBOMs,"
            " for `python -m python_deps publish` (make test: reports/tested.json)"
        ),
    )
    parser.addoption(
        "--trim-build-cache",
        action="store_true",
        help=(
            "after the harness's bake, prune the build cache records it did not use"
            " (make test: the disk peaks during the tests)"
        ),
    )


def pytest_configure(config: pytest.Config) -> None:
    # A make variable meant for one verb (make upgrade CELLS=... runs make test as its proof) is
    # not the verbs' that the tests run to take as their options' defaults.
    for name in VERB_ONLY:
        os.environ.pop(name, None)
