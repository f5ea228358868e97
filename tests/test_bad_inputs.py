"""Bad input to the bake: one clear error naming the problem and the fix, and no tag left that
looks valid. Each build is tagged with a TAG of its own, so a tag left behind is caught."""

import os
import subprocess
import uuid

import pytest

from conftest import ROOT, bake_entitlements


def bake(target: str, **variables: str) -> tuple[subprocess.CompletedProcess, str]:
    """Bake one target of docker-bake.hcl with these variables and a fresh TAG; the result and
    the image name it would have tagged."""
    tag = f"bad-input-{uuid.uuid4().hex[:8]}"
    result = subprocess.run(
        ["docker", "buildx", "bake", "--file", str(ROOT / "docker-bake.hcl"), "--progress=plain", *bake_entitlements(), target],
        env={**os.environ, **variables, "TAG": tag}, capture_output=True, text=True, cwd=ROOT,
    )
    return result, f"spark-k8s-{target}:{tag}"


def assert_failed_without_a_tag(result: subprocess.CompletedProcess, image: str, message: str) -> None:
    assert result.returncode != 0, f"the bake succeeded: {result.stderr[-500:]}"
    assert message in result.stderr, f"expected {message!r} in:\n{result.stderr[-2000:]}"
    left = subprocess.run(["docker", "image", "inspect", image], capture_output=True)
    assert left.returncode != 0, f"a failed bake left the tag {image}"


def test_unknown_variant_is_named():
    result, image = bake("python-deps-cuda")
    assert_failed_without_a_tag(result, image, "failed to find target python-deps-cuda")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PYTHON_VERSION", "3.9", "PYTHON_VERSION 3.9 has no lock files: use one of 3.10, 3.11, or add it to PYTHON_VERSIONS and run make lock."),
        ("SPARK_VERSION", "9.9", "SPARK_VERSION 9.9 has no lock files: use one of 4.2, or add it to SPARK_VERSIONS and run make lock."),
    ],
)
def test_version_without_locks_is_refused_before_building(variable, value, message):
    result, image = bake("python-deps", **{variable: value})
    assert_failed_without_a_tag(result, image, message)


def test_base_image_with_another_python_stops_the_build():
    """The hermetic base carries Python 3.11; asking for 3.10 stops before anything installs."""
    result, image = bake("python-deps", BASE_IMAGE="target:python-base-debian", PYTHON_VERSION="3.10")
    assert_failed_without_a_tag(
        result, image,
        "error: BASE_IMAGE has Python 3.11 but PYTHON_VERSION is 3.10: set PYTHON_VERSION=3.11, or use a base image with Python 3.10",
    )
