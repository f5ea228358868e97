"""The gpu and iceberg stages sit on the base-deps layers and only add to them."""

import pytest

pytestmark = pytest.mark.stage("base-deps")


def test_variant_starts_with_the_base_deps_layers(variant, image, images, layers):
    base = [layer["digest"] for layer in layers(images["python-deps"])]
    own = [layer["digest"] for layer in layers(image)]
    assert own[: len(base)] == base, f"{variant} does not share the python-deps layers: {own} vs {base}"


def test_variant_layers_shadow_no_base_deps_file(variant, image, images, layers):
    base_files = {path for layer in layers(images["python-deps"]) for path in layer["files"]}
    added = layers(image)[len(layers(images["python-deps"])) :]
    shadowed = sorted(path for layer in added for path in layer["files"] if path in base_files)
    assert not shadowed, (
        f"{variant}: {len(shadowed)} base-deps files rewritten or deleted by its own layers, e.g. {shadowed[:10]}"
    )
