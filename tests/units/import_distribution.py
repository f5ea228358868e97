"""Import every top-level module of one installed distribution; print the module names.

Usage: python3 import_distribution.py DISTRIBUTION
"""

import importlib
import importlib.metadata
import re
import sys


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


wanted = normalize(sys.argv[1])
modules = sorted(
    module
    for module, distributions in importlib.metadata.packages_distributions().items()
    if wanted in map(normalize, distributions) and not module.startswith("_")
)
if not modules:
    sys.exit(f"{sys.argv[1]}: not installed, or it has no importable top-level module")
for module in modules:
    importlib.import_module(module)
print(" ".join(modules))
