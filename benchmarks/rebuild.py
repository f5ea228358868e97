"""Our build against the spec's naive one, side by side, in one run on the same engine.

Each of the two (the spec's single Dockerfile in benchmarks/naive/: pip, one COPY of all the
requirement files, build args, the exporter's gzip; ours, docker/docker-intermediate/python-deps/)
builds from a scratch copy of the same requirement files, one after the other:
  1. a cold build of the variants: the build cache emptied (`docker buildx prune --all`), the
     base images kept;
  2. a rebuild after an edit to the iceberg requirements alone (boto3 added);
  3. a rebuild after one package of the base set moves (requests held below its locked release);
     each edit alone, on the cold build's files and cache; ours re-locks after it, timed apart
     (the naive build resolves inside its build, and may fail: pip, with no lock, backtracks);
  4. after each build its images go to a registry on loopback: what a node holding the image
     of the step before downloads to run the new one;
  5. a cold pull (download and unpack) of each cold-built image into an engine started empty,
     the time of `python -c "import pandas, pyarrow, sklearn, pyspark"` in python-deps, and the
     images' sizes;
  6. the cold build again for the foreign platform (linux/arm64 on an amd64 engine), from the
     unedited files: the naive build runs under QEMU there, ours installs on the build platform.
Prints the figures with ours/naive ratios, writes them to reports/benchmark.json and each build's
log to reports/benchmark-*.log, and removes the images it made. It empties the build cache, so
the next `make build` starts cold. The default cell (SPARK_VERSION, PYTHON_VERSION) on its base
image; those variables and CA_BUNDLE come from the environment, as for bake (`make bench`).

Usage: python benchmarks/rebuild.py [--variants base,iceberg] [--pulls 2] [--no-edits]
                                    [--no-foreign] [--json FILE]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import (  # noqa: E402
    MB,
    REPORTS,
    ROOT,
    Pulls,
    bake,
    bake_definition,
    empty_build_cache,
    fail,
    print_table,
    write_json,
)

from python_deps import DEPS_DIR  # noqa: E402
from python_deps.declaration import declaration  # noqa: E402
from python_deps.matrix import MACHINES  # noqa: E402
from python_deps.runner import engine_arch  # noqa: E402
from python_deps.sizes import read_layers  # noqa: E402

BENCH = ROOT / "benchmarks"
WORK = BENCH / ".work"
DEPS = DEPS_DIR
BUILDS = ["naive", "ours"]
# The variants by their requirement set (base, gpu, iceberg): the suffix of their image names.
SUFFIXES = {
    kind.requirements: kind.image.removeprefix("python-deps")
    for kind in declaration().variants.values()
}
ICEBERG_EDIT = "boto3  # benchmark: an edit to the iceberg set only\n"
# A package of the base set's own layer (not PySpark's, not the dataframe core's), held below the
# release the lock has: the edit a security advisory or a regression brings.
MOVED_PACKAGE = "requests"
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


def bake_variable(definition: dict, target: str, name: str) -> str:
    return definition["target"][target]["args"][name]


def prepare(build: str, spark_version: str) -> None:
    """A build's scratch context, from the repository's requirement files: ours whole, the naive
    one with the spec's Dockerfile. The spec lists pyspark in requirements-base.txt; ours takes
    its line from the bake file at lock time, so the naive copy gets it written in."""
    context = WORK / build
    shutil.rmtree(context, ignore_errors=True)
    if build == "ours":
        shutil.copytree(DEPS, context)
        return
    context.mkdir(parents=True)
    shutil.copy(BENCH / "naive" / "Dockerfile", context)
    for requirement_set in SUFFIXES:
        text = (DEPS / f"requirements-{requirement_set}.txt").read_text()
        text = re.sub(r"^(pyspark(\[\w+\])?)$", rf"\1=={spark_version}.*", text, flags=re.M)
        (context / f"requirements-{requirement_set}.txt").write_text(text)


def locked_version(cell: dict, package: str) -> str:
    lock = (
        DEPS
        / "locks"
        / f"spark-{cell['spark']}"
        / f"python-{cell['python']}"
        / f"linux-{engine_arch()}"
        / "base.txt"
    ).read_text()
    return re.search(rf"^{package}==(\S+)", lock, re.M).group(1)


def edit(build: str, requirement_set: str, line: str, cell: dict) -> dict:
    """Append a line to one requirement set of a build's context; ours re-locks its cell for the
    engine's architecture. The lock's seconds and the lock files it changed."""
    with open(WORK / build / f"requirements-{requirement_set}.txt", "a") as requirements:
        requirements.write(line)
    if build != "ours":
        return {}
    locks = WORK / "ours" / "locks"
    before = {path: path.read_bytes() for path in locks.rglob("*.txt")}
    start = time.monotonic()
    locked = subprocess.run(
        [
            sys.executable,
            "-m",
            "python_deps",
            "lock",
            "--deps-dir",
            str(WORK / "ours"),
            "--digests-file",
            str(WORK / "lock-digests.json"),
            "--cells",
            f"spark-{cell['spark']}-python-{cell['python']}",
            "--archs",
            engine_arch(),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if locked.returncode != 0:
        fail(f"re-locking after the edit `{line.strip()}` failed:\n{locked.stderr[-3000:]}")
    seconds = time.monotonic() - start
    return {
        "lock_seconds": seconds,
        "locks_changed": sorted(
            str(path.relative_to(locks))
            for path, text in before.items()
            if path.read_bytes() != text
        ),
    }


def import_seconds(image: str) -> float:
    run = subprocess.run(
        ["docker", "run", "--rm", image, "python3", "-c", TIME_IMPORTS],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        fail(f"`{IMPORTS}` failed in {image}:\n{run.stderr[-2000:]}")
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
            "layers": len(image_layers),
            "largest_layer_bytes": max(layer.size for layer in image_layers),
            "largest_layer_instruction": max(
                image_layers, key=lambda layer: layer.size
            ).instruction[:100],
            "bytes_shared_with_base": sum(
                layer.size for layer in image_layers if layer.digest in base_digests
            ),
        }
    figures["base"]["import_seconds"] = import_seconds(images["base"])
    return figures


def run_build(
    definition: dict, build: str, variants: list[str], cell: dict, pulls: Pulls, edits: bool
) -> dict:
    """A build's cold build, then (with edits) each edit alone on top of it and the rebuild, each
    pushed; its cold images measured. The naive build may fail an edit: pip, with no lock,
    backtracks."""
    targets = [f"{build}{SUFFIXES[variant]}" for variant in variants]
    figures: dict = {"pushed": {}}

    def push(step: str) -> None:
        figures["pushed"][step] = {
            variant: pulls.push(
                bench_image(definition, build, variant), f"{build}{SUFFIXES[variant]}", step
            )
            for variant in variants
        }

    prepare(build, cell["spark"])
    empty_build_cache()
    print(f"benchmark: {build}: cold build of {' '.join(targets)}", file=sys.stderr)
    figures["cold_build_seconds"], log = bake(*targets, log=f"{build}-cold")
    figures["cold_export_seconds"], figures["cold_unpack_seconds"] = (
        log.export_seconds,
        log.unpack_seconds,
    )
    figures["cold_timeline"] = log.timeline()
    figures["images"] = measure_images(definition, build, variants)
    push("cold")
    moved = locked_version(cell, MOVED_PACKAGE)
    for step, requirement_set, line in (
        ("iceberg-edit", "iceberg", ICEBERG_EDIT),
        ("base-move", "base", f"{MOVED_PACKAGE}<{moved}  # benchmark: a base package moves\n"),
    )[: 2 if edits else 0]:
        prepare(build, cell["spark"])
        figures[step] = edit(build, requirement_set, line, cell)
        print(
            f"benchmark: {build}: rebuild after `{line.split('#')[0].strip()}`"
            f" in requirements-{requirement_set}.txt",
            file=sys.stderr,
        )
        figures[step]["rebuild_seconds"], log = bake(
            *targets, log=f"{build}-{step}", may_fail=build == "naive"
        )
        figures[step]["steps_run"] = [
            name for name, _ in log.timeline() if not name.endswith("exporting")
        ]
        if log.error:
            sources = re.findall(r"Downloading (\S+\.tar\.gz)", log.text)
            figures[step]["failed"] = log.error + (
                f" (pip had backtracked to {sources[-1]}, built from source)" if sources else ""
            )
            continue
        push(step)
        figures[step]["node_update"] = {
            variant: pulls.update_bytes(
                figures["pushed"]["cold"][variant], figures["pushed"][step][variant]
            )
            for variant in variants
        }
    return figures


def foreign_cold_build(definition: dict, variants: list[str], spark_version: str) -> dict:
    """Each build's cold build for the foreign platform, from unedited files."""
    foreign = next(platform for platform in MACHINES if platform != f"linux/{engine_arch()}")
    seconds = {"platform": foreign}
    for build in BUILDS:
        prepare(build, spark_version)
        targets = [f"{build}{SUFFIXES[variant]}" for variant in variants]
        empty_build_cache()
        print(
            f"benchmark: {build}: cold build of {' '.join(targets)} for {foreign}", file=sys.stderr
        )
        seconds[build], _ = bake(
            *targets,
            log=f"{build}-cold-{foreign.split('/')[1]}",
            flags=("--set", f"*.platform={foreign}"),
        )
    return seconds


def rows(result: dict) -> list[list]:
    """[label, naive, ours, ours/naive] rows for the table."""
    naive, ours = result["naive"], result["ours"]
    table = [
        [
            f"cold build, linux/{result['arch']} (s)",
            naive["cold_build_seconds"],
            ours["cold_build_seconds"],
        ]
    ]
    table.append(
        [
            "  of which exporting layers (s)",
            naive["cold_export_seconds"],
            ours["cold_export_seconds"],
        ]
    )
    table.append(
        [
            "  of which unpacking into the store (s)",
            naive["cold_unpack_seconds"],
            ours["cold_unpack_seconds"],
        ]
    )
    if "foreign" in result:
        table.append(
            [
                f"cold build, {result['foreign']['platform']} (s)",
                result["foreign"]["naive"],
                result["foreign"]["ours"],
            ]
        )
    for step, what in (("iceberg-edit", "iceberg edit"), ("base-move", f"{MOVED_PACKAGE} moved")):
        if step not in naive:
            continue
        failed = "failed" in naive[step]
        table.append(
            [
                f"rebuild after {what} (s)" + (", naive failed after" if failed else ""),
                naive[step]["rebuild_seconds"],
                ours[step]["rebuild_seconds"],
            ]
        )
        for variant in result["variants"]:
            name = "python-deps" + SUFFIXES[variant]
            table.append(
                [
                    f"  {name}: a node pulls (MB)",
                    None if failed else naive[step]["node_update"][variant]["bytes"] / MB,
                    ours[step]["node_update"][variant]["bytes"] / MB,
                ]
            )
    for variant in result["variants"]:
        name = "python-deps" + SUFFIXES[variant]
        table += [
            [
                f"{name}: cold pull + unpack (s)",
                naive["pulls"][variant]["seconds"],
                ours["pulls"][variant]["seconds"],
            ],
            [
                f"{name}: bytes pulled (MB)",
                naive["pulls"][variant]["bytes"] / MB,
                ours["pulls"][variant]["bytes"] / MB,
            ],
            [
                f"{name}: image (MB)",
                naive["images"][variant]["image_bytes"] / MB,
                ours["images"][variant]["image_bytes"] / MB,
            ],
            [
                f"{name}: largest layer (MB)",
                naive["images"][variant]["largest_layer_bytes"] / MB,
                ours["images"][variant]["largest_layer_bytes"] / MB,
            ],
        ]
        if variant != "base":
            table.append(
                [
                    f"{name}: bytes shared with python-deps (MB)",
                    naive["images"][variant]["bytes_shared_with_base"] / MB,
                    ours["images"][variant]["bytes_shared_with_base"] / MB,
                ]
            )
    table.append(
        [
            f'python-deps: python -c "{IMPORTS}" (s)',
            naive["images"]["base"]["import_seconds"],
            ours["images"]["base"]["import_seconds"],
        ]
    )
    return [
        [label, naive, ours, ours / naive if naive and not label.endswith("failed after") else None]
        for label, naive, ours in table
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--variants",
        default=os.environ.get("BENCH_VARIANTS") or "base,iceberg",
        help="comma-separated, from base, gpu, iceberg (BENCH_VARIANTS; default: base,iceberg)",
    )
    parser.add_argument(
        "--pulls",
        type=int,
        default=2,
        help="cold pulls of each image, the median reported (default 2)",
    )
    parser.add_argument(
        "--no-foreign",
        action="store_true",
        help="leave out the cold build for the foreign platform (it needs the base built for it)",
    )
    parser.add_argument(
        "--no-edits",
        action="store_true",
        help="leave out the rebuilds after edits (with gpu, each naive edit installs RAPIDS again)",
    )
    parser.add_argument(
        "--json", default=str(REPORTS / "benchmark.json"), help="where to write the figures"
    )
    args = parser.parse_args()
    variants = args.variants.split(",")
    unknown = set(variants) - set(SUFFIXES)
    if unknown or "base" not in variants or "iceberg" not in variants:
        fail(
            f"--variants must include base and iceberg, from {', '.join(SUFFIXES)};"
            f" got {args.variants}"
        )

    definition = bake_definition(*(f"bench-{build}" for build in BUILDS))
    cell = {
        "spark": bake_variable(definition, "ours", "SPARK_VERSION"),
        "python": bake_variable(definition, "ours", "PYTHON_VERSION"),
    }
    result: dict = {
        "variants": variants,
        "cell": cell,
        "arch": engine_arch(),
        "cpus": os.cpu_count(),
        "edits": {"iceberg-edit": ICEBERG_EDIT.strip(), "base-move": MOVED_PACKAGE},
    }

    with Pulls(WORK) as pulls:
        for build in BUILDS:
            result[build] = run_build(
                definition, build, variants, cell, pulls, edits=not args.no_edits
            )
        for build in BUILDS:
            print(f"benchmark: {build}: cold pulls", file=sys.stderr)
            result[build]["pulls"] = {
                variant: pulls.cold_pull(result[build]["pushed"]["cold"][variant], args.pulls)
                for variant in variants
            }
    if not args.no_foreign:
        result["foreign"] = foreign_cold_build(definition, variants, cell["spark"])
    shutil.rmtree(WORK)
    images = [bench_image(definition, build, variant) for build in BUILDS for variant in variants]
    subprocess.run(["docker", "image", "rm", *images], capture_output=True)

    table = rows(result)
    result["table"] = [
        {"what": label, "naive": naive, "ours": ours, "ours_over_naive": ratio}
        for label, naive, ours, ratio in table
    ]
    write_json(Path(args.json), result)
    left_out = [
        what
        for flag, what in (
            (args.no_edits, "the edits (--no-edits)"),
            (args.no_foreign, "the cold build for the foreign platform (--no-foreign)"),
        )
        if flag
    ]
    notes = [f"\nleft out on request: {', '.join(left_out)}"] if left_out else [""]
    if not args.no_edits:
        notes += [
            f"ours re-locked in {result['ours']['iceberg-edit']['lock_seconds']:.0f} s"
            f" and {result['ours']['base-move']['lock_seconds']:.0f} s "
            "(not in its rebuild times; the naive build resolves inside them)",
            *(
                f"ours, steps run after the {step}:"
                f" {', '.join(result['ours'][step]['steps_run']) or 'none'}"
                for step in ("iceberg-edit", "base-move")
            ),
            *(
                f"naive, the {step} failed: {result['naive'][step]['failed']}"
                for step in ("iceberg-edit", "base-move")
                if "failed" in result["naive"][step]
            ),
        ]
    notes += [
        f"cold pulls of {'python-deps' + SUFFIXES[variant]} (s), each run:"
        f" naive {', '.join(f'{run:.1f}' for run in result['naive']['pulls'][variant]['runs'])}; "
        f"ours {', '.join(f'{run:.1f}' for run in result['ours']['pulls'][variant]['runs'])}"
        for variant in variants
    ]
    notes.append(f"figures: {args.json}")
    if not args.no_foreign:
        foreign = result["foreign"]
        notes.insert(
            1,
            f"cold build, {foreign['platform']} over linux/{result['arch']}:"
            f" naive {foreign['naive'] / result['naive']['cold_build_seconds']:.2f}, "
            f"ours {foreign['ours'] / result['ours']['cold_build_seconds']:.2f}",
        )
    print_table(
        f"Spark {cell['spark']}, Python {cell['python']}, {' + '.join(variants)};"
        f" linux/{result['arch']}, {result['cpus']} CPUs",
        ["naive", "ours", "ours/naive"],
        table,
        notes,
    )


if __name__ == "__main__":
    main()
