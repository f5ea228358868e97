#!/usr/bin/env bash
# Check that every base image the given bake groups or targets build on is on this engine or
# pullable, before baking them: bake's own error for a missing base is a registry lookup failure
# ("failed to resolve source metadata"); this one says what to set (BASE_IMAGES).
# Usage: check-bases.sh GROUP_OR_TARGET...
set -euo pipefail
cd "$(dirname "$0")/.."

# Bake's own message where it refuses the groups (an unknown target, a cell no line offers).
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
printed=$(docker buildx bake --file docker-bake.hcl --file docker-bake.json --print "$@" 2>"$errors") || { cat "$errors" >&2; exit 2; }

# "PYTHON BASE" per cell Python, for the bases given as image names (not target: contexts).
bases=$(python3 -c '
import json, sys
bases = {}
for target in json.load(sys.stdin)["target"].values():
    args = target.get("args", {})
    if "PYTHON_VERSION" in args and args.get("BASE_IMAGE", "") not in target.get("contexts", {}):
        bases[args["PYTHON_VERSION"]] = args.get("BASE_IMAGE", "")
for python, base in sorted(bases.items()):
    print(python, base or "-")
' <<<"$printed")

while read -r python base; do
  [ -n "$python" ] || continue
  if [ "$base" = - ]; then
    echo "error: the Python $python cells have no base image: set BASE_IMAGES=$python=IMAGE, IMAGE being an image with Python $python and pip, e.g. python:$python-slim-bookworm" >&2
    exit 2
  fi
  docker image inspect "$base" >/dev/null 2>&1 || docker buildx imagetools inspect "$base" >/dev/null 2>&1 || {
    # The fix depends on where the base comes from: made here by `make bases`, or pulled.
    hermetic=$(docker buildx bake --file docker-bake.hcl --file docker-bake.json --print bases 2>/dev/null |
      python3 -c 'import json, sys; print("\n".join(t for v in json.load(sys.stdin)["target"].values() for t in v.get("tags", [])))')
    if grep -qxF "$base" <<<"$hermetic"; then
      fix="build the hermetic bases (make bases)"
    else
      fix="pull it (docker pull $base, from a registry this engine reaches)"
    fi
    echo "error: $base, the base of the Python $python cells, is neither on this engine nor pullable: $fix, or set BASE_IMAGES=$python=IMAGE, IMAGE being an image with Python $python" >&2
    exit 2
  }
done <<<"$bases"
