"""The product's own code: the matrix model read from docker-bake.hcl, locking, sizes, SBOMs,
publishing and upgrades. The Makefile, the benchmarks and the tests call it; its command line is
`python -m python_deps` (python_deps/__main__.py)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The Dockerfile's context: requirement sets, spark-lines/, uv.toml and locks/.
DEPS_DIR = ROOT / "docker" / "docker-intermediate" / "python-deps"
REPORTS = ROOT / "reports"
