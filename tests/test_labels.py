"""Image labels: what each image is and what is inside it, readable without running it."""

import hashlib
import os

from python_on_whales import docker

from tests.shared.bake import DEPS_DIR

OCI = "org.opencontainers.image"


def labels_of(image: str) -> dict[str, str]:
    return docker.image.inspect(image).config.labels or {}


def test_oci_labels_describe_the_image(variant, image):
    labels = labels_of(image)
    for key in ("title", "description", "version", "created"):
        assert labels.get(f"{OCI}.{key}"), f"{variant}: no {OCI}.{key} label: {labels}"
    assert labels[f"{OCI}.version"] == variant.cell
    # Set by the Makefile from git; a bare `pytest` run builds without them.
    for key, variable in (("revision", "REVISION"), ("source", "SOURCE_URL")):
        if os.environ.get(variable):
            assert labels.get(f"{OCI}.{key}") == os.environ[variable]


def test_lock_digest_label_is_the_digest_of_the_installed_locks(variant, image):
    """Anyone can recompute it from the locks the image names: cat them in order | sha256sum."""
    labels = labels_of(image)
    locks = labels["spark-k8s.python-deps.locks"].split()
    assert locks[0] == "locks/build.txt"
    assert DEPS_DIR / locks[-1] == variant.lock_file(), f"{variant}: the labelled locks end with {locks[-1]}"
    digest = hashlib.sha256(b"".join((DEPS_DIR / lock).read_bytes() for lock in locks)).hexdigest()
    assert labels["spark-k8s.python-deps.lock-digest"] == f"sha256:{digest}", (
        f"{variant}: the lock digest label is stale; run make lock (it writes docker-bake.json)"
    )
