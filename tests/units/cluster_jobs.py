"""A Spark driver against a standalone cluster (argv[1], spark://HOST:PORT), which runs a scalar
pandas UDF, applyInPandas and mapInArrow, and with argv[2] (a warehouse folder every container
mounts) an Iceberg table that the driver writes with pyiceberg and each task reads back. Every
function reports where it ran: hostname, uid, Python, pandas, pyarrow, NumPy. Prints JSON: the
driver's own report and each job's distinct reports, or the error of the first job that fails."""

import json
import os
import socket
import sys
import time

import numpy
import pandas as pd
import pyarrow as pa
from pyspark.sql import SparkSession
from pyspark.sql.functions import pandas_udf

TASKS = 8


def where() -> dict:
    # A task that lasts: one executor cannot take every task before the other starts one.
    time.sleep(0.2)
    return {
        "host": socket.gethostname(),
        "uid": os.getuid(),
        "python": ".".join(map(str, sys.version_info[:3])),
        "pandas": pd.__version__,
        "pyarrow": pa.__version__,
        "numpy": numpy.__version__,
    }


REPORT = "host string, uid long, python string, pandas string, pyarrow string, numpy string"


def distinct(rows) -> list[dict]:
    return sorted({json.dumps(row.asDict(), sort_keys=True) for row in rows})


def scalar_udf(frame):
    @pandas_udf("string")
    def report(ids: pd.Series) -> pd.Series:
        return pd.Series([json.dumps(where(), sort_keys=True)] * len(ids))

    return sorted({row[0] for row in frame.select(report("id")).distinct().collect()})


def apply_in_pandas(frame):
    def report(group: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame([where()])

    return distinct(frame.groupBy("group").applyInPandas(report, REPORT).collect())


def map_in_arrow(frame):
    def report(batches):
        for _ in batches:
            yield pa.RecordBatch.from_pylist([where()])

    return distinct(frame.mapInArrow(report, REPORT).collect())


def iceberg(spark, warehouse: str):
    from pyiceberg.catalog.sql import SqlCatalog

    def catalog():
        return SqlCatalog(
            "cluster", uri=f"sqlite:///{warehouse}/catalog.db", warehouse=f"file://{warehouse}"
        )

    data = pa.table({"id": pa.array(range(1000), pa.int64())})
    catalog().create_namespace("jobs")
    catalog().create_table("jobs.numbers", schema=data.schema).append(data)

    def read(batches):
        for batch in batches:
            rows = catalog().load_table("jobs.numbers").scan().to_arrow().num_rows
            reports = [{**where(), "rows": rows}] * batch.num_rows
            yield pa.RecordBatch.from_pylist(reports)

    frame = spark.range(0, TASKS, numPartitions=TASKS)
    schema = REPORT + ", rows long"
    return distinct(frame.mapInArrow(read, schema).collect())


spark = (
    SparkSession.builder.master(sys.argv[1])
    .appName("python-deps cluster test")
    .config("spark.driver.host", socket.gethostname())
    .config("spark.driver.bindAddress", "0.0.0.0")
    .config("spark.executor.cores", "1")
    .config("spark.executor.memory", "512m")
    .config("spark.ui.enabled", "false")
    .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    .config("spark.sql.execution.arrow.pyspark.fallback.enabled", "false")
    # Both executors up before the first task, and as many tasks after a shuffle as before (no
    # adaptive coalescing into one), so that the work spreads over the two workers.
    .config("spark.sql.adaptive.enabled", "false")
    .config("spark.locality.wait", "0")
    .config("spark.sql.shuffle.partitions", str(TASKS))
    .config("spark.scheduler.minRegisteredResourcesRatio", "1.0")
    .config("spark.scheduler.maxRegisteredResourcesWaitingTime", "120s")
    .getOrCreate()
)
frame = (
    spark.range(0, 4000, numPartitions=TASKS)
    .selectExpr("id", f"id % {TASKS * 2} AS group")
    .repartition(TASKS)
)
result = {"driver": where(), "spark": spark.version, "jobs": {}}
jobs = {
    "scalar_pandas_udf": scalar_udf,
    "apply_in_pandas": apply_in_pandas,
    "map_in_arrow": map_in_arrow,
}
try:
    for name, job in jobs.items():
        reports = job(frame)
        result["jobs"][name] = [json.loads(report) for report in reports]
    if len(sys.argv) > 2:
        result["jobs"]["iceberg"] = [json.loads(report) for report in iceberg(spark, sys.argv[2])]
except Exception as error:  # noqa: BLE001 (the mismatch test reads the error)
    result["error"] = f"{type(error).__name__}: {error}"
print(json.dumps(result))
spark.stop()
