"""Test harness of the python-deps layer.

The matrix under test is the bake file's own (`docker buildx bake --print`): every variant
target of docker-bake.hcl is tested as the Dockerfile stage it builds, and tests/docker-bake.hcl
adds a test-only image on each (Java for Spark, a PostgreSQL server). The images are baked once
per session, across all xdist workers, and each test runs commands inside them. Tests apply to
a stage and to every stage built on it, as jupyter/docker-stacks does with its parent map: a
test for base-deps also runs on the gpu and iceberg images.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tarfile
import time
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Callable

import pytest
from filelock import FileLock
from python_on_whales import DockerException, docker

ROOT = Path(__file__).parent
BAKE_FILES = [ROOT / "docker-bake.hcl", ROOT / "tests" / "docker-bake.hcl"]
BAKE_TARGETS = ["all", "test"]
DEPS_DIR = ROOT / "docker" / "docker-intermediate" / "python-deps"
UNITS_DIR = ROOT / "tests" / "units"


@dataclass(frozen=True)
class Stage:
    parent: str | None
    requirement_set: str  # requirements-<set>.txt, and <set>.txt in each lock folder


# The stages of the Dockerfile and what each adds; tests/test_bake_file.py checks the parents.
STAGES = {
    "base-deps": Stage(None, "base"),
    "gpu": Stage("base-deps", "gpu"),
    "iceberg": Stage("base-deps", "iceberg"),
}


@dataclass(frozen=True)
class Variant:
    target: str
    stage: str
    args: tuple[tuple[str, str], ...]

    @property
    def lineage(self) -> list[str]:
        """The stages this image is made of, base-deps first."""
        stages, stage = [], self.stage
        while stage:
            stages.insert(0, stage)
            stage = STAGES[stage].parent
        return stages

    def requested(self) -> list[str]:
        """Names of the distributions the requirement sets of this image ask for."""
        return [name for stage in self.lineage for name in requirement_names(STAGES[stage].requirement_set)]

    def lock_file(self, requirement_set: str | None = None) -> Path:
        """The lock this image installs (or another set's lock for the same Python and arch)."""
        args = dict(self.args)
        folder = DEPS_DIR / "locks" / f"spark-{args['SPARK_VERSION']}" / f"python-{args['PYTHON_VERSION']}"
        return folder / f"linux-{engine_arch()}" / f"{requirement_set or STAGES[self.stage].requirement_set}.txt"

    def __str__(self) -> str:
        return self.target


def requirement_names(requirement_set: str) -> list[str]:
    names = []
    for line in (DEPS_DIR / f"requirements-{requirement_set}.txt").read_text().splitlines():
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line.split("#", 1)[0])
        if match:
            names.append(match.group(1))
    return names


def lock_pins(lock_file: Path) -> dict[str, str]:
    """{normalized name: version} of a hashed lock file."""
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", lock_file.read_text(), re.M)
    return {normalize(name): version for name, version in pins}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def engine_arch() -> str:
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(docker.info().architecture, docker.info().architecture)


@cache
def bake_definition() -> dict:
    try:
        return docker.buildx.bake(targets=BAKE_TARGETS, files=BAKE_FILES, print=True, progress=False)
    except DockerException as error:
        raise pytest.UsageError(f"`docker buildx bake --print` failed: {error.stderr}") from error


def variants() -> list[Variant]:
    return [
        Variant(name, target["target"], tuple(sorted(target.get("args", {}).items())))
        for name, target in bake_definition()["target"].items()
        if target.get("target") in STAGES
    ]


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


@pytest.fixture(scope="session")
def once(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Callable[[str, Callable[[Path], dict]], dict]:
    """once(name, produce): produce(folder)'s JSON result, computed by the first worker to ask
    and read from disk by the others. A failure is recorded like a result, so that it is
    reported, not retried, by every worker."""
    shared = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent

    def compute_once(name: str, produce: Callable[[Path], dict]) -> dict:
        result_file = shared / f"{name}.json"
        with FileLock(f"{result_file}.lock"):
            if not result_file.exists():
                result_file.write_text(json.dumps(produce(shared)))
        return json.loads(result_file.read_text())

    return compute_once


def bake(folder: Path) -> dict:
    """Bake the variants and their test images; return each target's image, or the error."""
    ca_bundle = os.environ.get("CA_BUNDLE")
    # python-on-whales has no parameter for --allow; extra flags ride along with the targets.
    allow = [f"--allow=fs.read={Path(ca_bundle).resolve().parent}"] if ca_bundle else []
    metadata_file = folder / "bake-metadata.json"
    try:
        docker.buildx.bake(
            targets=[*BAKE_TARGETS, *allow], files=BAKE_FILES, load=True, progress=False, metadata_file=metadata_file
        )
    except DockerException as error:
        log = (error.stderr or error.stdout or "").strip().splitlines()
        errors = [line for line in log if line.startswith("ERROR")]
        return {"error": "\n".join([*errors, "", "last lines of the build log:", *log[-30:]])}
    metadata = json.loads(metadata_file.read_text())
    # Targets built only as another's base (python-base-debian) are in the metadata, untagged.
    return {"images": {name: data["image.name"].split(",")[0] for name, data in metadata.items() if "image.name" in data}}


@pytest.fixture(scope="session")
def images(once) -> dict[str, str]:
    """Image name of each bake target, baked once for all workers."""
    result = once("bake", bake)
    if "error" in result:
        pytest.fail(f"docker buildx bake {' '.join(BAKE_TARGETS)} failed:\n{result['error']}", pytrace=False)
    return result["images"]


def run_in(image: str, *command: str, **options) -> str:
    """Run a command in an image, with tests/units mounted read-only at /units; its stdout."""
    return docker.run(image, list(command), remove=True, volumes=[(UNITS_DIR, "/units", "ro")], **options)


@pytest.fixture
def image(images: dict[str, str], variant: Variant) -> str:
    return images[variant.target]


@pytest.fixture
def run(image: str) -> Callable[..., str]:
    """Run a command in the variant's image."""
    return lambda *command, **options: run_in(image, *command, **options)


@pytest.fixture
def run_with_test_tools(images: dict[str, str], variant: Variant) -> Callable[..., str]:
    """Run a command in the variant's test image (the variant plus Java and PostgreSQL)."""
    return lambda *command, **options: run_in(images[f"{variant.target}-test"], *command, **options)


@cache
def installed_versions(image: str) -> dict[str, str]:
    return json.loads(run_in(image, "python3", "/units/installed_versions.py"))


def list_layers(image: str) -> list[dict]:
    """Each layer of an image, bottom first: its blob digest and {path: size} of the files it
    writes; a deletion (whiteout) is listed as the deleted path with size -1.

    Streams `docker image save` once, so it works with any engine and driver, and needs no disk."""
    save = subprocess.Popen(["docker", "image", "save", image], stdout=subprocess.PIPE)
    blobs, manifest = {}, None
    with tarfile.open(fileobj=save.stdout, mode="r|") as archive:
        for member in archive:
            if member.name == "manifest.json":
                manifest = json.load(archive.extractfile(member))
            elif member.isfile() and member.name.startswith("blobs/") and member.size > 1024:
                try:
                    with tarfile.open(fileobj=archive.extractfile(member), mode="r|*") as layer:
                        blobs[member.name] = {
                            entry.name.replace(".wh.", "") if ".wh." in entry.name else entry.name:
                            (-1 if ".wh." in entry.name else entry.size)
                            for entry in layer
                            if not entry.isdir()
                        }
                except tarfile.ReadError:
                    pass  # a config or manifest blob, not a layer
    if save.wait() != 0 or manifest is None:
        raise RuntimeError(f"docker image save {image} failed (exit {save.returncode})")
    return [{"digest": name.rsplit("/", 1)[-1], "files": blobs[name]} for name in manifest[0]["Layers"]]


@pytest.fixture(scope="session")
def layers(once) -> Callable[[str], list[dict]]:
    """layers(image): list_layers(image), computed once per image for all workers."""
    return lambda image: once(f"layers-{image.replace('/', '_').replace(':', '_')}", lambda _: {"layers": list_layers(image)})["layers"]


@pytest.fixture(scope="session")
def postgres(images: dict[str, str]):
    """A PostgreSQL server in a container of the base test image. Clients join its network
    namespace (`--network container:NAME`) and reach it at 127.0.0.1:5432: loopback only."""
    name = f"python-deps-test-postgres-{uuid.uuid4().hex[:8]}"
    server = (
        'bin=$(echo /usr/lib/postgresql/*/bin) && "$bin/initdb" -D /tmp/pg -U postgres -A trust >/dev/null'
        ' && exec "$bin/postgres" -D /tmp/pg -k /tmp -c listen_addresses=127.0.0.1'
    )
    docker.run(images["python-deps-test"], ["sh", "-c", server], detach=True, name=name, user="postgres", remove=True)
    try:
        for _ in range(60):
            probe = subprocess.run(["docker", "exec", name, "sh", "-c", "$(echo /usr/lib/postgresql/*/bin)/pg_isready -h 127.0.0.1"], capture_output=True)
            if probe.returncode == 0:
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"PostgreSQL did not become ready in 30 s: {docker.logs(name)}", pytrace=False)
        yield f"container:{name}"
    finally:
        docker.container.remove(name, force=True)


@pytest.fixture(scope="session")
def gpu_available(images: dict[str, str], request: pytest.FixtureRequest) -> None:
    """Skip (or, with --require-gpu, fail) unless `docker run --gpus all` works on this engine."""
    probe_image = images["python-deps"]
    # python-on-whales does not capture `docker run`'s stderr, which holds the engine's reason.
    probe = subprocess.run(
        ["docker", "run", "--rm", "--gpus", "all", probe_image, "true"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        reason = f"`docker run --gpus all` does not work here: {probe.stderr.strip().splitlines()[0]}"
        if request.config.getoption("--require-gpu"):
            pytest.fail(f"--require-gpu: {reason}", pytrace=False)
        pytest.skip(reason)
