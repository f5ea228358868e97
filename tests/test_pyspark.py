"""PySpark works with the pandas, pyarrow and NumPy it is installed with."""

import json


def test_pyspark_minimum_versions_hold(run):
    assert run("python3", "/units/pyspark_requirements.py").strip() == "ok"


def test_local_spark_session_round_trips_pandas_through_arrow(run_with_test_tools):
    result = json.loads(run_with_test_tools("python3", "/units/spark_arrow.py").strip().splitlines()[-1])
    assert result["round_trip_equal"], f"toPandas(createDataFrame(df)) != df with Arrow on Spark {result['spark']}"
    assert result["udf_total"] == 2 * sum(i * 0.5 for i in range(1000)), f"pandas UDF: {result}"
