"""make publish (python -m python_deps publish) when things go wrong: each refusal or failure is
one line naming the problem and the fix, exits non-zero, and leaves no tag, in the registry or
locally, that points at an image that was not tested or not wholly pushed."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
import uuid

import bcrypt
import pytest

from python_deps.testing.registry import Registry, free_port
from tests.utils.publishing import (
    publish,
    publish_command,
    publish_environment,
    record_tested,
)


@pytest.fixture(scope="module")
def default_image(variant_images) -> dict:
    """The python-deps image of the default cell (tagged latest): the one the tests here publish."""
    return next(
        image
        for image in variant_images
        if any(tag.endswith(":latest") for tag in image["tags"])
        and "-gpu" not in image["target"]
        and "-iceberg" not in image["target"]
    )


def error_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0, f"publish succeeded: {result.stdout}"
    assert len(lines) == 1, f"not one line: {result.stderr}"
    return lines[0]


def local_tag_exists(image: str) -> bool:
    return (
        subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode == 0
    )


def test_refuses_without_a_green_run(tmp_path):
    result = publish("127.0.0.1:1/x/", tmp_path / "none.json")
    assert "no green test run is recorded" in error_line(result)


def test_refuses_an_image_changed_since_it_was_tested(default_image, tmp_path):
    with Registry(tmp_path / "registry") as registry:
        stale = {**default_image, "digest": "sha256:" + "0" * 64}
        line = error_line(publish(f"{registry.address}/x/", record_tested(tmp_path, [stale])))
        assert "the tests tested sha256:000" in line and "nothing was pushed" in line, line
        assert json.loads(registry.get("_catalog")[0])["repositories"] == [], "something was pushed"


def test_refuses_a_run_that_recorded_no_sbom(default_image, tmp_path):
    with Registry(tmp_path / "registry") as registry:
        line = error_line(
            publish(
                f"{registry.address}/x/", record_tested(tmp_path, [{**default_image, "sboms": {}}])
            )
        )
        assert (
            f"the test run recorded no SBOM for {default_image['target']}" in line
            and "nothing was pushed" in line
        ), line
        assert json.loads(registry.get("_catalog")[0])["repositories"] == [], "something was pushed"


def test_refuses_a_run_of_another_revision(default_image, tmp_path):
    line = error_line(
        publish("127.0.0.1:1/x/", record_tested(tmp_path, [default_image], revision="0" * 40))
    )
    assert f"the tests ran on revision {'0' * 40}" in line, line


def test_an_unreachable_registry_is_named(default_image, tmp_path):
    address = f"127.0.0.1:{free_port()}"
    line = error_line(publish(f"{address}/x/", record_tested(tmp_path, [default_image])))
    assert f"cannot reach the registry {address}" in line and "nothing was pushed" in line, line
    assert not local_tag_exists(f"{address}/x/{default_image['tags'][0]}")


def test_wrong_credentials_are_named_with_the_fix(default_image, tmp_path):
    htpasswd = tmp_path / "htpasswd"
    # The registry's htpasswd file takes bcrypt hashes only.
    htpasswd.write_text(f"pusher:{bcrypt.hashpw(b'right', bcrypt.gensalt()).decode()}\n")
    config = tmp_path / "docker-config"
    with Registry(tmp_path / "registry", htpasswd=htpasswd) as registry:
        config.mkdir()
        (config / "config.json").write_text(
            json.dumps(
                {"auths": {registry.address: {"auth": base64.b64encode(b"pusher:wrong").decode()}}}
            )
        )
        line = error_line(
            publish(
                f"{registry.address}/x/",
                record_tested(tmp_path, [default_image]),
                DOCKER_CONFIG=str(config),
            )
        )
        assert (
            f"{registry.address} refused the credentials" in line
            and f"docker login {registry.address}" in line
        ), line
    assert not local_tag_exists(f"{registry.address}/x/{default_image['tags'][0]}")


@pytest.fixture
def own_image(tmp_path):
    """An image of this test's own, whose layer no other test pushes: dockerd waits on an upload
    of the same layer in progress, and one cut off by a stopped registry never ends, so a push of
    shared layers here would stall every later push of them."""
    name = f"spark-k8s-publish-test:{uuid.uuid4().hex[:8]}"
    (tmp_path / "context").mkdir()
    (tmp_path / "context" / "payload").write_bytes(os.urandom(64 * 1024 * 1024))
    subprocess.run(
        [
            "docker",
            "buildx",
            "build",
            "--load",
            "--provenance=false",
            "--tag",
            name,
            "-f",
            "-",
            str(tmp_path / "context"),
        ],
        input="FROM scratch\nCOPY payload /\n",
        text=True,
        check=True,
        capture_output=True,
    )
    digest = subprocess.run(
        ["docker", "image", "inspect", "--format={{.Id}}", name],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    yield {"target": "publish-test", "tags": [name], "digest": digest}
    subprocess.run(["docker", "image", "rm", name], capture_output=True)


def test_a_push_cut_off_midway_leaves_no_tag_and_a_rerun_finishes_it(own_image, tmp_path):
    registry = Registry(tmp_path / "registry").start()
    prefix = f"{registry.address}/x/"
    record = record_tested(tmp_path, [own_image])
    name = own_image["tags"][0].split("/")[-1]
    repository = "x/" + name.split(":")[0]
    try:
        pushing = subprocess.Popen(
            publish_command(prefix, record),
            env=publish_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Stopped as soon as the first layer lands: the rest of the image is still to come.
        for _ in range(600):
            if registry.blobs() or pushing.poll() is not None:
                break
            time.sleep(0.05)
        registry.stop()
        _, errors = pushing.communicate(timeout=300)
        assert pushing.returncode != 0, "the push succeeded before the registry stopped"
        last = errors.strip().splitlines()[-1]
        assert (
            f"the push to {registry.address} broke off" in last and "run again to finish" in last
        ), errors
        assert not local_tag_exists(prefix + name), (
            f"{prefix + name} is tagged locally though it was not pushed"
        )

        registry.start()
        assert registry.tags(repository) == [], (
            f"tags at a partial image: {registry.tags(repository)}"
        )
        rerun = publish(prefix, record)
        assert rerun.returncode == 0, rerun.stderr
        for tag in own_image["tags"]:
            assert registry.manifest(repository, tag.split(":")[-1])[0] == own_image["digest"]
    finally:
        registry.stop()
        subprocess.run(
            ["docker", "image", "rm", prefix + name], capture_output=True
        )  # the alias publish made
