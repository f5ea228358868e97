"""A driver and its executors run one Python: executors of another minor version fail the first
Python task (PySpark's PYTHON_VERSION_MISMATCH), and the images' labels say so before anything
is submitted (python -m python_deps labels, make check-pair)."""

import json
import subprocess
import sys

import pytest
from python_on_whales import docker

from python_deps import REPORTS, ROOT
from python_deps.bake import HARNESS_BAKE_FILES, definition
from python_deps.declaration import declaration
from python_deps.matrix import variants
from tests.utils.bake import run_bake
from tests.utils.containers import spark_cluster, submit_jobs
from tests.utils.harness import default_variant

# It builds the default line's images on another Python.
pytestmark = pytest.mark.slow


def another_python(spark: str, python: str) -> str:
    """Another Python of the Spark line with a hermetic base (its base needs no registry)."""
    matrix = declaration()
    hermetic = {base.python for base in matrix.hermetic_bases}
    return next(p for p in matrix.spark_lines[spark].pythons if p != python and p in hermetic)


def check_pair(driver: str, executor: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "python_deps", "labels", driver, executor],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_workers_of_another_python_fail_the_job_and_the_labels_say_so_first(images):
    driver = default_variant()
    other = variants(["python-deps"], PYTHON_VERSION=another_python(driver.spark, driver.python))[0]
    other_test_image = definition((other.test_target,), HARNESS_BAKE_FILES)["target"][
        other.test_target
    ]["tags"][0]
    # Its test image only: the variant image is built for it, not tagged.
    built = run_bake(other.test_target, files=HARNESS_BAKE_FILES)
    try:
        assert built.returncode == 0, f"{other.test_target}: {built.stderr[-3000:]}"
        same = check_pair(driver.image, driver.image)
        assert same.returncode == 0, same.stderr
        paired = check_pair(driver.image, other_test_image)
        assert paired.returncode != 0, paired.stdout
        assert f"Python {driver.python} in the driver" in paired.stderr, paired.stderr
        assert f"{other.python} in the executors" in paired.stderr, paired.stderr

        with spark_cluster(other_test_image) as (network, master):
            result = submit_jobs(images[driver.test_target], network, master)
    finally:
        docker.image.remove(other_test_image, force=True)
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "driver-executor-mismatch.json").write_text(
        json.dumps({"check_pair": paired.stderr.strip(), "job": result}, indent=2) + "\n"
    )
    error = result.get("error", "")
    assert "Python in worker has different version" in error, f"the job did not fail: {result}"
    assert f"{other.python}" in error and f"{driver.python}" in error, error
