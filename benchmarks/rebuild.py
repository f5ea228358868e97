"""Our build against the spec's naive one, side by side, in one run on the same engine.

For each of the two (the spec's single Dockerfile in benchmarks/naive/, with pip, one COPY of
all requirement files and build args; ours, docker/docker-intermediate/python-deps/), from a
scratch copy of the same requirement files:
  1. empty the build cache (`docker buildx prune --all`), build the base image (not timed),
     then time a cold build of the variants;
  2. edit only the iceberg requirements (add boto3; ours also re-locks, timed apart), and time
     the rebuild of the same variants;
  3. measure each image: bytes, largest layer, bytes a variant shares with python-deps, and
     the time of `python -c "import pandas, pyarrow, sklearn, pyspark"`.
Prints a table with ours/naive ratios, writes the figures as JSON and each build's log to
reports/benchmark-*.log, and removes the images it made.

It empties the engine's build cache twice, so the next `make build` starts cold. It builds the
default cell (SPARK_VERSION, PYTHON_VERSION) on its base image, and reads those variables and
CA_BUNDLE from the environment, as bake does (`make bench`).

Usage: python benchmarks/rebuild.py [--variants base,iceberg] [--json reports/benchmark.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.shared.bake import bake_entitlements  # noqa: E402
from tests.shared.layers import read_layers  # noqa: E402
from tests.shared.matrix import engine_arch  # noqa: E402

BENCH = ROOT / "benchmarks"
REPORTS = ROOT / "reports"
WORK = BENCH / ".work"
DEPS = ROOT / "docker" / "docker-intermediate" / "python-deps"
BAKE_FILES = ["--file", str(ROOT / "docker-bake.hcl"), "--file", str(ROOT / "docker-bake.json"), "--file", str(BENCH / "docker-bake.hcl")]
BUILDS = ["naive", "ours"]
SUFFIXES = {"base": "", "gpu": "-gpu", "iceberg": "-iceberg"}
ICEBERG_EDIT = "boto3  # benchmark: an edit to the iceberg set only\n"
IMPORTS = "import pandas, pyarrow, sklearn, pyspark"
# Runs inside an image: the median wall time of the import command over five runs, after one
# that warms the page cache.
TIME_IMPORTS = f"""
import statistics, subprocess, sys, time
command = [sys.executable, "-c", {IMPORTS!r}]
subprocess.run(command, check=True)
times = []
for _ in range(5):
    start = time.perf_counter()
    subprocess.run(command, check=True)
    times.append(time.perf_counter() - start)
print(statistics.median(times))
"""
MB = 10**6


def bake(*targets: str, log: str) -> float:
    """Bake targets of both bake files, loading the images; the seconds it took. The build's
    output goes to reports/benchmark-LOG.log."""
    start = time.monotonic()
    build = subprocess.run(
        ["docker", "buildx", "bake", *BAKE_FILES, *bake_entitlements(), "--progress=plain", *targets],
        cwd=ROOT, capture_output=True, text=True,
    )
    seconds = time.monotonic() - start
    log_file = REPORTS / f"benchmark-{log}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.write_text(build.stderr)
    if build.returncode != 0:
        sys.exit(f"benchmark: `docker buildx bake {' '.join(targets)}` failed (log: {log_file}):\n{build.stderr[-4000:]}")
    return seconds


def bake_variable(definition: dict, target: str, name: str) -> str:
    return definition["target"][target]["args"][name]


def prepare(spark_version: str) -> None:
    """Scratch build contexts with the same requirement files: ours whole, the naive one with
    the spec's Dockerfile. The spec lists pyspark in requirements-base.txt; ours takes its line
    from the bake file at lock time, so the naive copy gets it written in."""
    shutil.rmtree(WORK, ignore_errors=True)
    shutil.copytree(DEPS, WORK / "ours")
    naive = WORK / "naive"
    naive.mkdir(parents=True)
    shutil.copy(BENCH / "naive" / "Dockerfile", naive)
    for requirement_set in ("base", "gpu", "iceberg"):
        text = (DEPS / f"requirements-{requirement_set}.txt").read_text()
        text = re.sub(r"^pyspark$", f"pyspark=={spark_version}.*", text, flags=re.M)
        (naive / f"requirements-{requirement_set}.txt").write_text(text)


def empty_build_cache() -> None:
    """The base images stay: they are images in the engine's store, not build cache."""
    subprocess.run(["docker", "buildx", "prune", "--all", "--force"], check=True, capture_output=True)


def edit_iceberg_requirements(spark_version: str, python_version: str, arch: str) -> tuple[float, list[str]]:
    """Add boto3 to the iceberg set of both; re-lock ours for this cell and architecture.
    Returns the lock's seconds and the lock files it changed."""
    for build in BUILDS:
        with open(WORK / build / "requirements-iceberg.txt", "a") as requirements:
            requirements.write(ICEBERG_EDIT)
    locks = WORK / "ours" / "locks"
    before = {path: path.read_bytes() for path in locks.rglob("*.txt")}
    uv = ROOT / ".venv" / "bin" / "uv"
    environment = {
        **os.environ, "DEPS_DIR": str(WORK / "ours"), "LOCK_DIGESTS_FILE": str(WORK / "lock-digests.json"),
        "LOCK_CELLS": f"{spark_version}/{python_version}", "ARCHS": arch,
    }
    if uv.exists():
        environment["UV"] = str(uv)
    start = time.monotonic()
    subprocess.run([str(ROOT / "scripts" / "lock.sh")], env=environment, check=True, capture_output=True)
    seconds = time.monotonic() - start
    changed = sorted(str(path.relative_to(locks)) for path, text in before.items() if path.read_bytes() != text)
    return seconds, changed


def import_seconds(image: str) -> float:
    run = subprocess.run(["docker", "run", "--rm", image, "python3", "-c", TIME_IMPORTS], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"benchmark: `{IMPORTS}` failed in {image}:\n{run.stderr[-2000:]}")
    return float(run.stdout.strip())


def bench_image(definition: dict, build: str, variant: str) -> str:
    """The tag benchmarks/docker-bake.hcl gives a build's variant."""
    return definition["target"][f"{build}{SUFFIXES[variant]}"]["tags"][0]


def measure_images(definition: dict, build: str, variants: list[str]) -> dict:
    images = {variant: bench_image(definition, build, variant) for variant in variants}
    layers = {variant: read_layers(image) for variant, image in images.items()}
    base_digests = {layer.digest for layer in layers["base"]}
    figures = {}
    for variant, image_layers in layers.items():
        figures[variant] = {
            "image_bytes": sum(layer.size for layer in image_layers),
            "image_compressed_bytes": sum(layer.compressed for layer in image_layers),
            "largest_layer_bytes": max(layer.size for layer in image_layers),
            "largest_layer_instruction": max(image_layers, key=lambda layer: layer.size).instruction[:100],
            "bytes_shared_with_base": sum(layer.size for layer in image_layers if layer.digest in base_digests),
        }
    figures["base"]["import_seconds"] = import_seconds(images["base"])
    return figures


def rows(result: dict) -> list[tuple[str, float, float, str]]:
    """(label, naive, ours, unit) for the table."""
    naive, ours = result["naive"], result["ours"]
    table = [
        ("cold build", naive["cold_build_seconds"], ours["cold_build_seconds"], "s"),
        ("rebuild after iceberg edit", naive["rebuild_seconds"], ours["rebuild_seconds"], "s"),
    ]
    for variant in result["variants"]:
        name = "python-deps" + SUFFIXES[variant]
        table += [
            (f"{name} image", naive["images"][variant]["image_bytes"] / MB, ours["images"][variant]["image_bytes"] / MB, "MB"),
            (f"{name} largest layer", naive["images"][variant]["largest_layer_bytes"] / MB, ours["images"][variant]["largest_layer_bytes"] / MB, "MB"),
        ]
        if variant != "base":
            table.append((f"{name} bytes shared with python-deps", naive["images"][variant]["bytes_shared_with_base"] / MB, ours["images"][variant]["bytes_shared_with_base"] / MB, "MB"))
    table.append((f'python-deps: python -c "{IMPORTS}"', naive["images"]["base"]["import_seconds"], ours["images"]["base"]["import_seconds"], "s"))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default="base,iceberg", help="comma-separated, from base, gpu, iceberg (default: base,iceberg)")
    parser.add_argument("--json", default=str(REPORTS / "benchmark.json"), help="where to write the figures")
    args = parser.parse_args()
    variants = args.variants.split(",")
    unknown = set(variants) - set(SUFFIXES)
    if unknown or "base" not in variants or "iceberg" not in variants:
        sys.exit(f"benchmark: --variants must include base and iceberg, from {', '.join(SUFFIXES)}; got {args.variants}")

    printed = subprocess.run(["docker", "buildx", "bake", *BAKE_FILES, "--print", *(f"bench-{build}" for build in BUILDS)], cwd=ROOT, capture_output=True, text=True)
    if printed.returncode != 0:
        sys.exit(f"benchmark: cannot read the bake files (is the engine up? `make engine`):\n{printed.stderr[-2000:]}")
    definition = json.loads(printed.stdout)
    python_version = bake_variable(definition, "ours", "PYTHON_VERSION")
    spark_version = bake_variable(definition, "ours", "SPARK_VERSION")
    prepare(spark_version)

    result = {"variants": variants, "python_version": python_version, "spark_version": spark_version, "edit": ICEBERG_EDIT.strip()}
    for build in BUILDS:
        targets = [f"{build}{SUFFIXES[variant]}" for variant in variants]
        empty_build_cache()
        print(f"benchmark: {build}: cold build of {' '.join(targets)}", file=sys.stderr)
        result[build] = {"cold_build_seconds": bake(*targets, log=f"{build}-cold")}
    print("benchmark: editing the iceberg requirements of both", file=sys.stderr)
    result["ours"]["lock_seconds"], result["ours"]["locks_changed"] = edit_iceberg_requirements(spark_version, python_version, engine_arch())
    for build in BUILDS:
        targets = [f"{build}{SUFFIXES[variant]}" for variant in variants]
        print(f"benchmark: {build}: rebuild of {' '.join(targets)}", file=sys.stderr)
        result[build]["rebuild_seconds"] = bake(*targets, log=f"{build}-rebuild")
        result[build]["images"] = measure_images(definition, build, variants)
    shutil.rmtree(WORK)
    images = [bench_image(definition, build, variant) for build in BUILDS for variant in variants]
    subprocess.run(["docker", "image", "rm", *images], check=True, capture_output=True)

    table = rows(result)
    result["table"] = [{"what": label, "naive": naive, "ours": ours, "unit": unit, "ours_over_naive": ours / naive} for label, naive, ours, unit in table]
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2))

    labels = [f"{label} ({unit})" for label, _, _, unit in table]
    width = max(map(len, labels))
    print(f"\n{'':{width}}  {'naive':>8}  {'ours':>8}  {'ours/naive':>10}")
    for label, (_, naive, ours, _) in zip(labels, table):
        print(f"{label:{width}}  {naive:8.1f}  {ours:8.1f}  {ours / naive:10.2f}")
    print(f"\nours re-locked in {result['ours']['lock_seconds']:.0f} s (not in its rebuild time; the naive build resolves inside it), "
          f"changing only {', '.join(result['ours']['locks_changed'])}")
    print(f"figures: {args.json}")


if __name__ == "__main__":
    main()
