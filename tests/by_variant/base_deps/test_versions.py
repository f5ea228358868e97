"""Each image holds exactly its lock, and the base packages agree across variants."""

from python_deps.bake import bake_group
from python_deps.matrix import lock_pins, parent_of, variants
from tests.utils.containers import installed_versions


def test_installed_versions_are_the_locked_ones(variant, image):
    installed = installed_versions(image)
    locked = lock_pins(variant.lock_file())
    wrong = {
        name: (version, installed.get(name))
        for name, version in locked.items()
        if installed.get(name) != version
    }
    assert not wrong, (
        f"{variant}: (locked, installed) differ from {variant.lock_file().name}: {wrong}"
    )


def test_base_packages_have_the_base_versions(variant, image, images):
    base_deps = parent_of(variant, variants(bake_group())) or variant
    base = installed_versions(images[base_deps.target])
    installed = installed_versions(image)
    replaced = {
        name: (version, installed.get(name))
        for name, version in base.items()
        if installed.get(name) != version
    }
    assert not replaced, f"{variant}: ({base_deps}, {variant}) versions differ: {replaced}"
