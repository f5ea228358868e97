"""Which images each test runs on, and what the harness bakes for the selected tests (a pytest
plugin, registered by the root conftest.py): the variant images, a test image on each
(tests/docker-bake.hcl: Java and the spark user, for iceberg an S3 server), the base of each cell,
and a PostgreSQL server; for a selection of tests, only what those tests use. The bake itself is
tests/utils/harness_bake.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from python_deps.bake import HARNESS_BAKE_FILES, BakeError, bake_group
from python_deps.declaration import declaration
from python_deps.matrix import Variant, parent_of, variants

BY_VARIANT = Path(__file__).parents[1] / "by_variant"
NEEDED = pytest.StashKey[list[str]]()
BAKE_FILES = list(HARNESS_BAKE_FILES)
# The PostgreSQL server of the tests that need one (tests/docker-bake.hcl).
POSTGRES_TARGET = "test-postgres"
# Fixtures that run the test image of a variant.
TEST_IMAGE_FIXTURES = {"test_image", "run_with_test_tools", "postgres"}
# Fixtures of once-per-run tests (tests/build, tests/release) that may use any image baked.
WHOLE_HARNESS_FIXTURES = {"images", "variant_images", "sbom_files"}


def selected_variants() -> list[Variant]:
    """The variant images of the bake group BAKE_GROUP (`ci` unless set)."""
    try:
        return variants(bake_group())
    except BakeError as error:
        raise pytest.UsageError(str(error)) from error


def stage_of(path: Path) -> str:
    """The Dockerfile stage of a test under tests/by_variant/STAGE/ (dashes written as
    underscores)."""
    stage = path.relative_to(BY_VARIANT).parts[0].replace("_", "-")
    stages = [kind.stage for kind in declaration().variants.values()]
    if stage not in stages:
        raise pytest.UsageError(
            f"{path}: tests/by_variant/{path.relative_to(BY_VARIANT).parts[0]} names no stage"
            f" of docker-bake.hcl's variants(): {', '.join(stages)}"
        )
    return stage


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize `variant` (and `distribution`) over the images of the bake group built on the
    stage of the test's folder."""
    if "variant" not in metafunc.fixturenames:
        return
    stage = stage_of(metafunc.definition.path)
    selected = [variant for variant in selected_variants() if stage in variant.lineage]
    if metafunc.definition.get_closest_marker("own_stage"):
        selected = [variant for variant in selected if variant.lineage[-1] == stage]
    if not selected:
        # Said, not pytest's "empty parameter set"; and with --require-gpu a GPU runner's run that
        # builds no gpu image fails: it would otherwise pass having tested nothing.
        missing = (
            f"no image of BAKE_GROUP={' '.join(bake_group())} is built on the {stage} stage"
            " (the gpu image: BAKE_GROUP=gpu-proof)"
        )
        if metafunc.definition.get_closest_marker("gpu") and metafunc.config.getoption(
            "--require-gpu"
        ):
            raise pytest.UsageError(f"--require-gpu: {missing}")
        metafunc.parametrize(
            "variant",
            [pytest.param(None, id="none", marks=pytest.mark.skip(reason=missing))],
            indirect=True,
        )
        return
    if "distribution" in metafunc.fixturenames:
        pairs = [(variant, name) for variant in selected for name in variant.requested()]
        metafunc.parametrize(
            ("variant", "distribution"),
            [
                pytest.param(*pair, id=f"{pair[0]}-{pair[1]}", marks=pytest.mark.cell)
                for pair in pairs
            ],
            indirect=["variant"],
        )
    else:
        metafunc.parametrize(
            "variant",
            [
                pytest.param(variant, id=str(variant), marks=pytest.mark.cell)
                for variant in selected
            ],
            indirect=True,
        )


def pytest_collection_finish(session: pytest.Session) -> None:
    """What the selected tests need baked, the same in every worker."""
    if session.items:
        session.config.stash[NEEDED] = needed_targets(session.items, selected_variants())


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
DEFAULT_PYTHON = declaration().default_cell.python


def default_variant() -> Variant:
    """The default cell's base variant: the target the `python-deps` group builds."""
    return variants(["python-deps"])[0]
