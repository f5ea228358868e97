"""make release-matrix: the legs, computed from the one declaration of the matrix (bake --print,
nothing built), and the leg's refusals of what names no leg."""

from __future__ import annotations

import json
import subprocess
import sys

from python_deps import ROOT
from python_deps.declaration import declaration
from python_deps.matrix import lock_folder, variants
from tests.utils.make import run_make


def release(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "python_deps", "release", *arguments],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def matrix(group: str) -> list[dict]:
    printed, _ = run_make(ROOT, "-s", "release-matrix", f"RELEASE_GROUP={group}")
    assert printed.returncode == 0, printed.stderr
    return json.loads(printed.stdout)


def test_every_offered_cell_is_a_leg_on_each_platform_and_no_refused_one_is():
    legs = matrix("offered")
    cells = {str(cell) for cell in declaration().cells()}
    platforms = {f"linux/{arch}" for arch in declaration().architectures}
    images = {(leg["cell"], leg["platform"]) for leg in legs if leg["kind"] == "images"}
    assert images == {(cell, platform) for cell in cells for platform in platforms}
    pythons = {python for line in declaration().spark_lines.values() for python in line.pythons}
    for spark, line in declaration().spark_lines.items():
        for python in pythons - set(line.pythons):
            assert not [leg for leg in legs if leg["cell"] == f"spark-{spark}-python-{python}"]
    assert len({leg["leg"] for leg in legs}) == len(legs), "two legs of one name"


def test_gpu_legs_are_where_rapids_has_wheels_on_device_runners():
    legs = matrix("offered")
    gpu = {(leg["cell"], leg["platform"]) for leg in legs if leg["kind"] == "gpu"}
    with_rapids = {
        (str(cell), f"linux/{arch}")
        for cell in declaration().cells()
        for arch in declaration().architectures
        if (lock_folder(cell, arch) / "gpu.txt").is_file()
    }
    assert gpu == with_rapids
    for leg in legs:
        if leg["kind"] == "gpu":
            assert "gpu" in leg["runner"] and "self-hosted" in leg["runner"], leg
            assert leg["variants"] == "python-deps python-deps-gpu", leg
        else:
            assert leg["runner"] in ("ubuntu-24.04", "ubuntu-24.04-arm"), leg
            assert ("arm" in leg["runner"]) == (leg["platform"] == "linux/arm64"), leg


def test_each_leg_names_its_base():
    hermetic = {base.python for base in declaration().hermetic_bases}
    for leg in matrix("offered"):
        python = leg["cell"].rsplit("-", 1)[1]
        if python in hermetic:
            assert leg["base_targets"] == f"python-base-py{python.replace('.', '')}", leg
        else:
            assert leg["base"] == declaration().release_bases[python], leg
            assert leg["base_targets"] == "", leg


def test_pull_requests_get_the_ci_cells_legs_alone():
    legs = matrix("ci")
    assert {(leg["cell"], leg["platform"], leg["kind"]) for leg in legs} == {
        (str(variant.cell), f"linux/{arch}", "images")
        for variant in variants(["ci"])
        for arch in declaration().architectures
    }


def test_a_leg_of_no_cell_is_refused_in_one_line():
    refused = release("leg", "--cell", "spark-3.5-python-3.13", "--platform", "linux/amd64")
    lines = refused.stderr.strip().splitlines()
    assert refused.returncode == 1 and len(lines) == 1, refused.stderr
    assert lines[0].startswith(
        "python-deps release leg: error: no images leg spark-3.5-python-3.13"
    ), lines
    assert "spark-3.5-python-3.11" in lines[0], "the cells offered are not listed"
