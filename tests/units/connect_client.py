"""A Spark Connect client (argv[1], sc://HOST:PORT): DataFrame work, a pandas UDF that reports
where it ran, and pandas and Arrow through Arrow to the server and back. Prints JSON."""

import json
import socket

import pandas as pd
import pyarrow as pa
from pyspark.sql import SparkSession
from pyspark.sql.functions import pandas_udf

spark = SparkSession.builder.remote(__import__("sys").argv[1]).getOrCreate()

counts = spark.range(1000).selectExpr("id % 7 AS key").groupBy("key").count().orderBy("key")


@pandas_udf("string")
def host(ids: pd.Series) -> pd.Series:
    return pd.Series([socket.gethostname()] * len(ids))


source = pd.DataFrame({"id": range(500), "value": [i * 0.5 for i in range(500)]})
frame = spark.createDataFrame(source)
result = {
    "client": socket.gethostname(),
    "spark": spark.version,
    "counts": [row["count"] for row in counts.collect()],
    "udf_hosts": sorted({row[0] for row in spark.range(100).select(host("id")).collect()}),
    "pandas_round_trip_equal": bool(frame.toPandas().equals(source)),
    "arrow_round_trip_equal": spark.createDataFrame(source)
    .toArrow()
    .equals(pa.Table.from_pandas(source, preserve_index=False)),
}
print(json.dumps(result))
spark.stop()
