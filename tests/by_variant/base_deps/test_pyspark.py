"""PySpark works with the pandas, pyarrow and NumPy it is installed with."""

import json

from python_deps.bake import HARNESS_BAKE_FILES, definition
from tests.utils.containers import SPARK_USER


def test_pyspark_minimum_versions_hold(variant, run):
    checks = run("python3", "/units/pyspark_requirements.py").split()
    # Spark 3.5 checks pandas and pyarrow only; 4.x checks NumPy too.
    expected = {"require_minimum_pandas_version", "require_minimum_pyarrow_version"} | (
        set() if variant.spark.startswith("3.") else {"require_minimum_numpy_version"}
    )
    assert set(checks) == expected, f"{variant}: PySpark ran {checks}"


def test_local_spark_session_round_trips_pandas_through_arrow(variant, run_with_test_tools):
    """As the spark user, as on Kubernetes (test_non_root.py's other checks)."""
    result = json.loads(
        run_with_test_tools("python3", "/units/spark_arrow.py", user=SPARK_USER)
        .strip()
        .splitlines()[-1]
    )
    java_versions = definition((variant.test_target,), HARNESS_BAKE_FILES)["target"][
        variant.test_target
    ]["args"]["JAVA_VERSIONS"].split()
    assert result["spark"].startswith(f"{variant.spark}."), (
        f"{variant}: Spark {result['spark']} is not of the cell's line"
    )
    assert result["java"] in java_versions, (
        f"{variant}: Java {result['java']} is none of its line's {java_versions}"
    )
    assert result["round_trip_equal"], (
        f"toPandas(createDataFrame(df)) != df with Arrow on Spark {result['spark']}"
    )
    assert result["udf_total"] == 2 * sum(i * 0.5 for i in range(1000)), f"pandas UDF: {result}"
