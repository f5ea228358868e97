"""Run PySpark's own minimum-version checks for pandas, pyarrow and NumPy (raise if unmet)."""

from pyspark.sql.pandas.utils import (
    require_minimum_numpy_version,
    require_minimum_pandas_version,
    require_minimum_pyarrow_version,
)

require_minimum_pandas_version()
require_minimum_pyarrow_version()
require_minimum_numpy_version()
print("ok")
