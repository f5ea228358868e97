"""Every installed wheel was built for this interpreter and platform."""

import json


def test_installed_wheels_fit_the_image(run):
    misfits = json.loads(run("python3", "/units/wheel_tags.py"))
    assert not misfits, f"wheels whose tags fit neither this Python nor this platform: {misfits}"
