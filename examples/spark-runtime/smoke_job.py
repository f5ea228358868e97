"""A smoke job for the runtime image, shipped in it at /opt/spark/examples/smoke_job.py as Spark's
own images ship their examples: `smoke_job.py [EXECUTORS]`.

It waits until EXECUTORS executors have registered (none by default: a local master), runs a
scalar pandas UDF over 8 partitions whose tasks say where they ran, and prints one line,
`smoke-job: {JSON}`: the driver's host and Python, each executor host's Python and uid, and the
sum the UDF computed. It exits 1 where the sum is wrong, a task ran on a Python of another minor
than the driver's, or, with EXECUTORS, the tasks did not run on that many hosts other than the
driver's.
"""

import json
import os
import socket
import sys
import time

import pandas as pd
from pyspark.sql import SparkSession
from pyspark.sql.functions import pandas_udf

PARTITIONS = 8
ROWS = 1000
WAIT_SECONDS = 300


def where() -> dict:
    return {
        "host": socket.gethostname(),
        "python": ".".join(map(str, sys.version_info[:3])),
        "uid": os.getuid(),
    }


def report(ids: pd.Series) -> pd.Series:
    # A task that lasts: one executor cannot take every task before the others start one.
    time.sleep(0.3)
    return pd.Series([json.dumps({**where(), "sum": int(ids.sum())}, sort_keys=True)] * len(ids))


def main() -> int:
    executors = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    spark = SparkSession.builder.appName("spark-runtime smoke job").getOrCreate()
    # Every executor up before the first task, so that the tasks spread over them.
    context, deadline = spark.sparkContext, time.monotonic() + WAIT_SECONDS
    while executors and context._jsc.sc().getExecutorMemoryStatus().size() - 1 < executors:
        if time.monotonic() > deadline:
            print(f"smoke-job: fewer than {executors} executors in {WAIT_SECONDS} s", flush=True)
            return 1
        time.sleep(1)
    frame = spark.range(0, ROWS, numPartitions=PARTITIONS)
    rows = frame.select(pandas_udf(report, "string")("id")).distinct().collect()
    reports = [json.loads(row[0]) for row in rows]
    driver = where()
    hosts = {}
    for task in reports:
        hosts.setdefault(task["host"], {"python": task["python"], "uid": task["uid"]})
    result = {
        "driver": driver,
        "spark": spark.version,
        "executors": hosts,
        "sum": sum(task["sum"] for task in reports),
    }
    print(f"smoke-job: {json.dumps(result, sort_keys=True)}", flush=True)
    spark.stop()
    minor = driver["python"].rsplit(".", 1)[0]
    ok = result["sum"] == ROWS * (ROWS - 1) // 2 and all(
        host["python"].rsplit(".", 1)[0] == minor for host in hosts.values()
    )
    if executors:
        ok = ok and len(hosts) == executors and driver["host"] not in hosts
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
