"""Layers: shared with base-deps, within their size budgets, free of waste, caches and secrets."""

import hashlib
import re
import tomllib
from pathlib import Path

import pytest

from python_deps import ROOT
from python_deps.bake import bake_group, build_environment
from python_deps.labels import PREFIX, image_labels
from python_deps.matrix import parent_of, variants

BUDGETS = tomllib.loads((ROOT / "tests" / "layer_budgets.toml").read_text())
MB = 10**6
# What a package manager or a build leaves behind and no layer should keep.
LEFTOVERS = re.compile(
    r"^tmp/|(^|/)(\.cache/(pip|uv)/|var/cache/apt/archives/.+\.deb$|var/lib/apt/lists/[^/]+_Packages|run/secrets/)"
)


@pytest.fixture
def parent_image(variant, images):
    """The image the variant's stage is built on: its cell's base image for base-deps, else the
    target of the parent stage in the same cell."""
    parent = parent_of(variant, variants(bake_group()))
    return images[parent.target if parent else variant.base_target]


@pytest.fixture
def added(image, parent_image, layers):
    """The layers the variant's own stage adds."""
    return layers(image)[len(layers(parent_image)) :]


def test_variant_starts_with_the_layers_of_its_parent(variant, image, parent_image, layers):
    """gpu and iceberg share base-deps' layers, and base-deps the base image's: none is rebuilt."""
    parent = [layer.digest for layer in layers(parent_image)]
    own = [layer.digest for layer in layers(image)]
    assert own[: len(parent)] == parent, (
        f"{variant} does not start with the layers of {parent_image}: {own} vs {parent}"
    )


def test_layers_within_budget(variant, added):
    budget = BUDGETS[variant.name]
    for layer in added:
        top = ", ".join(f"{name} {size / MB:.0f} MB" for name, size in layer.largest_entries())
        assert layer.size <= budget["layer"] * MB, (
            f"{variant}: layer {layer.size / MB:.0f} MB > budget {budget['layer']} MB "
            f"(tests/layer_budgets.toml), made by `{layer.instruction[:120]}`; largest: {top}"
        )
    total = sum(layer.size for layer in added)
    assert total <= budget["total"] * MB, (
        f"{variant}: layers {total / MB:.0f} MB > total budget {budget['total']} MB"
    )


def test_no_layer_rewrites_or_deletes_a_lower_layers_file(variant, image, layers, added):
    """No wasted bytes: a file a lower layer wrote is never overwritten or deleted above it.
    For gpu and iceberg this also means they never shadow a base-deps file, but for the one
    they replace on purpose: the constraints, their pins in place of base-deps' (a few KB)."""
    replaced = {image_labels(image)[f"{PREFIX}.constraints"].lstrip("/")}
    all_layers = layers(image)
    first_added = len(all_layers) - len(added)
    lower_files = {
        path: size for lower in all_layers[:first_added] for path, size in lower.files.items()
    }
    for layer in added:
        shadowed = sorted(path for path in layer.files if path in lower_files.keys() - replaced)
        wasted = sum(max(lower_files[path], 0) for path in shadowed)
        assert not shadowed, (
            f"{variant}: wasted-bytes={wasted} in {len(shadowed)} files written below"
            " and rewritten or deleted by "
            f"`{layer.instruction[:100]}`, e.g. {shadowed[:8]}"
        )
        lower_files.update(layer.files)


def test_no_package_cache_build_secret_or_ca_bundle_in_layers(variant, added):
    ca_bundle = build_environment()["CA_BUNDLE"]
    ca_digest = hashlib.sha256(Path(ca_bundle).read_bytes()).hexdigest() if ca_bundle else None
    for layer in added:
        leftovers = sorted(path for path in layer.files if LEFTOVERS.search(path))
        assert not leftovers, (
            f"{variant}: caches or secrets left in `{layer.instruction[:100]}`: {leftovers[:8]}"
        )
        leaked = sorted(path for path, digest in layer.certificates.items() if digest == ca_digest)
        assert not leaked, (
            f"{variant}: the build's CA bundle ({ca_bundle}) is stored in the image at {leaked}"
        )
