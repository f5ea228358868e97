"""Clean builds of base-deps (no build cache) with SOURCE_DATE_EPOCH: two of them give identical
layers, and one from a wheelhouse, with the build's network turned off, gives the very layers of
the online one, so it passes every test the online image passes."""

import json
import os
import tempfile
import uuid
from pathlib import Path

import pytest
from python_on_whales import docker

from conftest import run_bake

pytestmark = pytest.mark.slow

SOURCE_DATE_EPOCH = "1700000000"


# No build cache for the stages base-deps is made of, and only for those: --no-cache would also
# rebuild the base image, and a rebuild running beside the harness's bake of the same base can
# land in the harness's images.
CLEAN_STAGES = 'target "python-deps" {\n  no-cache-filter = ["tools", "pyspark", "base-deps"]\n}\n'


def clean_build(**variables: str) -> list[str]:
    """Bake python-deps with no build cache for its own stages and SOURCE_DATE_EPOCH, under a
    TAG of its own; the diff IDs of its layers. The tag is removed afterwards."""
    tag = f"clean-{uuid.uuid4().hex[:8]}"
    with tempfile.NamedTemporaryFile("w", suffix=".hcl") as clean_stages:
        clean_stages.write(CLEAN_STAGES)
        clean_stages.flush()
        build = run_bake(f"--file={clean_stages.name}", "--load", "python-deps", SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH, TAG=tag, **variables)
    assert build.returncode == 0, f"clean build failed:\n{build.stderr[-3000:]}"
    image = f"{os.environ.get('REGISTRY', '')}spark-k8s-python-deps:{tag}"
    try:
        return docker.image.inspect(image).root_fs.layers
    finally:
        docker.image.remove(image)


@pytest.fixture
def own_layers(images: dict[str, str]):
    """own_layers(layers): the layers base-deps adds above its base image."""
    base_layers = len(docker.image.inspect(images["test-base"]).root_fs.layers)

    def above_base(layers: list[str]) -> list[str]:
        assert len(layers) > base_layers, f"no layers above the base image's {base_layers}"
        return layers[base_layers:]

    return above_base


@pytest.fixture
def online_build(once, images) -> list[str]:
    """One clean online build, shared by the tests and the xdist workers, after the harness's bake."""
    return once("clean-build-online", lambda _: {"layers": clean_build()})["layers"]


def test_two_clean_builds_give_identical_layers(online_build, own_layers):
    assert own_layers(clean_build()) == own_layers(online_build)


def test_offline_build_from_a_wheelhouse_gives_the_online_layers(online_build, own_layers, tmp_path: Path):
    wheelhouse = tmp_path / "wheelhouse"
    download = run_bake(f"--allow=fs={tmp_path}", "wheelhouse", WHEELHOUSE=str(wheelhouse), WHEELHOUSE_VARIANTS="python-deps")
    assert download.returncode == 0, f"make wheelhouse failed:\n{download.stderr[-3000:]}"
    assert any(wheelhouse.glob("pyspark-*.tar.gz")) and any(wheelhouse.glob("uv-*.whl")) and any(wheelhouse.glob("setuptools-*.whl"))

    offline = {"WHEELHOUSE": str(wheelhouse), "CA_BUNDLE": ""}
    printed = json.loads(run_bake("--print", "python-deps", **offline).stdout)["target"]["python-deps"]
    assert printed["network"] == "none" and printed["contexts"]["wheelhouse"] == str(wheelhouse)
    layers = clean_build(**offline)
    assert own_layers(layers) == own_layers(online_build)
