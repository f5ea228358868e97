"""PySpark's own Spark Connect dependency checks (pyspark.sql.connect.utils.check_dependencies,
which raises if one is unmet); prints the names of the checks this PySpark has."""

import inspect

from pyspark.sql.connect import utils

# Spark 3.5 takes the module name (and checks nothing for __main__); 4.x takes none.
arguments = (
    ["pyspark.sql.connect"] if inspect.signature(utils.check_dependencies).parameters else []
)
utils.check_dependencies(*arguments)
print(" ".join(sorted(name for name in dir(utils) if name.startswith("require_minimum_"))))
