"""python -m python_deps COMMAND [ARGS]: the product's commands, as the Makefile runs them.

matrix       the variant targets of bake groups (default: BAKE_GROUP)
lock         resolve the requirement sets into the hashed locks (make lock, make check-lock)
upgrade      every lock to the newest versions allowed, proven by make test (make upgrade)
sizes        bytes per image and layer (make sizes)
sbom         the licences the SBOMs of a folder declare, after `docker buildx bake sbom` (make sbom)
publish      push the images a green make test tested, by digest (make publish)
test-matrix  build and test every cell of the matrix group, one at a time (make test-matrix)
pair         whether a driver image and an executor image can run one Spark job (make check-pair)
release      the release's legs, one leg, or the merge (make release-matrix, -leg, -merge)
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "matrix": "python_deps.matrix",
    "lock": "python_deps.lock",
    "upgrade": "python_deps.upgrade",
    "sizes": "python_deps.layers",
    "sbom": "python_deps.licences",
    "publish": "python_deps.publish",
    "test-matrix": "python_deps.test_matrix",
    "pair": "python_deps.labels",
    "release": "python_deps.release",
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    command, arguments = sys.argv[1], sys.argv[2:]
    sys.argv = [f"python -m python_deps {command}", *arguments]
    result = importlib.import_module(COMMANDS[command]).main(arguments)
    sys.exit(result or 0)


main()
