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
import time
import uuid
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Callable, Mapping

import pytest
from filelock import FileLock
from python_on_whales import DockerException, docker

from tests.layers import Layer, read_layers

ROOT = Path(__file__).parent
# docker-bake.json holds the lock digests (scripts/lock.sh); bake reads it with docker-bake.hcl.
MAIN_BAKE_FILES = [ROOT / "docker-bake.hcl", ROOT / "docker-bake.json"]
BAKE_FILES = [*MAIN_BAKE_FILES, ROOT / "tests" / "docker-bake.hcl"]
BAKE_TARGETS = ["all", "test", "test-base"]
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

    def lock_file(self) -> Path:
        """The lock this image's own stage installs."""
        args = dict(self.args)
        folder = DEPS_DIR / "locks" / f"spark-{args['SPARK_VERSION']}" / f"python-{args['PYTHON_VERSION']}"
        return folder / f"linux-{engine_arch()}" / f"{STAGES[self.stage].requirement_set}.txt"

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
    arch = docker.info().architecture
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(arch, arch)


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
    config.addinivalue_line("markers", "slow: builds images of its own, minutes each (CI runs them too)")


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
    and read from disk by the others. A failure is recorded like a result ({"error": ...}), so
    that no other worker retries it."""
    shared = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent

    def compute_once(name: str, produce: Callable[[Path], dict]) -> dict:
        result_file = shared / f"{name}.json"
        with FileLock(f"{result_file}.lock"):
            if not result_file.exists():
                result_file.write_text(json.dumps(produce(shared)))
        return json.loads(result_file.read_text())

    compute_once.folder = shared
    return compute_once


def report_once(claim: Path, error: str) -> None:
    """Fail the first test to meet a shared failure, with its error; skip the others, which
    would only repeat it. The run still fails, on that one test. Raised from function-scoped
    fixtures only: pytest re-raises a session fixture's failure in every test that uses it."""
    try:
        claim.open("x").close()
    except FileExistsError:
        pytest.skip(f"not run: {error.splitlines()[0]} (reported once, by the first test that needed it)")
    pytest.fail(error, pytrace=False)


def bake_entitlements(environment: Mapping[str, str] = os.environ) -> list[str]:
    """The --allow flags bake needs to read the CA bundle of CA_BUNDLE (a secret) and the
    wheelhouse of WHEELHOUSE (a context), where the environment sets them."""
    ca_bundle, wheelhouse = environment.get("CA_BUNDLE"), environment.get("WHEELHOUSE")
    return [
        *([f"--allow=fs.read={Path(ca_bundle).resolve().parent}"] if ca_bundle else []),
        *([f"--allow=fs.read={Path(wheelhouse).resolve()}"] if wheelhouse else []),
    ]


def run_bake(*arguments: str, **variables: str) -> subprocess.CompletedProcess:
    """`docker buildx bake` on docker-bake.hcl with these variables, its output captured. Online,
    whatever WHEELHOUSE the suite runs with, unless the variables set one."""
    environment = {**os.environ, "WHEELHOUSE": "", **variables}
    return subprocess.run(
        ["docker", "buildx", "bake", *(f"--file={file}" for file in MAIN_BAKE_FILES), "--progress=plain", *bake_entitlements(environment), *arguments],
        env=environment, capture_output=True, text=True, cwd=ROOT,
    )


def bake_under_own_tag(target: str, *arguments: str, **variables: str) -> tuple[subprocess.CompletedProcess, str]:
    """run_bake() of one target under a fresh TAG, so that no build of a test touches the
    harness's images and a tag left behind is its own: the result and the image it tags."""
    tag = f"test-{uuid.uuid4().hex[:8]}"
    result = run_bake(*arguments, target, **variables, TAG=tag)
    return result, f"{os.environ.get('REGISTRY', '')}spark-k8s-{target}:{tag}"


def bake(folder: Path) -> dict:
    """Bake the variants and their test images; return each target's image, or the error."""
    # python-on-whales has no parameter for --allow; extra flags ride along with the targets.
    metadata_file = folder / "bake-metadata.json"
    try:
        docker.buildx.bake(
            targets=[*BAKE_TARGETS, *bake_entitlements()], files=BAKE_FILES, load=True, progress=False, metadata_file=metadata_file
        )
    except DockerException as error:
        log = (error.stderr or error.stdout or "").strip().splitlines()
        errors = [line for line in log if line.startswith("ERROR")]
        summary = f"docker buildx bake {' '.join(BAKE_TARGETS)} failed: " + ("; ".join(errors) or "see its log")
        return {"error": "\n".join([summary, "", "last lines of the build log:", *log[-30:]])}
    metadata = json.loads(metadata_file.read_text())
    # Targets built only as another's base (python-base-debian) are in the metadata, untagged.
    return {"images": {name: data["image.name"].split(",")[0] for name, data in metadata.items() if "image.name" in data}}


@pytest.fixture
def images(once) -> dict[str, str]:
    """Image name of each bake target, baked once for all workers; a failed bake fails the
    first test that needs it."""
    result = once("bake", bake)
    if "error" in result:
        report_once(once.folder / "bake.reported", result["error"])
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


@pytest.fixture(scope="session")
def layers(once) -> Callable[[str], list[Layer]]:
    """layers(image): the image's layers (tests/layers.py), read once per image for all workers."""

    def read_once(image: str) -> list[Layer]:
        key = "layers-" + re.sub(r"[^A-Za-z0-9_.-]", "_", image)
        result = once(key, lambda _: {"layers": [asdict(layer) for layer in read_layers(image)]})
        return [Layer(**layer) for layer in result["layers"]]

    return read_once


@pytest.fixture(scope="session")
def postgres(once):
    """A PostgreSQL server in a container of the base test image. Clients join its network
    namespace (`--network container:NAME`) and reach it at 127.0.0.1:5432: loopback only."""
    baked = once("bake", bake)
    if "error" in baked:
        yield None  # the `images` fixture of the same test reports the failed bake
        return
    name = f"python-deps-test-postgres-{uuid.uuid4().hex[:8]}"
    server = (
        'bin=$(echo /usr/lib/postgresql/*/bin) && "$bin/initdb" -D /tmp/pg -U postgres -A trust >/dev/null'
        ' && exec "$bin/postgres" -D /tmp/pg -k /tmp -c listen_addresses=127.0.0.1'
    )
    docker.run(baked["images"]["python-deps-test"], ["sh", "-c", server], detach=True, name=name, user="postgres", remove=True)
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


def probe_gpu(image: str) -> dict:
    """Whether `docker run --gpus all` works here: {} if it does, else {"reason": ...}."""
    # python-on-whales does not capture `docker run`'s stderr, which holds the engine's reason.
    probe = subprocess.run(["docker", "run", "--rm", "--gpus", "all", image, "true"], capture_output=True, text=True)
    if probe.returncode == 0:
        return {}
    return {"reason": f"`docker run --gpus all` does not work here: {probe.stderr.strip().splitlines()[0]}"}


@pytest.fixture
def gpu_available(once, images: dict[str, str], request: pytest.FixtureRequest) -> None:
    """Skip (or, with --require-gpu, fail) unless `docker run --gpus all` works on this engine.
    Probed once per session."""
    probe = once("gpu-probe", lambda _: probe_gpu(images["python-deps"]))
    if "reason" in probe:
        if request.config.getoption("--require-gpu"):
            pytest.fail(f"--require-gpu: {probe['reason']}", pytrace=False)
        pytest.skip(probe["reason"])
