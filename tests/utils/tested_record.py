"""The record of a green run, with --record-tested (make test: reports/tested.json), that
`python -m python_deps publish` reads: a pytest plugin, registered by the root conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from python_deps.record import Record, RecordedImage
from python_deps.runner import revision
from python_deps.sbom import keep_sboms
from tests.utils.once import is_controller, once_of


def write_tested_record(path: Path, images: list[dict]) -> None:
    """The record of the images a green run tested, with the revision (REVISION)."""
    Record(revision(), tuple(map(RecordedImage.from_json, images))).write(path)


def pytest_sessionstart(session: pytest.Session) -> None:
    # The record of the last green run goes when another recording run starts.
    record = session.config.getoption("--record-tested")
    if is_controller(session.config) and record:
        record.unlink(missing_ok=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """After a green run: every variant image it baked, with its tags and index digest, and its
    SBOMs, kept beside the record (reports/sbom-tested for make test's, a leg's own for a leg's)."""
    config, record = session.config, session.config.getoption("--record-tested")
    if not (record and is_controller(config) and exitstatus == 0):
        return
    once = once_of(config)
    baked = once.computed("bake")
    if "variant_images" in baked:
        sboms = once.computed("sbom").get("files", {})
        write_tested_record(
            record, keep_sboms(baked["variant_images"], sboms, record.parent / "sbom-tested")
        )
