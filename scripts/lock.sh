#!/usr/bin/env bash
# Resolve the requirement sets into hashed lock files, one folder per Spark line, Python
# version and architecture:
#   locks/spark-S/python-V/linux-ARCH/{gpu-iceberg,base,gpu,iceberg}.txt
# gpu-iceberg.txt is the joint resolution of all sets; every other lock is resolved under it as
# a constraint, so a base package has the same version in every variant and the gpu and iceberg
# stages only ever add packages on top of base-deps. Existing locks are the resolver's
# preferences: a re-run changes nothing unless an input changed.
#
# Usage: lock.sh [--check] SPARK_VERSION "PYTHON_VERSION..." "ARCH..."
#   --check  resolve into a scratch folder and fail if any lock differs (stale lock)
set -euo pipefail

check=false
if [ "${1:-}" = --check ]; then check=true; shift; fi
spark=${1:?usage: $0 [--check] SPARK_VERSION PYTHON_VERSIONS ARCHS}
read -r -a pythons <<<"${2:?python versions}"
read -r -a archs <<<"${3:?architectures}"

here=$(cd "$(dirname "$0")/.." && pwd)
deps="$here/docker/docker-intermediate/python-deps"
uv=${UV:-uv}
declare -A platform=([amd64]=x86_64-manylinux_2_28 [arm64]=aarch64-manylinux_2_28)
declare -A inputs=(
  [gpu-iceberg]="requirements-base.txt requirements-gpu.txt requirements-iceberg.txt"
  [base]="requirements-base.txt"
  [gpu]="requirements-base.txt requirements-gpu.txt"
  [iceberg]="requirements-base.txt requirements-iceberg.txt"
)

# Resolve in a scratch copy of the inputs, under stable relative names, so that the "via"
# annotations in the locks name the inputs and not a temporary path.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp "$deps"/requirements-*.txt "$scratch/"
echo "pyspark==$spark.*" >"$scratch/spark-line.txt"

compile() { # OUT CONSTRAINTS INPUT...
  local out=$1 constraints=$2; shift 2
  (cd "$scratch" && "$uv" pip compile --quiet --generate-hashes --no-header \
    --python-version "$py" --python-platform "${platform[$arch]}" \
    --constraint spark-line.txt ${constraints:+--constraint "$constraints"} \
    --output-file "$out" "$@")
}

stale=()
for py in "${pythons[@]}"; do
  for arch in "${archs[@]}"; do
    [ -n "${platform[$arch]:-}" ] || { echo "lock: unknown architecture '$arch' (known: ${!platform[*]})" >&2; exit 2; }
    rel="locks/spark-$spark/python-$py/linux-$arch"
    dir="$deps/$rel" out="$rel"
    mkdir -p "$scratch/$out"
    # Start from the committed locks so that the resolver keeps their pins.
    if [ -d "$dir" ]; then cp "$dir"/*.txt "$scratch/$out/" 2>/dev/null || true; fi
    echo "lock: $rel" >&2
    compile "$out/gpu-iceberg.txt" "" ${inputs[gpu-iceberg]}
    for stage in base gpu iceberg; do
      compile "$out/$stage.txt" "$out/gpu-iceberg.txt" ${inputs[$stage]}
    done
    if $check; then
      diff -r -q "$dir" "$scratch/$out" >/dev/null 2>&1 || stale+=("$rel")
    else
      mkdir -p "$dir" && cp "$scratch/$out"/*.txt "$dir/"
    fi
  done
done

if [ ${#stale[@]} -gt 0 ]; then
  echo "lock: stale against their inputs: ${stale[*]}; run 'make lock' and commit the result" >&2
  exit 1
fi
