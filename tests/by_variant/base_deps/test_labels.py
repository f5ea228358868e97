"""Image labels: what each image is and what is inside it, readable without running it."""

import hashlib

import pytest

from python_deps import DEPS_DIR
from python_deps.bake import build_environment
from python_deps.labels import image_labels

# What a release publishes the images by: every release leg runs these, so do its tests in the
# suite (tests/release/test_release.py).
pytestmark = pytest.mark.release

OCI = "org.opencontainers.image"


def test_oci_labels_describe_the_image(variant, image):
    labels = image_labels(image)
    for key in ("title", "description", "version", "created"):
        assert labels.get(f"{OCI}.{key}"), f"{variant}: no {OCI}.{key} label: {labels}"
    assert labels[f"{OCI}.version"] == str(variant.cell)
    built_with = build_environment()
    for key, variable in (("revision", "REVISION"), ("source", "SOURCE_URL")):
        assert labels.get(f"{OCI}.{key}", "") == built_with[variable], f"{variant}: {key}"


def test_lock_labels_name_the_locks_of_each_platform_and_their_digest(variant, image):
    """Each platform's image names its own lock folder, and anyone can recompute the digest from
    the locks it names: cat locks/build.txt and them in order | sha256sum."""
    for platform in variant.platforms:
        arch = platform.split("/")[1]
        labels = image_labels(image, platform)
        folder = labels["spark-k8s.python-deps.lock-folder"]
        assert DEPS_DIR / folder == variant.lock_folder(arch), (
            f"{variant} {platform}: labelled with the locks of {folder}"
        )
        locks = [
            DEPS_DIR / "locks" / "build.txt",
            *(
                DEPS_DIR / folder / f"{name}.txt"
                for name in labels["spark-k8s.python-deps.locks"].split()
            ),
        ]
        assert locks[-1] == variant.lock_file(arch), (
            f"{variant} {platform}: the labelled locks end with {locks[-1]}"
        )
        digest = hashlib.sha256(b"".join(lock.read_bytes() for lock in locks)).hexdigest()
        assert labels["spark-k8s.python-deps.lock-digest"] == f"sha256:{digest}", (
            f"{variant} {platform}: the lock digest label is stale;"
            " run make lock (it writes docker-bake.json)"
        )
