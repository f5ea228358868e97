"""The image's pins travel to the images built on it: PIP_CONSTRAINT and UV_CONSTRAINT name a
file of every distribution its locks install, at the version installed, and pip refuses to break
one."""

import json

from python_deps.labels import PREFIX, image_labels
from python_deps.matrix import lock_pins, normalize

# A pin every image holds, broken on purpose: the one PySpark 3.5's users break most.
BROKEN = "numpy"


def test_constraints_pin_every_locked_distribution_at_its_installed_version(variant, image, run):
    result = json.loads(run("python3", "/units/constraints.py", BROKEN))
    path = image_labels(image)[f"{PREFIX}.constraints"]
    assert result["pip_constraint"] == result["uv_constraint"] == path, result
    pins = {normalize(name): version for name, version in result["pins"].items()}
    assert pins == lock_pins(variant.lock_file()), f"{variant}: {path} is not its lock's pins"
    moved = {
        name: (version, result["installed"][name])
        for name, version in result["pins"].items()
        if result["installed"][name] != version
    }
    assert not moved, f"{variant}: installed versions differ from the pins: {moved}"


def test_pip_refuses_to_break_a_pin_naming_the_package(variant, run):
    result = json.loads(run("python3", "/units/constraints.py", BROKEN))
    assert result["broken_pin_exit"] != 0, f"{variant}: pip broke the {BROKEN} pin"
    error = result["broken_pin_error"]
    assert f"{BROKEN}=={result['pins'][BROKEN]}" in error and "constraint" in error, error
