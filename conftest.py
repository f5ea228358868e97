"""Test harness of the python-deps layer.

The matrix under test is the bake file's own (`docker buildx bake --print`): every target of
the BAKE_GROUP group is a variant, tested as the stage of the Dockerfile it builds. The images
are baked once per session, across all xdist workers, and each test runs commands inside them.
Tests apply to a stage and to every stage built on it, as jupyter/docker-stacks does with its
parent map: a test for base-deps also runs on the gpu and iceberg images.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from filelock import FileLock
from python_on_whales import DockerException, docker

ROOT = Path(__file__).parent
BAKE_FILE = ROOT / "docker-bake.hcl"
BAKE_GROUP = os.environ.get("BAKE_GROUP", "all")
REQUIREMENTS_DIR = ROOT / "docker" / "docker-intermediate" / "python-deps"
UNITS_DIR = ROOT / "tests" / "units"

# Each stage of the Dockerfile: the stage it is built on, and the requirement set it adds.
STAGE_PARENT = {"base-deps": None, "gpu": "base-deps", "iceberg": "base-deps"}
STAGE_REQUIREMENTS = {
    "base-deps": "requirements-base.txt",
    "gpu": "requirements-gpu.txt",
    "iceberg": "requirements-iceberg.txt",
}


@dataclass(frozen=True)
class Variant:
    target: str
    stage: str

    @property
    def lineage(self) -> list[str]:
        """The stages this image is made of, base-deps first."""
        stages, stage = [], self.stage
        while stage:
            stages.insert(0, stage)
            stage = STAGE_PARENT[stage]
        return stages

    def requested(self) -> list[str]:
        """Names of the distributions the requirement sets of this image ask for."""
        return [name for stage in self.lineage for name in requirement_names(STAGE_REQUIREMENTS[stage])]

    def __str__(self) -> str:
        return self.target


def requirement_names(filename: str) -> list[str]:
    names = []
    for line in (REQUIREMENTS_DIR / filename).read_text().splitlines():
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line.split("#", 1)[0])
        if match:
            names.append(match.group(1))
    return names


@cache
def bake_definition() -> dict:
    try:
        return docker.buildx.bake(targets=[BAKE_GROUP], files=[BAKE_FILE], print=True, progress=False)
    except DockerException as error:
        raise pytest.UsageError(f"`docker buildx bake --print {BAKE_GROUP}` failed: {error.stderr}") from error


def variants() -> list[Variant]:
    targets = bake_definition()["target"]
    return [Variant(name, target["target"]) for name, target in targets.items() if target.get("target") in STAGE_PARENT]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-gpu",
        action="store_true",
        help="fail, instead of skip, the gpu tests where `docker run --gpus all` does not work (for GPU runners)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stage(name): run only on images built on that Dockerfile stage")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize `variant` (and `distribution`) over the bake matrix."""
    if "variant" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("stage")
    stage = marker.args[0] if marker else "base-deps"
    selected = [variant for variant in variants() if stage in variant.lineage]
    if "distribution" in metafunc.fixturenames:
        pairs = [(variant, name) for variant in selected for name in variant.requested()]
        metafunc.parametrize(("variant", "distribution"), pairs, ids=[f"{v}-{n}" for v, n in pairs])
    else:
        metafunc.parametrize("variant", selected, ids=str)


def bake(metadata_file: Path) -> dict:
    """Bake the group once; return the image of each target, or the build's error."""
    ca_bundle = os.environ.get("CA_BUNDLE")
    # python-on-whales has no parameter for --allow; extra flags ride along with the targets.
    allow = [f"--allow=fs.read={Path(ca_bundle).resolve().parent}"] if ca_bundle else []
    try:
        docker.buildx.bake(
            targets=[BAKE_GROUP, *allow], files=[BAKE_FILE], load=True, progress=False, metadata_file=metadata_file
        )
    except DockerException as error:
        log = (error.stderr or error.stdout or "").strip().splitlines()
        errors = [line for line in log if line.startswith("ERROR")]
        return {"error": "\n".join([*errors, "", "last lines of the build log:", *log[-30:]])}
    metadata = json.loads(metadata_file.read_text())
    # Targets built only as another's base (python-base-debian) are in the metadata, untagged.
    return {"images": {v.target: metadata[v.target]["image.name"].split(",")[0] for v in variants()}}


@pytest.fixture(scope="session")
def images(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> dict[str, str]:
    """Image name of each bake target, baked once for all workers (the first to get here bakes)."""
    shared = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent
    result_file = shared / "bake-result.json"
    with FileLock(f"{result_file}.lock"):
        if not result_file.exists():
            # A failed bake is recorded too, so that no other worker tries again.
            result_file.write_text(json.dumps(bake(shared / "bake-metadata.json")))
    result = json.loads(result_file.read_text())
    if "error" in result:
        pytest.fail(f"docker buildx bake {BAKE_GROUP} failed:\n{result['error']}", pytrace=False)
    return result["images"]


@pytest.fixture
def image(images: dict[str, str], variant: Variant) -> str:
    return images[variant.target]


@pytest.fixture
def run(image: str):
    """Run a command in the variant's image, with tests/units mounted read-only at /units."""

    def run_in_image(*command: str, **options) -> str:
        return docker.run(image, list(command), remove=True, volumes=[(UNITS_DIR, "/units", "ro")], **options)

    return run_in_image


@pytest.fixture(scope="session")
def gpu_available(images: dict[str, str], request: pytest.FixtureRequest) -> None:
    """Skip (or, with --require-gpu, fail) unless `docker run --gpus all` works on this engine."""
    probe_image = next(iter(images.values()))
    # python-on-whales does not capture `docker run`'s stderr, which holds the engine's reason.
    probe = subprocess.run(
        ["docker", "run", "--rm", "--gpus", "all", probe_image, "true"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        reason = f"`docker run --gpus all` does not work here: {probe.stderr.strip().splitlines()[0]}"
        if request.config.getoption("--require-gpu"):
            pytest.fail(f"--require-gpu: {reason}", pytrace=False)
        pytest.skip(reason)
