"""Layer compression, measured: for each setting of LAYER_COMPRESSION and LAYER_COMPRESSION_LEVEL
(docker-bake.hcl), a cold build of our python-deps (the build cache emptied before each, so that
every layer is compressed anew, not converted from another setting's blobs), the seconds its
export spent compressing layers and unpacking them into the image store, the compressed bytes,
and a cold pull (download and unpack) from a registry on loopback into an engine started empty.

estargz is not measured: the Debian build of dockerd 28.5.2 here panics exporting it
("footer buffer = 48, not 51" in the vendored stargz-snapshotter), and taking the engine down
with every build on it. Lazy pulling, its point, also needs the stargz snapshotter on the nodes.

Writes reports/benchmark-compression.json and each build's log to reports/benchmark-*.log.
Usage: python benchmarks/compression.py [--settings gzip,gzip:1,zstd:1,zstd,zstd:9] [--pulls 2]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import measure  # noqa: E402

WORK = measure.ROOT / "benchmarks" / ".work-compression"
TARGET = "ours"
DEFAULT_SETTING = "zstd"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--settings",
        default="gzip,gzip:1,zstd:1,zstd,zstd:9",
        help="COMPRESSION[:LEVEL], comma-separated; no level: the exporter's default",
    )
    parser.add_argument(
        "--pulls", type=int, default=2, help="cold pulls of each, the median reported (default 2)"
    )
    parser.add_argument(
        "--json",
        default=str(measure.REPORTS / "benchmark-compression.json"),
        help="where to write the figures",
    )
    args = parser.parse_args()

    image = measure.bake_definition(TARGET)["target"][TARGET]["tags"][0]
    # The benchmark target builds from a scratch copy of the build context
    # (benchmarks/docker-bake.hcl).
    shutil.rmtree(WORK, ignore_errors=True)
    shutil.copytree(measure.ROOT / "docker" / "docker-intermediate" / "python-deps", WORK / "ours")

    results = {}
    with measure.Pulls(WORK) as pulls:
        for setting in args.settings.split(","):
            compression, _, level = setting.partition(":")
            measure.empty_build_cache()
            print(f"benchmark: cold build of python-deps, layers {setting}", file=sys.stderr)
            seconds, log = measure.bake(
                TARGET,
                log=f"compression-{setting.replace(':', '-')}",
                variables={
                    "LAYER_COMPRESSION": compression,
                    "LAYER_COMPRESSION_LEVEL": level,
                    "BENCH_WORK": str(WORK),
                },
            )
            remote = pulls.push(image, "compression", setting.replace(":", "-"))
            print(f"benchmark: cold pulls of python-deps, layers {setting}", file=sys.stderr)
            results[setting] = {
                "cold_build_seconds": seconds,
                "export_seconds": log.export_seconds,
                "unpack_seconds": log.unpack_seconds,
                **{
                    f"pull_{key}": value
                    for key, value in pulls.cold_pull(remote, args.pulls).items()
                },
            }
    subprocess.run(["docker", "image", "rm", image], capture_output=True)
    shutil.rmtree(WORK)

    measure.write_json(
        Path(args.json), {"image": "python-deps", "default": DEFAULT_SETTING, "settings": results}
    )
    baseline = results.get("gzip")
    rows = [
        [
            setting,
            figures["export_seconds"],
            figures["unpack_seconds"],
            figures["cold_build_seconds"],
            figures["pull_bytes"] / measure.MB,
            figures["pull_seconds"],
            figures["pull_seconds"] / baseline["pull_seconds"] if baseline else None,
        ]
        for setting, figures in results.items()
    ]
    measure.print_table(
        "python-deps, layer compression (export and unpack: seconds of the cold build's export)",
        ["export s", "unpack s", "build s", "pulled MB", "pull s", "pull/gzip"],
        rows,
        [f"default: {DEFAULT_SETTING} (docker-bake.hcl LAYER_COMPRESSION); figures: {args.json}"],
    )


if __name__ == "__main__":
    main()
