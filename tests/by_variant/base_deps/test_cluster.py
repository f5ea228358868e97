"""The image as Spark on Kubernetes runs it: a driver in one container and executors in others. A
standalone cluster of the cell's test image (a master, two workers, each in its own container),
and a driver in another submitting pandas and Arrow jobs, and for the iceberg variant an Iceberg
table written by the driver and read by every task. Each task says where it ran."""

import json
import uuid

from python_on_whales import docker

from python_deps import REPORTS
from python_deps.matrix import lock_pins
from tests.utils.containers import WORKERS, run_in, spark_cluster, submit_jobs

JOBS = {"scalar_pandas_udf", "apply_in_pandas", "map_in_arrow"}


def shared_volume(image: str) -> str:
    """A volume for the Iceberg warehouse that every container mounts, the spark user's."""
    volume = docker.volume.create(f"python-deps-cluster-{uuid.uuid4().hex[:8]}")
    run_in(image, "chown", "185:185", "/shared", volumes=[(volume.name, "/shared")], user="0")
    return volume.name


def test_jobs_run_on_both_workers_as_spark_with_the_drivers_python_and_the_locked_versions(
    variant, test_image
):
    iceberg = "iceberg" in variant.lineage
    volume = shared_volume(test_image) if iceberg else None
    try:
        with spark_cluster(test_image, volume) as (network, master):
            result = submit_jobs(
                test_image,
                network,
                master,
                *(["/shared"] if iceberg else []),
                volumes=[(volume, "/shared")] if volume else [],
            )
    finally:
        if volume:
            docker.volume.remove(volume)
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"cluster-{variant}.json").write_text(json.dumps(result, indent=2) + "\n")
    assert "error" not in result, f"{variant}: {result['error']}"
    assert set(result["jobs"]) == JOBS | ({"iceberg"} if iceberg else set())
    driver, pins = result["driver"], lock_pins(variant.lock_file())
    for job, reports in result["jobs"].items():
        assert {report["host"] for report in reports} == set(WORKERS), (
            f"{variant}: {job} ran on {sorted({report['host'] for report in reports})},"
            f" not on both workers and never on the driver ({driver['host']})"
        )
        for report in reports:
            assert report["uid"] == 185, f"{variant}: {job} ran as uid {report['uid']}"
            assert report["python"] == driver["python"], f"{variant}: {job}: {report}"
            for name in ("pandas", "pyarrow", "numpy"):
                assert report[name] == pins[name], f"{variant}: {job}: {name} {report[name]}"
            if job == "iceberg":
                assert report["rows"] == 1000, f"{variant}: Iceberg read {report['rows']} rows"
