"""Executor cold start: what a Spark-on-Kubernetes user waits for when an executor pod lands on a
node that never pulled its image. From an empty engine: the pull (download and unpack), the
container's start, the JVM, and the first pandas UDF answered by a Python worker in it; for
python-deps and the spec's naive image of the default cell, each with the Java runtime and spark
user a Spark image adds (tests/images/runtime), side by side, the median of --runs runs each,
the two taking turns. Then where a pull's time goes: layers, files, bytes, the transfer alone
(every blob read from the registry), and what is left, unpacking.

The task runs in a local[1] session in the pod's own container (one JVM for driver and executor):
an executor's start without the handshake with a driver elsewhere, which is the same for both
images.

    python benchmarks/executor_start.py [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import (  # noqa: E402
    MB,
    REPORTS,
    Pulls,
    bake,
    bake_definition,
    fail,
    print_table,
    write_json,
)
from rebuild import BUILDS, WORK, bake_variable, prepare  # noqa: E402

from python_deps.runner import engine_arch  # noqa: E402
from python_deps.sizes import read_layers  # noqa: E402
from python_deps.testing.engine import SecondEngine  # noqa: E402

# The first task an executor runs: a pandas UDF through Arrow, in a Python worker of the JVM.
FIRST_TASK = """
import pandas as pd
from pyspark.sql import SparkSession
from pyspark.sql.functions import pandas_udf
spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
@pandas_udf("long")
def plus_one(values: pd.Series) -> pd.Series:
    return values + 1
print(spark.range(1).select(plus_one("id")).collect()[0][0])
"""


def transfer_seconds(pulls: Pulls, remote: str) -> float:
    """Seconds to read every compressed layer a pull downloads, straight from the registry."""
    repository = remote.split("/", 1)[1].rsplit(":", 1)[0]
    start = time.monotonic()
    for digest in pulls.layers(remote):
        url = f"http://{pulls.registry.address}/v2/{repository}/blobs/{digest}"
        with urllib.request.urlopen(url, timeout=120) as blob:
            while blob.read(1 << 20):
                pass
    return time.monotonic() - start


def cold_start(pulls: Pulls, remote: str, attempt: str) -> dict:
    """Pull into an engine started empty, then the first task in a container of the image."""
    with SecondEngine(pulls.folder / f"engine-{attempt}") as engine:
        pull = pulls.timed_pull(engine, remote)
        start = time.monotonic()
        task = engine.docker(
            "run", "--rm", "--user", "185", remote, "python3", "-c", FIRST_TASK, check=False
        )
        first_task = time.monotonic() - start
        if task.returncode != 0 or task.stdout.strip().splitlines()[-1:] != ["1"]:
            fail(f"the first task in {remote} failed:\n{task.stderr[-3000:]}")
    return {"pull": pull, "first_task": first_task}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="cold starts of each image (default 3)")
    parser.add_argument(
        "--json",
        default=str(REPORTS / "benchmark-executor.json"),
        help="where to write the figures",
    )
    args = parser.parse_args()

    targets = [f"{build}-executor" for build in BUILDS]
    definition = bake_definition(*targets)
    spark = bake_variable(definition, "ours", "SPARK_VERSION")
    python = bake_variable(definition, "ours", "PYTHON_VERSION")
    for build in BUILDS:
        prepare(build, spark)
    print(f"benchmark: building {' '.join(targets)}", file=sys.stderr)
    bake(*targets, log="executor")
    images = {build: definition["target"][f"{build}-executor"]["tags"][0] for build in BUILDS}

    figures: dict = {"cell": {"spark": spark, "python": python}, "arch": engine_arch()}
    with Pulls(WORK) as pulls:
        remote = {build: pulls.push(images[build], f"{build}-executor", "cold") for build in BUILDS}
        runs: dict[str, list[dict]] = {build: [] for build in BUILDS}
        for attempt in range(args.runs):
            # Taking turns, so that a slow spell of the machine falls on both.
            for build in BUILDS if attempt % 2 == 0 else reversed(BUILDS):
                print(f"benchmark: {build}: executor cold start {attempt + 1}", file=sys.stderr)
                runs[build].append(cold_start(pulls, remote[build], f"{build}-{attempt}"))
        for build in BUILDS:
            layers = read_layers(images[build])
            totals = [run["pull"] + run["first_task"] for run in runs[build]]
            pull = statistics.median(run["pull"] for run in runs[build])
            transfer = statistics.median(
                transfer_seconds(pulls, remote[build]) for _ in range(args.runs)
            )
            figures[build] = {
                "runs": runs[build],
                "total_seconds": statistics.median(totals),
                "pull_seconds": pull,
                "first_task_seconds": statistics.median(run["first_task"] for run in runs[build]),
                "transfer_seconds": transfer,
                "unpack_seconds": pull - transfer,
                "layers": len(layers),
                "files": sum(len(layer.files) for layer in layers),
                "compressed_bytes": sum(pulls.layers(remote[build]).values()),
                "bytes": sum(layer.size for layer in layers),
            }
    shutil.rmtree(WORK)
    subprocess.run(["docker", "image", "rm", *images.values()], capture_output=True)
    write_json(Path(args.json), figures)

    naive, ours = figures["naive"], figures["ours"]
    rows = [
        ["empty engine to first pandas UDF (s)", "total_seconds"],
        ["  pull: download + unpack (s)", "pull_seconds"],
        ["    transfer alone (s)", "transfer_seconds"],
        ["    the rest: unpacking (s)", "unpack_seconds"],
        ["  container, JVM, first task (s)", "first_task_seconds"],
        ["layers", "layers"],
        ["files", "files"],
        ["compressed (MB)", "compressed_bytes"],
        ["unpacked (MB)", "bytes"],
    ]
    table = []
    for label, key in rows:
        scale = MB if key.endswith("bytes") else 1
        values = [naive[key] / scale, ours[key] / scale] if scale != 1 else [naive[key], ours[key]]
        table.append([label, *values, ours[key] / naive[key]])
    print_table(
        f"Executor cold start, Spark {spark}, Python {python}, linux/{engine_arch()};"
        f" median of {args.runs} each",
        ["naive", "ours", "ours/naive"],
        table,
        [
            f"each run, total (s): {build} "
            + ", ".join(f"{run['pull'] + run['first_task']:.1f}" for run in figures[build]["runs"])
            for build in BUILDS
        ]
        + [f"figures: {args.json}"],
    )


if __name__ == "__main__":
    main()
