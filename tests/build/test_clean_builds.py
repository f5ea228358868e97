"""Clean builds of base-deps (no build cache): one from a wheelhouse, with the build's network
turned off, gives the very layers of an online one, so two clean builds are the same and the
offline image passes every test the online image passes; a variant installed on the build
platform and copied in has the layers of one installed in the image. The hermetic base is
rebuilt too and must give the layers the harness's variants were built on. And a rebuild from
the cache, of the same commit, gives the very images the harness tested: promotion by digest
means something."""

import json
from pathlib import Path

import pytest
from python_on_whales import docker

from python_deps.bake import build_environment
from python_deps.matrix import variants
from tests.utils.bake import bake_under_own_tag, run_bake
from tests.utils.containers import platform_manifest
from tests.utils.harness import DEFAULT_PYTHON, default_variant

pytestmark = pytest.mark.slow

SOURCE_DATE_EPOCH = "1700000000"
# The default cell's base variant, and its base as a target of the bake file, so that a clean
# build rebuilds the hermetic base too.
HERMETIC_BASE = {
    "BASE_IMAGES": f"{DEFAULT_PYTHON}=target:python-base-py{DEFAULT_PYTHON.replace('.', '')}"
}


def clean_build(**variables: str) -> list[str]:
    """Bake python-deps with no build cache, the hermetic base included, and SOURCE_DATE_EPOCH,
    under a TAG of its own; the diff IDs of its layers. The tag is removed afterwards."""
    build, image = bake_under_own_tag(
        "python-deps",
        "--no-cache",
        SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH,
        **HERMETIC_BASE,
        **variables,
    )
    assert build.returncode == 0, f"clean build failed:\n{build.stderr[-3000:]}"
    try:
        return docker.image.inspect(image).root_fs.layers
    finally:
        docker.image.remove(image)


@pytest.fixture
def online_build(once, images) -> list[str]:
    """One clean online build, shared by the tests and the xdist workers, after the harness's
    bake."""
    return once("clean-build-online", lambda _: {"layers": clean_build()})["layers"]


def test_a_variant_installed_on_the_build_platform_has_the_layers_of_one_installed_in_the_image(
    images,
):
    """A variant's own lock installs in the image on the build platform's own platform, and on the
    build platform, its files copied in, for a foreign one (the Dockerfile's INSTALLS): both give
    the same layers, so an arm64 image built on amd64 is the image an arm64 machine builds. From
    the build cache: only the variant's install runs, the layers below are the harness's."""
    build, image = bake_under_own_tag(
        "python-deps-iceberg", "--set=*.args.INSTALLS=copied", SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH
    )
    assert build.returncode == 0, f"the build failed:\n{build.stderr[-3000:]}"
    try:
        assert (
            docker.image.inspect(image).root_fs.layers
            == docker.image.inspect(
                images[variants(["python-deps-iceberg"])[0].target]
            ).root_fs.layers
        )
    finally:
        docker.image.remove(image)


def test_a_clean_build_of_the_base_gives_the_layers_the_variants_were_built_on(
    online_build, images
):
    """Were the base not reproducible, a rebuild of it (after the build cache dropped it) would
    fork from the variant layers still cached on the old one."""
    base_layers = docker.image.inspect(images[default_variant().base_target]).root_fs.layers
    assert online_build[: len(base_layers)] == base_layers


def test_offline_build_from_a_wheelhouse_gives_the_online_layers(online_build, tmp_path: Path):
    wheelhouse = tmp_path / "wheelhouse"
    download = run_bake(
        f"--allow=fs={tmp_path}",
        "wheelhouse",
        WHEELHOUSE=str(wheelhouse),
        WHEELHOUSE_VARIANTS="python-deps",
    )
    assert download.returncode == 0, f"make wheelhouse failed:\n{download.stderr[-3000:]}"
    assert (
        any(wheelhouse.glob("pyspark-*.tar.gz"))
        and any(wheelhouse.glob("uv-*.whl"))
        and any(wheelhouse.glob("setuptools-*.whl"))
    )

    offline = {"WHEELHOUSE": str(wheelhouse), "CA_BUNDLE": ""}
    printed = json.loads(run_bake("--print", "python-deps", **offline).stdout)["target"][
        default_variant().target
    ]
    assert printed["network"] == "none" and printed["contexts"]["wheelhouse"] == str(wheelhouse)
    assert clean_build(**offline) == online_build


def test_a_rebuild_of_the_same_commit_gives_the_images_tested(images, variant_images):
    """Per platform, the image manifest (config and layers) is the one tested: its times are
    the commit's (SOURCE_DATE_EPOCH) and the rootfs's, not the build's. The index around them
    differs, by the provenance attestation alone, which records the build's own time and id."""
    assert build_environment()["SOURCE_DATE_EPOCH"], "no commit time: images take the build's"
    tested = next(image for image in variant_images if image["target"] == default_variant().target)
    rebuilt, image = bake_under_own_tag(
        "python-deps", PLATFORMS=",".join(default_variant().platforms)
    )
    assert rebuilt.returncode == 0, rebuilt.stderr[-3000:]
    try:
        for platform in default_variant().platforms:
            assert platform_manifest(image, platform) == platform_manifest(
                tested["tags"][0], platform
            ), f"{platform}: the rebuild differs"
    finally:
        docker.image.remove(image)
