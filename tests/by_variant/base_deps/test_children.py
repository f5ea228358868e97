"""An image built FROM this one keeps its pins: the Jupyter example (examples/jupyter), built on
the image's tag, installs JupyterLab, a kernel and a package from its source distribution (through
pip's isolated build environment, which the constraints reach too) and leaves every pin and
PySpark's checks as they were; a child that asks for another NumPy fails its build, naming it."""

import json

import pytest
from python_on_whales import docker

from python_deps import REPORTS
from python_deps.matrix import lock_pins, normalize
from tests.utils.children import bake_child
from tests.utils.containers import run_in

# docopt has no wheel; --use-pep517 builds it in an isolated environment even where the image's
# pip would fall back to setup.py install.
FROM_SOURCE = "--use-pep517 docopt==0.6.2"


# Once per cell: how pins reach a child (PIP_CONSTRAINT, pip's isolated build) is the base stage's;
# each variant's constraints binding its children are the refused child's proof, below.
@pytest.mark.own_stage
def test_a_jupyter_child_keeps_every_pin_and_pysparks_checks(variant, image):
    result, child = bake_child(f"docker-image://{image}", FROM_SOURCE)
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"child-{variant}.log").write_text(result.stderr)
    assert result.returncode == 0, f"{variant}: the child's build failed:\n{result.stderr[-3000:]}"
    try:
        pins = json.loads(run_in(child, "python3", "/units/constraints.py", "numpy"))
        checks = run_in(
            child,
            "sh",
            "-c",
            "pip check && python3 /units/pyspark_requirements.py"
            " && python3 -c 'import docopt' && jupyter lab --version",
        )
    finally:
        docker.image.remove(child, force=True)
    moved = {name: v for name, v in pins["installed"].items() if v != pins["pins"][name]}
    assert not moved, f"{variant}: the child moved {moved}"
    assert {normalize(name): v for name, v in pins["pins"].items()} == lock_pins(
        variant.lock_file()
    ), f"{variant}: the child's constraints are not its parent's pins"
    assert "No broken requirements found." in checks, checks
    assert "require_minimum_pandas_version" in checks, checks


def test_a_child_that_asks_for_another_numpy_fails_naming_it(variant, image, run):
    pinned = json.loads(run("python3", "/units/constraints.py", "numpy"))["pins"]["numpy"]
    # What a child of each line gets wrong: NumPy 2 where PySpark 3.5 needs 1.x, 1.x elsewhere.
    request = "numpy>=2" if pinned.startswith("1.") else "numpy<2"
    result, child = bake_child(f"docker-image://{image}", request)
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"child-refused-{variant}.log").write_text(result.stderr)
    assert result.returncode != 0, f"{variant}: a child installed {request} over numpy=={pinned}"
    assert f"The user requested (constraint) numpy=={pinned}" in result.stderr, result.stderr[
        -3000:
    ]
    assert not docker.image.exists(child), f"a failed build left the tag {child}"
