"""Resolve every shared library under site-packages with ldd, with all their folders on the
library path as the RAPIDS loaders arrange at import; print JSON {library: [missing names]}
for every library with a dependency that does not resolve."""

import json
import os
import subprocess
import sysconfig
from pathlib import Path

site = Path(sysconfig.get_paths()["purelib"])
libraries = [path for path in site.rglob("*.so*") if path.is_file()]
folders = sorted({str(path.parent) for path in libraries})
env = {**os.environ, "LD_LIBRARY_PATH": ":".join(folders)}
missing = {}
for library in libraries:
    output = subprocess.run(["ldd", str(library)], capture_output=True, text=True, env=env).stdout
    names = sorted({line.split()[0] for line in output.splitlines() if "not found" in line})
    if names:
        missing[str(library.relative_to(site))] = names
print(json.dumps({"libraries": len(libraries), "missing": missing}))
