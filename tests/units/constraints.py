"""The image's constraints, as pip and uv in an image built on it read them: where PIP_CONSTRAINT
and UV_CONSTRAINT point, each pin against the distribution installed, and pip's answer to a
request that breaks one pin (argv[1], a name pinned there), with no index: the constraint alone
must refuse it. Prints JSON."""

import json
import os
import subprocess
import sys
from importlib import metadata

path = os.environ.get("PIP_CONSTRAINT", "")
pins = {}
with open(path) as constraints:
    for line in constraints:
        if line.strip() and not line.startswith("#"):
            name, version = line.strip().split("==")
            pins[name] = version

broken = sys.argv[1]
request = subprocess.run(
    [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--no-index",
        "--disable-pip-version-check",
        f"{broken}!={pins[broken]}",
    ],
    capture_output=True,
    text=True,
)
print(
    json.dumps(
        {
            "pip_constraint": path,
            "uv_constraint": os.environ.get("UV_CONSTRAINT", ""),
            "pins": pins,
            "installed": {name: metadata.version(name) for name in pins},
            "broken_pin_exit": request.returncode,
            "broken_pin_error": request.stdout + request.stderr,
        }
    )
)
