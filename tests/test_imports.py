"""Every distribution the variant's requirement sets ask for is installed and imports: on the
engine's platform one test each, and on every other platform the image is built for (arm64
on an amd64 machine), all in one container under emulation."""

import pytest

from tests.shared.containers import run_in


def test_distribution_imports(run, distribution):
    modules = run("python3", "/units/import_distribution.py", distribution)
    assert modules.strip(), f"{distribution}: no module imported"


def test_every_distribution_imports_on_the_foreign_platforms(variant, image):
    if not variant.foreign_platforms:
        pytest.skip(f"{variant} is built for the engine's platform only (PLATFORMS)")
    for platform in variant.foreign_platforms:
        machine = run_in(image, "python3", "-c", "import platform; print(platform.machine())", platform=platform).strip()
        assert machine == {"linux/arm64": "aarch64", "linux/amd64": "x86_64"}[platform], f"{variant}: its {platform} image runs {machine} code"
        imported = run_in(image, "python3", "/units/import_distribution.py", *variant.requested(), platform=platform).splitlines()
        assert len(imported) == len(variant.requested()), f"{variant} on {platform}: imported {imported}"
