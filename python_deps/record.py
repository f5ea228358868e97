"""What a green test run tested, by digest: the record the harness writes with --record-tested
(make test: reports/tested.json; a release leg: its own) and `python-deps publish` and a release
leg read. These dataclasses are its schema; a file that does not fit them is refused."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class RecordedImage:
    target: str  # the bake target, e.g. python-deps-spark43-py313
    tags: tuple[str, ...]  # what the engine names it; the first is the one it is read by
    digest: str  # the image index the tests ran on
    sboms: dict[str, str] = field(default_factory=dict)  # platform: the SBOM file tested

    @classmethod
    def from_json(cls, image: dict) -> RecordedImage:
        return cls(image["target"], tuple(image["tags"]), image["digest"], image.get("sboms", {}))


@dataclass(frozen=True)
class Record:
    revision: str  # the source revision the images were built and tested from
    images: tuple[RecordedImage, ...]

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def read(cls, path: Path) -> Record:
        """The record in path; ValueError naming the file where it is not one."""
        try:
            written = json.loads(path.read_text())
            return cls(written["revision"], tuple(map(RecordedImage.from_json, written["images"])))
        except (KeyError, TypeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path} is not a test record ({error!r})") from None
