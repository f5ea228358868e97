"""Pytest hooks and fixtures of the python-deps harness; the model and helpers are in tests/shared.

The images under test are the variant targets of the bake group BAKE_GROUP (`ci` unless set),
each a Dockerfile stage for one cell of the matrix; tests/docker-bake.hcl adds a test-only image
on each (Java for Spark), and a PostgreSQL server. They are baked once per session, across all
xdist workers, and each test runs commands inside them. A test for base-deps also runs on the gpu and
iceberg images, and every test of an image runs once per cell, with the cell in its id.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import pytest
from filelock import FileLock
from python_on_whales import DockerException, docker

from tests.shared.bake import (
    BAKE_FILES,
    TESTED_RECORD,
    BakeError,
    bake_entitlements,
    bake_group,
)
from tests.shared.containers import probe_gpu, run_in, start_postgres
from tests.shared.layers import Layer, read_layers
from tests.shared.matrix import POSTGRES_TARGET, Variant, engine_arch, harness_targets, variants
from tests.shared.sbom import TESTED_SBOMS, bake_sboms, keep_sboms


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-gpu",
        action="store_true",
        help="fail, instead of skip, the gpu tests where `docker run --gpus all` does not work (for GPU runners)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stage(name): run only on images built on that Dockerfile stage")
    config.addinivalue_line("markers", "cell: runs in each image under test, once per cell (added to every test of a variant)")
    config.addinivalue_line("markers", "slow: builds images of its own, minutes each (CI runs them too)")


def is_controller(config: pytest.Config) -> bool:
    """The process that runs the session: xdist's controller, or the only one."""
    return not hasattr(config, "workerinput")


def runs_whole_suite(config: pytest.Config) -> bool:
    return not config.option.keyword and not config.option.markexpr and config.args == config.getini("testpaths")


def pytest_sessionstart(session: pytest.Session) -> None:
    # The record of the last whole run goes when another starts: only a green one writes it again.
    if is_controller(session.config) and runs_whole_suite(session.config):
        TESTED_RECORD.unlink(missing_ok=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """After a green run of the whole suite, record what it tested for scripts/publish.py: every
    variant's tags and index digest, as the session's bake reported them (the `once` folder is
    the controller's base temporary folder), its SBOMs (kept in reports/sbom-tested/) and the
    revision (REVISION, set by the Makefile)."""
    config = session.config
    if not (is_controller(config) and runs_whole_suite(config) and exitstatus == 0):
        return
    baked = config._tmp_path_factory.getbasetemp() / "bake.json"
    sboms = config._tmp_path_factory.getbasetemp() / "sbom.json"
    if baked.exists() and "variant_images" in (result := json.loads(baked.read_text())):
        TESTED_RECORD.parent.mkdir(exist_ok=True)
        images = keep_sboms(result["variant_images"], json.loads(sboms.read_text()).get("files", {}) if sboms.exists() else {}, TESTED_SBOMS)
        TESTED_RECORD.write_text(json.dumps({"revision": os.environ.get("REVISION", ""), "images": images}, indent=2))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Under make test's disk watch (scripts/disk-space.py), name the test each process runs, so
    that the peak names the tests that ran then."""
    running = os.environ.get("DISK_WATCH_RUNNING_DIR")
    if not running:
        return (yield)
    marker = Path(running) / os.environ.get("PYTEST_XDIST_WORKER", "main")
    marker.write_text(item.nodeid)
    try:
        return (yield)
    finally:
        marker.unlink(missing_ok=True)


def selected_variants() -> list[Variant]:
    try:
        return variants(bake_group())
    except BakeError as error:
        raise pytest.UsageError(str(error)) from error


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize `variant` (and `distribution`) over the variants of the bake group."""
    if "variant" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("stage")
    stage = marker.args[0] if marker else "base-deps"
    selected = [variant for variant in selected_variants() if stage in variant.lineage]
    if not selected:
        # Said, not pytest's "empty parameter set"; and with --require-gpu a GPU runner's run that
        # builds no gpu image fails: it would otherwise pass having tested nothing.
        missing = f"no image of BAKE_GROUP={' '.join(bake_group())} is built on the {stage} stage (the gpu image: BAKE_GROUP=gpu-proof)"
        if metafunc.definition.get_closest_marker("gpu") and metafunc.config.getoption("--require-gpu"):
            raise pytest.UsageError(f"--require-gpu: {missing}")
        metafunc.parametrize("variant", [pytest.param(None, id="none", marks=pytest.mark.skip(reason=missing))])
        return
    if "distribution" in metafunc.fixturenames:
        pairs = [(variant, name) for variant in selected for name in variant.requested()]
        metafunc.parametrize(("variant", "distribution"), [pytest.param(*pair, id=f"{pair[0]}-{pair[1]}", marks=pytest.mark.cell) for pair in pairs])
    else:
        metafunc.parametrize("variant", [pytest.param(variant, id=str(variant), marks=pytest.mark.cell) for variant in selected])


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


def bake(folder: Path) -> dict:
    """Bake the variants, their test images and bases; return each target's image, or the error."""
    targets = harness_targets(bake_group())
    # python-on-whales has no parameter for --allow; extra flags ride along with the targets.
    metadata_file = folder / "bake-metadata.json"
    try:
        docker.buildx.bake(targets=[*targets, *bake_entitlements()], files=BAKE_FILES, load=True, progress=False, metadata_file=metadata_file)
    except DockerException as error:
        log = (error.stderr or error.stdout or "").strip().splitlines()
        errors = [line for line in log if line.startswith("ERROR")]
        summary = f"docker buildx bake {' '.join(targets)} failed: " + ("; ".join(errors) or "see its log")
        return {"error": "\n".join([summary, "", "last lines of the build log:", *log[-30:]])}
    metadata = json.loads(metadata_file.read_text())
    variant_images = [
        {"target": variant.target, "tags": metadata[variant.target]["image.name"].split(","), "digest": metadata[variant.target]["containerimage.digest"]}
        for variant in selected_variants()
    ]
    return {
        "images": {name: data["image.name"].split(",")[0] for name, data in metadata.items() if "image.name" in data},
        "variant_images": variant_images,
    }


@pytest.fixture
def images(once) -> dict[str, str]:
    """Image name of each bake target, baked once for all workers; a failed bake fails the
    first test that needs it."""
    result = once("bake", bake)
    if "error" in result:
        report_once(once.folder / "bake.reported", result["error"])
    return result["images"]


@pytest.fixture(scope="module")
def variant_images(once) -> list[dict]:
    """Each variant image baked: its target, tags and index digest, as a test run records them for
    scripts/publish.py. A failed bake is reported by the tests that use `images`."""
    result = once("bake", bake)
    if "error" in result:
        pytest.skip("not run: the bake failed (reported once, by the first test that needed it)")
    return result["variant_images"]


@pytest.fixture
def image(images: dict[str, str], variant: Variant) -> str:
    return images[variant.target]


@pytest.fixture
def run(image: str) -> Callable[..., str]:
    """Run a command in the variant's image."""
    return lambda *command, **options: run_in(image, *command, **options)


@pytest.fixture
def run_with_test_tools(images: dict[str, str], variant: Variant) -> Callable[..., str]:
    """Run a command in the variant's test image (the variant plus Java and the spark user)."""
    return lambda *command, **options: run_in(images[variant.test_target], *command, **options)


@pytest.fixture
def sbom_files(once, images: dict[str, str]) -> dict[str, dict[str, str]]:
    """{target: {platform: SBOM file}} of every variant under test, as `make sbom` writes them;
    baked once, after the images."""
    result = once("sbom", lambda folder: bake_sboms(selected_variants(), folder / "sbom"))
    if "error" in result:
        report_once(once.folder / "sbom.reported", result["error"])
    return result["files"]


@pytest.fixture
def sbom(sbom_files, variant: Variant) -> Callable[..., dict]:
    """sbom(platform): the variant's SBOM for a platform, the engine's by default."""
    return lambda platform=f"linux/{engine_arch()}": json.loads(Path(sbom_files[variant.target][platform]).read_text())


@pytest.fixture(scope="session")
def layers(once) -> Callable[[str], list[Layer]]:
    """layers(image): the image's layers (tests/shared/layers.py), read once per image for all workers."""

    def read_once(image: str) -> list[Layer]:
        key = "layers-" + "".join(c if c.isalnum() or c in "_.-" else "_" for c in image)
        result = once(key, lambda _: {"layers": [asdict(layer) for layer in read_layers(image)]})
        return [Layer(**layer) for layer in result["layers"]]

    return read_once


@pytest.fixture(scope="session")
def postgres(once):
    """A PostgreSQL server in a container of its test image, for the whole session. Clients join
    its network namespace and reach it at 127.0.0.1:5432: loopback only."""
    baked = once("bake", bake)
    if "error" in baked:
        yield None  # the `images` fixture of the same test reports the failed bake
        return
    try:
        name = start_postgres(baked["images"][POSTGRES_TARGET])
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield f"container:{name}"
    finally:
        docker.container.remove(name, force=True)


@pytest.fixture
def gpu_available(once, images: dict[str, str], request: pytest.FixtureRequest) -> None:
    """Skip (or, with --require-gpu, fail) unless `docker run --gpus all` works on this engine.
    Probed once per session."""
    probe = once("gpu-probe", lambda _: probe_gpu(next(iter(images.values()))))
    if "reason" in probe:
        if request.config.getoption("--require-gpu"):
            pytest.fail(f"--require-gpu: {probe['reason']}", pytrace=False)
        pytest.skip(probe["reason"])
