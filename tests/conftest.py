"""Hooks and fixtures of the python-deps test harness; the product's model is python_deps, the
test helpers and the harness's plugins are in tests/utils (registered by the root conftest.py).

tests/by_variant/STAGE/ holds the tests of the images built on that Dockerfile stage: each runs on
every image of the bake group BAKE_GROUP (`ci` unless set) whose lineage has the stage, so a
parent's tests run on its children, once per cell, through the `variant` fixture
(tests/utils/harness.py). tests/build/, tests/family/ and tests/release/ run once per run. The
images the selected tests need are baked once per session, across xdist workers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import pytest
from python_on_whales import docker

from python_deps.bake import missing_docker
from python_deps.matrix import Variant
from python_deps.runner import engine_arch
from python_deps.sbom import bake_sboms
from python_deps.sizes import Layer, read_layers
from tests.utils.containers import probe_gpu, run_in, start_postgres
from tests.utils.harness import POSTGRES_TARGET, selected_variants
from tests.utils.harness_bake import bake_for
from tests.utils.once import Once, is_controller


def pytest_configure(config: pytest.Config) -> None:
    # Once, before any worker starts: they run under the controller that checked.
    if is_controller(config) and not (config.option.help or config.option.markers):
        problem = missing_docker()
        if problem:
            raise pytest.UsageError(problem)


@pytest.fixture
def variant(request: pytest.FixtureRequest) -> Variant:
    """The image under test: a variant target of the bake group, for one cell (parametrized by
    pytest_generate_tests from the test's folder)."""
    return request.param


@pytest.fixture
def images(once: Once, pytestconfig: pytest.Config) -> dict[str, str]:
    """Image name of each bake target, baked once for all workers; a failed bake fails the
    first test that needs it."""
    result = once("bake", bake_for(pytestconfig))
    if "error" in result:
        once.report("bake", result["error"])
    return result["images"]


@pytest.fixture(scope="module")
def variant_images(once: Once, pytestconfig: pytest.Config) -> list[dict]:
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
def sbom_files(once: Once, images: dict[str, str]) -> dict[str, dict[str, str]]:
    """{target: {platform: SBOM file}} of every variant under test, as `make sbom` writes them;
    baked once, after the images."""
    baked = [variant for variant in selected_variants() if variant.target in images]
    result = once("sbom", lambda folder: bake_sboms(baked, folder / "sbom"))
    if "error" in result:
        once.report("sbom", result["error"])
    return result["files"]


@pytest.fixture
def sbom(sbom_files, variant: Variant) -> Callable[..., dict]:
    """sbom(platform): the variant's SBOM for a platform, the engine's by default."""
    engine_platform = f"linux/{engine_arch()}"
    return lambda platform=engine_platform: json.loads(
        Path(sbom_files[variant.target][platform]).read_text()
    )


@pytest.fixture(scope="session")
def layers(once: Once) -> Callable[[str], list[Layer]]:
    """layers(image): the image's layers (python_deps/sizes.py), read once per image for all
    workers."""

    def read_once(image: str) -> list[Layer]:
        key = "layers-" + "".join(c if c.isalnum() or c in "_.-" else "_" for c in image)
        result = once(key, lambda _: {"layers": [asdict(layer) for layer in read_layers(image)]})
        return [Layer(**layer) for layer in result["layers"]]

    return read_once


@pytest.fixture(scope="session")
def postgres(once: Once, pytestconfig: pytest.Config):
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
def gpu_available(once: Once, images: dict[str, str], request: pytest.FixtureRequest) -> None:
    """Skip (or, with --require-gpu, fail) unless `docker run --gpus all` works on this engine.
    Probed once per session."""
    probe = once("gpu-probe", lambda _: probe_gpu(next(iter(images.values()))))
    if "reason" in probe:
        if request.config.getoption("--require-gpu"):
            pytest.fail(f"--require-gpu: {probe['reason']}", pytrace=False)
        pytest.skip(probe["reason"])
