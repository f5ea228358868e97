"""Import every top-level module of installed distributions; print the module names, one line
per distribution. Several in one process: one interpreter start under emulation, not one each.

Usage: python3 import_distribution.py DISTRIBUTION...
"""

import importlib
import importlib.metadata
import re
import sys


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


owners = importlib.metadata.packages_distributions()
for distribution in sys.argv[1:]:
    wanted = normalize(distribution)
    modules = sorted(
        module
        for module, names in owners.items()
        if wanted in map(normalize, names) and not module.startswith("_")
    )
    if not modules:
        sys.exit(f"{distribution}: not installed, or it has no importable top-level module")
    for module in modules:
        importlib.import_module(module)
    print(" ".join(modules))
