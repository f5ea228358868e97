#!/usr/bin/env bash
# Resolve the requirement sets into hashed lock files, one folder per Spark line, Python
# version and architecture:
#   locks/spark-S/python-V/linux-ARCH/{gpu-iceberg,base,base-*,gpu,iceberg}.txt
# gpu-iceberg.txt is the joint resolution of all sets; every other lock is resolved under it as
# a constraint, so a base package has the same version in every variant and the gpu and iceberg
# stages only ever add packages on top of base-deps. Existing locks are the resolver's
# preferences: a re-run changes nothing unless an input changed.
#
# The Spark lines and Python versions are the bake file's SPARK_VERSIONS and PYTHON_VERSIONS.
#
# Usage: lock.sh [--check]
#   --check  resolve into a scratch folder and fail if any lock differs (stale lock)
# Environment: ARCHS (default "amd64 arm64"), LOCK_PYTHON_VERSIONS (default: the bake file's PYTHON_VERSIONS),
#   DEPS_DIR (default docker/docker-intermediate/python-deps; the benchmark locks a scratch copy),
#   LOCK_DIGESTS_FILE (default docker-bake.json), UV (default uv)
set -euo pipefail

check=false
if [ "${1:-}" = --check ]; then check=true; fi
read -r -a archs <<<"${ARCHS:-amd64 arm64}"

here=$(cd "$(dirname "$0")/.." && pwd)
bake_variable() { # VARIABLE: the value of a variable of the bake file, as JSON
  docker buildx bake --file "$here/docker-bake.hcl" --file "$here/docker-bake.json" --list=type=variables,format=json 2>/dev/null |
    python3 -c 'import json, sys; print({v["name"]: v["value"] for v in json.load(sys.stdin)}[sys.argv[1]])' "$1"
}
words() { python3 -c 'import json, sys; print(" ".join(json.loads(sys.argv[1] or "[]")))' "$1"; }
read -r -a sparks <<<"$(words "$(bake_variable SPARK_VERSIONS)")"
read -r -a pythons <<<"${LOCK_PYTHON_VERSIONS:-$(words "$(bake_variable PYTHON_VERSIONS)")}"
[ ${#sparks[@]} -gt 0 ] && [ ${#pythons[@]} -gt 0 ] ||
  { echo "lock: cannot read SPARK_VERSIONS and PYTHON_VERSIONS from docker-bake.hcl; is docker buildx installed (make engine)?" >&2; exit 2; }
deps=$(cd "${DEPS_DIR:-$here/docker/docker-intermediate/python-deps}" && pwd)
# Absolute, since the resolver runs in a scratch folder.
uv=$(command -v "${UV:-uv}") || { echo "lock: uv not found; run 'make venv' or set UV" >&2; exit 2; }
uv=$(readlink -f "$uv")
declare -A platform=([amd64]=x86_64-manylinux_2_28 [arm64]=aarch64-manylinux_2_28)
declare -A inputs=(
  [gpu-iceberg]="requirements-base.txt requirements-gpu.txt requirements-iceberg.txt"
  [base]="requirements-base.txt"
  [gpu]="requirements-base.txt requirements-gpu.txt"
  [iceberg]="requirements-base.txt requirements-iceberg.txt"
)

# The base-deps stage installs its lock in layers, each under the spec's 500 MB, ordered by
# how rarely they change: PySpark first (it moves only with the Spark line), then the dataframe
# core, then base.txt itself, which adds what is left. Each layer's lock is the closure of its
# packages, resolved under base.txt as a constraint, so its pins are base.txt's.
declare -A base_layers=(
  [base-spark]="pyspark"
  [base-dataframes]="pandas pyarrow numpy"
)

# Resolve in a scratch copy of the inputs, under stable relative names, so that the "via"
# annotations in the locks name the inputs and not a temporary path.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp "$deps"/requirements-*.txt "$scratch/"

compile() { # OUT CONSTRAINTS INPUT...
  local out=$1 constraints=$2; shift 2
  (cd "$scratch" && "$uv" pip compile --quiet --generate-hashes --no-header --config-file "$deps/uv.toml" \
    --python-version "$py" --python-platform "${platform[$arch]}" \
    --constraint "spark-$spark.txt" ${constraints:+--constraint "$constraints"} \
    --output-file "$out" "$@") || {
    echo "lock: $* cannot be resolved for Spark $spark, Python $py, $arch (uv's reason is above): relax the requirement it names, then run make lock again" >&2
    exit 1
  }
}

lock_folder() { # SPARK PYTHON ARCH: resolve one folder of locks; with --check, compare it
  local spark=$1 py=$2 arch=$3
  [ -n "${platform[$arch]:-}" ] || { echo "lock: unknown architecture '$arch' (known: ${!platform[*]})" >&2; exit 2; }
  local rel="locks/spark-$spark/python-$py/linux-$arch"
  local dir="$deps/$rel"
  mkdir -p "$scratch/$rel"
  # Start from the committed locks so that the resolver keeps their pins.
  if [ -d "$dir" ]; then cp "$dir"/*.txt "$scratch/$rel/"; fi
  echo "lock: $rel" >&2
  compile "$rel/gpu-iceberg.txt" "" ${inputs[gpu-iceberg]}
  for stage in base gpu iceberg; do
    compile "$rel/$stage.txt" "$rel/gpu-iceberg.txt" ${inputs[$stage]}
  done
  for layer in "${!base_layers[@]}"; do
    tr ' ' '\n' <<<"${base_layers[$layer]}" >"$scratch/$layer.in"
    compile "$rel/$layer.txt" "$rel/base.txt" "$layer.in"
  done
  if $check; then
    diff -r -q "$dir" "$scratch/$rel" >/dev/null 2>&1 || stale+=("$rel")
  else
    mkdir -p "$dir" && cp "$scratch/$rel"/*.txt "$dir/"
  fi
}

stale=()
for spark in "${sparks[@]}"; do
  echo "pyspark==$spark.*" >"$scratch/spark-$spark.txt"
  for py in "${pythons[@]}"; do
    for arch in "${archs[@]}"; do
      lock_folder "$spark" "$py" "$arch"
    done
  done
done

# uv for the tools stage and setuptools for pyspark's build: one lock each for every platform.
for tool_set in tools build; do
  mkdir -p "$scratch/locks"
  if [ -f "$deps/locks/$tool_set.txt" ]; then cp "$deps/locks/$tool_set.txt" "$scratch/locks/"; fi
  (cd "$scratch" && "$uv" pip compile --quiet --generate-hashes --no-header --universal \
    --output-file "locks/$tool_set.txt" "requirements-$tool_set.txt")
  if $check; then
    cmp -s "$deps/locks/$tool_set.txt" "$scratch/locks/$tool_set.txt" || stale+=("locks/$tool_set.txt")
  else
    cp "$scratch/locks/$tool_set.txt" "$deps/locks/"
  fi
done

# The digest of the locks each variant installs, in install order, for its image label: written
# into docker-bake.json, which bake reads beside docker-bake.hcl (bake cannot read files).
# Anyone can recompute one: cat locks/build.txt locks/FOLDER/{base-spark,base-dataframes,base}.txt | sha256sum
digests=$(python3 - "$deps/locks" "$(bake_variable VARIANTS)" <<'PY'
import hashlib, json, sys
from pathlib import Path

locks = Path(sys.argv[1])
stages = {variant["stage"]: variant["locks"] for variant in json.loads(sys.argv[2])}
digests = {}
for folder in sorted(locks.glob("spark-*/python-*/linux-*")):
    for stage, names in stages.items():
        content = (locks / "build.txt").read_bytes() + b"".join((folder / f"{name}.txt").read_bytes() for name in names)
        digests[f"{folder.relative_to(locks)}/{stage}"] = "sha256:" + hashlib.sha256(content).hexdigest()
description = "Written by scripts/lock.sh (make lock): sha256 of the locks each stage installs, in install order"
print(json.dumps({"variable": {"LOCK_DIGESTS": {"description": description, "default": digests}}}, indent=2))
PY
)
digests_file=${LOCK_DIGESTS_FILE:-$here/docker-bake.json}
if $check; then
  [ "$digests" = "$(cat "$digests_file")" ] || stale+=("$(basename "$digests_file")")
else
  printf '%s\n' "$digests" >"$digests_file"
fi

if [ ${#stale[@]} -gt 0 ]; then
  echo "lock: stale against their inputs: ${stale[*]}; run 'make lock' and commit the result" >&2
  exit 1
fi
