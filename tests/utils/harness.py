"""What the harness bakes: the variant images, a test image on each (tests/docker-bake.hcl: Java
and the spark user, for iceberg an S3 server), the base of each cell, and a PostgreSQL server;
for a selection of tests, only what those tests use."""

from __future__ import annotations

import pytest

from python_deps.bake import HARNESS_BAKE_FILES
from python_deps.declaration import declaration
from python_deps.matrix import Variant, parent_of, variants

BAKE_FILES = list(HARNESS_BAKE_FILES)
# The PostgreSQL server of the tests that need one (tests/docker-bake.hcl).
POSTGRES_TARGET = "test-postgres"
# Fixtures that run the test image of a variant.
TEST_IMAGE_FIXTURES = {"test_image", "run_with_test_tools", "postgres"}
# Fixtures of once-per-run tests (tests/build, tests/release) that may use any image baked.
WHOLE_HARNESS_FIXTURES = {"images", "variant_images", "sbom_files"}


def harness_targets(selected: list[Variant]) -> list[str]:
    """Everything the harness can bake for these variants."""
    return [
        *(variant.target for variant in selected),
        *(variant.test_target for variant in selected),
        *sorted({variant.base_target for variant in selected}),
        POSTGRES_TARGET,
    ]


def needed_targets(items: list[pytest.Item], selected: list[Variant]) -> list[str]:
    """The targets these tests use: a test of a variant its image, and its test image, its
    parent's image or its base where its fixtures use them; a once-per-run test everything."""
    needed: set[str] = set()
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        params = getattr(item, "callspec", None)
        if not (params and "variant" in params.params):
            if names & WHOLE_HARNESS_FIXTURES:
                return harness_targets(selected)
            continue
        variant = params.params["variant"]
        if variant is None:
            continue  # skipped: no image of the group is built on its stage
        needed.add(variant.target)
        if names & TEST_IMAGE_FIXTURES:
            needed.add(variant.test_target)
        if "postgres" in names:
            needed.add(POSTGRES_TARGET)
        if "layers" in names:
            parent = parent_of(variant, selected)
            needed.add(parent.target if parent else variant.base_target)
    return [target for target in harness_targets(selected) if target in needed]


# The default cell's Python, as declared (no bake needed).
DEFAULT_PYTHON = declaration().default_cell[1]


def default_variant() -> Variant:
    """The default cell's base variant: the target the `python-deps` group builds."""
    return variants(["python-deps"])[0]
