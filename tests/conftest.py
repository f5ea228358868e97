"""Hooks and fixtures of the python-deps test harness; the product's model is python_deps, the
test helpers are in tests/utils.

tests/by_variant/STAGE/ holds the tests of the images built on that Dockerfile stage: each runs on
every image of the bake group BAKE_GROUP (`ci` unless set) whose lineage has the stage, so a
parent's tests run on its children (the declaration in docker-bake.hcl says who is whose parent),
once per cell, through the `variant` fixture. tests/build/, tests/family/ and tests/release/ test
the build, the images around the layer and the publishing, once per run. The images the selected
tests need (and a test image on each: Java for Spark, tests/docker-bake.hcl) are baked once per
session, across xdist workers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import pytest
from filelock import FileLock
from python_on_whales import docker

from python_deps import ROOT
from python_deps.bake import (
    BakeError,
    bake_command,
    bake_group,
    build_environment,
    missing_docker,
)
from python_deps.declaration import declaration
from python_deps.matrix import Variant, variants
from python_deps.runner import engine_arch, revision
from python_deps.sbom import bake_sboms, keep_sboms
from python_deps.sizes import Layer, read_layers
from tests.utils.containers import probe_gpu, run_in, start_postgres
from tests.utils.harness import (
    BAKE_FILES,
    POSTGRES_TARGET,
    harness_targets,
    needed_targets,
)

BY_VARIANT = Path(__file__).parent / "by_variant"
HARNESS_DIR = pytest.StashKey[Path]()
NEEDED = pytest.StashKey[list[str]]()


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


def is_controller(config: pytest.Config) -> bool:
    """The process that runs the session: xdist's controller, or the only one."""
    return not hasattr(config, "workerinput")


class SharedHarnessDir:
    """Hands the controller's harness folder to the xdist workers."""

    @pytest.hookimpl
    def pytest_configure_node(self, node) -> None:
        node.workerinput["harness_dir"] = str(node.config.stash[HARNESS_DIR])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "cell: runs in each image under test, once per cell (every test under tests/by_variant/)",
    )
    config.addinivalue_line(
        "markers",
        "slow: builds images of its own, minutes each: make test-slow, which CI runs after"
        " make test",
    )
    config.addinivalue_line(
        "markers",
        "own_stage: runs on the images of its folder's stage alone, not on the variants built on"
        " it: what it proves lies in layers they share",
    )
    config.addinivalue_line(
        "markers",
        "release: of the cell tests, those of what a release publishes (the labels); a release"
        " leg runs them with the others",
    )
    if config.option.help or config.option.markers:
        return
    if is_controller(config):
        # Once, before any worker starts: they run under the controller that checked.
        problem = missing_docker()
        if problem:
            raise pytest.UsageError(problem)
        config.stash[HARNESS_DIR] = Path(tempfile.mkdtemp(prefix="python-deps-harness-"))
        if config.pluginmanager.hasplugin("xdist"):
            config.pluginmanager.register(SharedHarnessDir())
    else:
        config.stash[HARNESS_DIR] = Path(config.workerinput["harness_dir"])


def pytest_unconfigure(config: pytest.Config) -> None:
    if is_controller(config) and HARNESS_DIR in config.stash:
        shutil.rmtree(config.stash[HARNESS_DIR], ignore_errors=True)


def pytest_sessionstart(session: pytest.Session) -> None:
    # The record of the last green run goes when another recording run starts.
    record = session.config.getoption("--record-tested")
    if is_controller(session.config) and record:
        record.unlink(missing_ok=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With --record-tested, after a green run: every variant image it baked, with its tags and
    index digest, its SBOMs (kept in reports/sbom-tested/) and the revision (REVISION)."""
    config, record = session.config, session.config.getoption("--record-tested")
    if not (record and is_controller(config) and exitstatus == 0):
        return
    baked, sboms = config.stash[HARNESS_DIR] / "bake.json", config.stash[HARNESS_DIR] / "sbom.json"
    if baked.exists() and "variant_images" in (result := json.loads(baked.read_text())):
        record.parent.mkdir(parents=True, exist_ok=True)
        images = keep_sboms(
            result["variant_images"],
            json.loads(sboms.read_text()).get("files", {}) if sboms.exists() else {},
            # Beside the record: reports/sbom-tested for make test's, a leg's own for a leg's.
            record.parent / "sbom-tested",
        )
        record.write_text(json.dumps({"revision": revision(), "images": images}, indent=2))


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


def stage_of(path: Path) -> str:
    """The Dockerfile stage of a test under tests/by_variant/STAGE/ (dashes written as
    underscores)."""
    stage = path.relative_to(BY_VARIANT).parts[0].replace("_", "-")
    stages = [kind.stage for kind in declaration().variants.values()]
    if stage not in stages:
        raise pytest.UsageError(
            f"{path}: tests/by_variant/{path.relative_to(BY_VARIANT).parts[0]} names no stage"
            f" of docker-bake.hcl's variants(): {', '.join(stages)}"
        )
    return stage


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize `variant` (and `distribution`) over the images of the bake group built on the
    stage of the test's folder."""
    if "variant" not in metafunc.fixturenames:
        return
    stage = stage_of(metafunc.definition.path)
    selected = [variant for variant in selected_variants() if stage in variant.lineage]
    if metafunc.definition.get_closest_marker("own_stage"):
        selected = [variant for variant in selected if variant.lineage[-1] == stage]
    if not selected:
        # Said, not pytest's "empty parameter set"; and with --require-gpu a GPU runner's run that
        # builds no gpu image fails: it would otherwise pass having tested nothing.
        missing = (
            f"no image of BAKE_GROUP={' '.join(bake_group())} is built on the {stage} stage"
            " (the gpu image: BAKE_GROUP=gpu-proof)"
        )
        if metafunc.definition.get_closest_marker("gpu") and metafunc.config.getoption(
            "--require-gpu"
        ):
            raise pytest.UsageError(f"--require-gpu: {missing}")
        metafunc.parametrize(
            "variant",
            [pytest.param(None, id="none", marks=pytest.mark.skip(reason=missing))],
            indirect=True,
        )
        return
    if "distribution" in metafunc.fixturenames:
        pairs = [(variant, name) for variant in selected for name in variant.requested()]
        metafunc.parametrize(
            ("variant", "distribution"),
            [
                pytest.param(*pair, id=f"{pair[0]}-{pair[1]}", marks=pytest.mark.cell)
                for pair in pairs
            ],
            indirect=["variant"],
        )
    else:
        metafunc.parametrize(
            "variant",
            [
                pytest.param(variant, id=str(variant), marks=pytest.mark.cell)
                for variant in selected
            ],
            indirect=True,
        )


@pytest.fixture
def variant(request: pytest.FixtureRequest) -> Variant:
    """The image under test: a variant target of the bake group, for one cell (parametrized by
    pytest_generate_tests from the test's folder)."""
    return request.param


def pytest_collection_finish(session: pytest.Session) -> None:
    """What the selected tests need baked (tests/utils/harness.py), the same in every worker."""
    if session.items:
        session.config.stash[NEEDED] = needed_targets(session.items, selected_variants())


@pytest.fixture(scope="session")
def once(pytestconfig: pytest.Config) -> Callable[[str, Callable[[Path], dict]], dict]:
    """once(name, produce): produce(folder)'s JSON result, computed by the first worker to ask
    and read from disk by the others. A failure is recorded like a result ({"error": ...}), so
    that no other worker retries it."""
    shared = pytestconfig.stash[HARNESS_DIR]

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
        pytest.skip(
            f"not run: {error.splitlines()[0]} (reported once, by the first test that needed it)"
        )
    pytest.fail(error, pytrace=False)


def mark_phase(name: str) -> None:
    """Name make test's phase for its disk and time figures (scripts/disk-space.py)."""
    phase_file = os.environ.get("DISK_WATCH_PHASE_FILE")
    if phase_file:
        Path(phase_file).write_text(name + "\n")


def bake_for(config: pytest.Config) -> Callable[[Path], dict]:
    def bake(folder: Path) -> dict:
        """Bake what the selected tests need; each target's image, or the error. The log is in
        reports/harness-bake.log."""
        targets = config.stash.get(NEEDED, None) or harness_targets(selected_variants())
        metadata_file, log_file = (
            folder / "bake-metadata.json",
            ROOT / "reports" / "harness-bake.log",
        )
        log_file.parent.mkdir(exist_ok=True)
        mark_phase("test images")
        started = time.time()
        with log_file.open("w") as log:
            baked = subprocess.run(
                # No --load: the targets' own output (type=image) puts them in the engine's store,
                # and a second, docker exporter beside it races it for the same name ("already
                # exists").
                bake_command(
                    "--progress=plain",
                    f"--metadata-file={metadata_file}",
                    *targets,
                    files=BAKE_FILES,
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env=build_environment(),
            )
        if baked.returncode != 0:
            lines = log_file.read_text().splitlines()
            errors = [line for line in lines if line.startswith("ERROR")]
            summary = f"docker buildx bake {' '.join(targets)} failed: " + (
                "; ".join(errors) or "see its log"
            )
            return {
                "error": "\n".join(
                    [summary, "", f"last lines of the build log ({log_file}):", *lines[-30:]]
                )
            }
        if config.getoption("--trim-build-cache"):
            # What the bake did not use (the uv caches of the installs above all) would stay
            # through the tests, where make test's disk peaks.
            subprocess.run(
                [
                    "docker",
                    "buildx",
                    "prune",
                    "--force",
                    "--filter",
                    f"until={int(time.time() - started) + 1}s",
                ],
                capture_output=True,
            )
        mark_phase("tests")
        metadata = json.loads(metadata_file.read_text())
        variant_images = [
            {
                "target": variant.target,
                "tags": metadata[variant.target]["image.name"].split(","),
                "digest": metadata[variant.target]["containerimage.digest"],
            }
            for variant in selected_variants()
            if variant.target in metadata
        ]
        return {
            "images": {
                name: data["image.name"].split(",")[0]
                for name, data in metadata.items()
                if "image.name" in data
            },
            "variant_images": variant_images,
        }

    return bake


@pytest.fixture
def images(once, pytestconfig: pytest.Config) -> dict[str, str]:
    """Image name of each bake target, baked once for all workers; a failed bake fails the
    first test that needs it."""
    result = once("bake", bake_for(pytestconfig))
    if "error" in result:
        report_once(once.folder / "bake.reported", result["error"])
    return result["images"]


@pytest.fixture(scope="module")
def variant_images(once, pytestconfig: pytest.Config) -> list[dict]:
    """Each variant image baked: its target, tags and index digest, as a test run records them for
    publishing. A failed bake is reported by the tests that use `images`."""
    result = once("bake", bake_for(pytestconfig))
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
def test_image(images: dict[str, str], variant: Variant) -> str:
    """The variant's test image: the variant plus Java and the spark user."""
    return images[variant.test_target]


@pytest.fixture
def run_with_test_tools(test_image: str) -> Callable[..., str]:
    """Run a command in the variant's test image."""
    return lambda *command, **options: run_in(test_image, *command, **options)


@pytest.fixture
def sbom_files(once, images: dict[str, str]) -> dict[str, dict[str, str]]:
    """{target: {platform: SBOM file}} of every variant under test, as `make sbom` writes them;
    baked once, after the images."""
    baked = [variant for variant in selected_variants() if variant.target in images]
    result = once("sbom", lambda folder: bake_sboms(baked, folder / "sbom"))
    if "error" in result:
        report_once(once.folder / "sbom.reported", result["error"])
    return result["files"]


@pytest.fixture
def sbom(sbom_files, variant: Variant) -> Callable[..., dict]:
    """sbom(platform): the variant's SBOM for a platform, the engine's by default."""
    engine_platform = f"linux/{engine_arch()}"
    return lambda platform=engine_platform: json.loads(
        Path(sbom_files[variant.target][platform]).read_text()
    )


@pytest.fixture(scope="session")
def layers(once) -> Callable[[str], list[Layer]]:
    """layers(image): the image's layers (python_deps/sizes.py), read once per image for all
    workers."""

    def read_once(image: str) -> list[Layer]:
        key = "layers-" + "".join(c if c.isalnum() or c in "_.-" else "_" for c in image)
        result = once(key, lambda _: {"layers": [asdict(layer) for layer in read_layers(image)]})
        return [Layer(**layer) for layer in result["layers"]]

    return read_once


@pytest.fixture(scope="session")
def postgres(once, pytestconfig: pytest.Config):
    """A PostgreSQL server in a container of its test image, for the whole session. Clients join
    its network namespace and reach it at 127.0.0.1:5432: loopback only."""
    baked = once("bake", bake_for(pytestconfig))
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
