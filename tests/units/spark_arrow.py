"""A local Spark session: a pandas DataFrame through Arrow and back, and a pandas UDF.

Arrow's fallback to the row-by-row path is off, so any Arrow incompatibility raises.
"""

import json

import pandas as pd
from pyspark.sql import SparkSession
from pyspark.sql.functions import pandas_udf

spark = (
    SparkSession.builder.master("local[2]")
    .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    .config("spark.sql.execution.arrow.pyspark.fallback.enabled", "false")
    .config("spark.ui.enabled", "false")
    .getOrCreate()
)

source = pd.DataFrame(
    {
        "id": range(1000),
        "value": [i * 0.5 for i in range(1000)],
        "label": [f"r{i % 7}" for i in range(1000)],
    }
)
frame = spark.createDataFrame(source)
back = frame.toPandas()


@pandas_udf("double")
def doubled(values: pd.Series) -> pd.Series:
    return values * 2


udf_total = frame.select(doubled("value").alias("v")).groupBy().sum("v").collect()[0][0]
print(
    json.dumps(
        {
            "round_trip_equal": bool(back.equals(source)),
            "udf_total": udf_total,
            "spark": spark.version,
            "java": spark.sparkContext._jvm.java.lang.System.getProperty(
                "java.specification.version"
            ),
        }
    )
)
spark.stop()
