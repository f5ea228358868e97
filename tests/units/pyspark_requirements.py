"""Run PySpark's own minimum-version checks for pandas, pyarrow and NumPy (raise if unmet);
print the names of those this PySpark has (Spark 3.5 has no NumPy check)."""

from pyspark.sql.pandas import utils

checks = [
    name
    for name in (
        "require_minimum_pandas_version",
        "require_minimum_pyarrow_version",
        "require_minimum_numpy_version",
    )
    if hasattr(utils, name)
]
for name in checks:
    getattr(utils, name)()
print(" ".join(checks))
