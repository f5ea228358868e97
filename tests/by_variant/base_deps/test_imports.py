"""Every distribution the variant's requirement sets ask for is installed and imports: on the
engine's platform one test each, and on every other platform the image is built for (arm64
on an amd64 machine), all in one container under emulation."""

import pytest

from python_deps.bake import bake_group
from python_deps.matrix import MACHINES, parent_of, variants
from tests.utils.containers import run_in


def test_distribution_imports(run, distribution):
    modules = run("python3", "/units/import_distribution.py", distribution)
    assert modules.strip(), f"{distribution}: no module imported"


def test_every_distribution_imports_on_the_foreign_platforms(variant, image):
    """Under emulation, an import of everything takes minutes: where the parent variant's image is
    built for the platform too, its distributions are imported there, and here only the ones this
    variant adds (it starts with the parent's very layers, tests/release/test_registry.py)."""
    if not variant.foreign_platforms:
        pytest.skip(f"{variant} is built for the engine's platform only (PLATFORM_PROFILE)")
    parent = parent_of(variant, variants(bake_group()))
    for platform in variant.foreign_platforms:
        machine = run_in(
            image, "python3", "-c", "import platform; print(platform.machine())", platform=platform
        ).strip()
        assert machine == MACHINES[platform], f"{variant}: its {platform} image runs {machine} code"
        wanted = variant.requested(own_only=parent is not None and platform in parent.platforms)
        imported = run_in(
            image, "python3", "/units/import_distribution.py", *wanted, platform=platform
        ).splitlines()
        assert len(imported) == len(wanted), f"{variant} on {platform}: imported {imported}"
