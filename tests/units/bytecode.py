"""Print JSON {kind: {"count": N, "examples": [...]}} of the bytecode of every module the
installs wrote (the distributions uv installed; the base image's pip is the base's), by how an
import validates it (PEP 552's flags word): "unchecked-hash" never reads the source,
"checked-hash" reads and hashes it, "timestamp" stats it and holds the build's clock, "missing"
is a module with no bytecode."""

import importlib.metadata
import importlib.util
import json
from collections import defaultdict

KINDS = {0: "timestamp", 1: "unchecked-hash", 3: "checked-hash"}
found = defaultdict(list)
for dist in importlib.metadata.distributions():
    if (dist.read_text("INSTALLER") or "").strip() != "uv":
        continue
    for file in dist.files or []:
        # Scripts in bin/ are not imported; test suites the install removed are gone.
        if file.suffix != ".py" or ".." in file.parts or not dist.locate_file(file).exists():
            continue
        pyc = dist.locate_file(importlib.util.cache_from_source(str(file)))
        try:
            with open(pyc, "rb") as bytecode:
                kind = KINDS.get(int.from_bytes(bytecode.read(8)[4:8], "little"), "unknown flags")
        except FileNotFoundError:
            kind = "missing"
        found[kind].append(str(pyc))
print(
    json.dumps(
        {kind: {"count": len(paths), "examples": paths[:5]} for kind, paths in found.items()}
    )
)
