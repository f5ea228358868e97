#!/usr/bin/env bash
# Resolve the requirement sets into hashed lock files, one folder per cell of the matrix (Spark
# line, Python version) and architecture:
#   locks/spark-S/python-V/linux-ARCH/{gpu-iceberg,base,base-*,gpu,iceberg}.txt
# gpu-iceberg.txt is the joint resolution of all sets; every other lock is resolved under it as
# a constraint, so a base package has the same version in every variant and the gpu and iceberg
# stages only ever add packages on top of base-deps. The Spark line's own floors and ceilings
# (spark-lines/S.txt) constrain every resolution of its cells. Existing locks are the resolver's
# preferences: a re-run changes nothing unless an input changed.
#
# The cells are the bake file's (`docker buildx bake --print offered`). Each folder records what
# it was resolved from (resolved-from.sha256): a folder whose inputs and locks still match it is not
# resolved again, so a check after a one-line edit re-resolves only the cells it touches.
#
# Usage: lock.sh [--check] [--full] [--upgrade]
#   --check    resolve into a scratch folder and fail if any lock differs (stale lock)
#   --full     resolve every folder, even those whose record still matches
#   --upgrade  resolve every folder to the newest versions the inputs allow, the committed locks
#              ignored (make upgrade)
# Environment: ARCHS (default "amd64 arm64"), LOCK_CELLS (default: every cell offered, e.g.
#   "4.3/3.13 3.5/3.11"), LOCK_JOBS (parallel resolutions, default 4), DEPS_DIR (default
#   docker/docker-intermediate/python-deps; the benchmark locks a scratch copy), LOCK_DIGESTS_FILE
#   (default docker-bake.json), UV (default uv)
set -euo pipefail

check=false full=false upgrade=false
for option in "$@"; do
  case "$option" in
    --check) check=true ;;
    --full) full=true ;;
    --upgrade) upgrade=true full=true ;;
    *) echo "usage: $0 [--check] [--full] [--upgrade]" >&2; exit 2 ;;
  esac
done
read -r -a archs <<<"${ARCHS:-amd64 arm64}"
jobs=${LOCK_JOBS:-4}

here=$(cd "$(dirname "$0")/.." && pwd)
# The variant targets of every cell offered, as bake resolves them: each one's stage, cell and
# the locks it installs (its label), as JSON lines.
offered=$(docker buildx bake --file "$here/docker-bake.hcl" --file "$here/docker-bake.json" --print offered 2>/dev/null |
  python3 -c '
import json, sys
for target in json.load(sys.stdin)["target"].values():
    locks = target["args"]["LOCKS"].split()
    print(json.dumps({"stage": target["target"], "cell": target["args"]["SPARK_VERSION"] + "/" + target["args"]["PYTHON_VERSION"], "locks": locks}))
') || true
[ -n "$offered" ] ||
  { echo "lock: cannot read the cells from docker-bake.hcl; is docker buildx installed (make engine)?" >&2; exit 2; }
read -r -a cells <<<"${LOCK_CELLS:-$(python3 -c 'import json, sys; print(" ".join(sorted({json.loads(line)["cell"] for line in sys.stdin})))' <<<"$offered")}"
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
cp -r "$deps/spark-lines" "$scratch/"
mkdir -p "$scratch/failed" "$scratch/stale" "$scratch/log"
for layer in "${!base_layers[@]}"; do
  tr ' ' '\n' <<<"${base_layers[$layer]}" >"$scratch/$layer.in"
done

compile() { # OUT CONSTRAINTS INPUT...
  local out=$1 constraints=$2; shift 2
  (cd "$scratch" && "$uv" pip compile --quiet --generate-hashes --no-header --config-file "$deps/uv.toml" \
    --python-version "$py" --python-platform "${platform[$arch]}" \
    --constraint "spark-lines/$spark.txt" ${constraints:+--constraint "$constraints"} \
    --output-file "$out" "$@") || {
    echo "lock: $* cannot be resolved for Spark $spark, Python $py, $arch (uv's reason is above): relax the requirement it names, then run make lock again" >&2
    exit 1
  }
}

# What a folder's locks are resolved from, and what they are: the digest of each. This script is
# not among the inputs: after a change to how it resolves, run it with --full.
inputs_digest() { # SPARK PYTHON ARCH
  { echo "$1 $2 $3"; "$uv" --version; cat "$deps/uv.toml" "$deps"/requirements-{base,gpu,iceberg}.txt "$deps/spark-lines/$1.txt"; } |
    sha256sum | cut -d' ' -f1
}
locks_digest() { # FOLDER
  cat "$1"/*.txt | sha256sum | cut -d' ' -f1
}
record() { # SPARK PYTHON ARCH FOLDER: the resolved-from.sha256 of the folder's locks
  cat <<EOF
# Written by scripts/lock.sh: the digest of what these locks were resolved from (uv, uv.toml, the
# requirement sets, spark-lines/$1.txt) and of the locks. make check-lock and make lock resolve
# the folder again only when one of them no longer matches.
inputs sha256:$(inputs_digest "$1" "$2" "$3")
locks sha256:$(locks_digest "$4")
EOF
}

lock_folder() { # SPARK PYTHON ARCH: resolve one folder of locks; with --check, compare it
  local spark=$1 py=$2 arch=$3
  local rel="locks/spark-$spark/python-$py/linux-$arch"
  local dir="$deps/$rel"
  mkdir -p "$scratch/$rel"
  # Start from the committed locks so that the resolver keeps their pins, unless upgrading.
  if [ -d "$dir" ] && ! $upgrade; then cp "$dir"/*.txt "$scratch/$rel/"; fi
  compile "$rel/gpu-iceberg.txt" "" ${inputs[gpu-iceberg]}
  for stage in base gpu iceberg; do
    compile "$rel/$stage.txt" "$rel/gpu-iceberg.txt" ${inputs[$stage]}
  done
  for layer in "${!base_layers[@]}"; do
    compile "$rel/$layer.txt" "$rel/base.txt" "$layer.in"
  done
  record "$spark" "$py" "$arch" "$scratch/$rel" >"$scratch/$rel/resolved-from.sha256"
  if $check; then
    diff -r -q "$dir" "$scratch/$rel" >/dev/null 2>&1 || echo "$rel" >"$scratch/stale/${rel//\//_}"
  else
    mkdir -p "$dir" && cp "$scratch/$rel"/*.txt "$scratch/$rel/resolved-from.sha256" "$dir/"
  fi
}

up_to_date() { # SPARK PYTHON ARCH: whether the folder's record matches its inputs and locks
  local dir="$deps/locks/spark-$1/python-$2/linux-$3"
  [ -f "$dir/resolved-from.sha256" ] && [ "$(record "$@" "$dir")" = "$(cat "$dir/resolved-from.sha256")" ]
}

for arch in "${archs[@]}"; do
  [ -n "${platform[$arch]:-}" ] || { echo "lock: unknown architecture '$arch' (known: ${!platform[*]})" >&2; exit 2; }
done
for cell in "${cells[@]}"; do
  spark=${cell%/*} py=${cell#*/}
  [ -f "$deps/spark-lines/$spark.txt" ] || { echo "lock: Spark $spark has no spark-lines/$spark.txt beside the requirement sets: write its constraints there" >&2; exit 2; }
  for arch in "${archs[@]}"; do
    rel="locks/spark-$spark/python-$py/linux-$arch"
    if ! $full && up_to_date "$spark" "$py" "$arch"; then
      continue
    fi
    echo "lock: $rel" >&2
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    # compile's exit ends the inner subshell, so that the failure is recorded.
    { (lock_folder "$spark" "$py" "$arch") || touch "$scratch/failed/${rel//\//_}"; } >"$scratch/log/${rel//\//_}" 2>&1 &
  done
done
wait
# uv's reason, then the line that names the cell, for every folder that failed.
if [ -n "$(ls -A "$scratch/failed")" ]; then
  for failed in "$scratch/failed"/*; do cat "$scratch/log/${failed##*/}" >&2; done
  exit 1
fi

# uv for the tools stage, setuptools for pyspark's build, the SBOM tools and the iceberg test
# image's S3 server: one lock each (FOLDER/locks/NAME.txt from FOLDER/requirements-NAME.txt) for
# every platform.
stale=()
for tool_set in "$deps/tools" "$deps/build" "$deps/sbom" "$here/tests/images/runtime/s3"; do
  folder=${tool_set%/*} name=${tool_set##*/}
  mkdir -p "$scratch/tool-locks"
  if [ -f "$folder/locks/$name.txt" ] && ! $upgrade; then cp "$folder/locks/$name.txt" "$scratch/tool-locks/"; fi
  (cd "$folder" && "$uv" pip compile --quiet --generate-hashes --no-header --universal \
    --output-file "$scratch/tool-locks/$name.txt" "requirements-$name.txt")
  if $check; then
    cmp -s "$folder/locks/$name.txt" "$scratch/tool-locks/$name.txt" || stale+=("${folder#"$here"/}/locks/$name.txt")
  else
    cp "$scratch/tool-locks/$name.txt" "$folder/locks/"
  fi
done
for marker in "$scratch/stale"/*; do
  [ -e "$marker" ] && stale+=("$(cat "$marker")")
done

# The digest of the locks each variant installs, in install order, for its image label: written
# into docker-bake.json as the function lock_digests(), which bake reads beside docker-bake.hcl
# (bake cannot read files). Anyone can recompute one:
#   cat locks/build.txt locks/FOLDER/{base-spark,base-dataframes,base}.txt | sha256sum
digests=$(python3 - "$deps/locks" "$offered" <<'PY'
import hashlib, json, sys
from pathlib import Path

locks = Path(sys.argv[1])
stages = {target["stage"]: target["locks"] for target in map(json.loads, sys.argv[2].splitlines())}
digests = {}
for folder in sorted(locks.glob("spark-*/python-*/linux-*")):
    for stage, names in sorted(stages.items()):
        content = (locks / "build.txt").read_bytes() + b"".join((folder / f"{name}.txt").read_bytes() for name in names)
        digests[f"{folder.relative_to(locks)}/{stage}"] = "sha256:" + hashlib.sha256(content).hexdigest()
print(json.dumps({"function": {"lock_digests": {"params": [], "result": digests}}}, indent=2))
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
