"""Does a large layer pull faster split in parts? The largest layer of python-deps, PySpark's jars
(about 480 MB), as one layer and as three (the same files, by name), each image holding nothing
else, in the images' compression (LAYER_COMPRESSION); both pushed to a registry on loopback and
pulled cold (download and unpack) into an engine started empty (measure.py). docker pulls up to
three layers at once and unpacks them in order.

Needs the default cell's python-deps in the image store (make build).
Usage: python benchmarks/layer_split.py [--pulls 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import MB, REPORTS, ROOT, Pulls, fail, print_table, write_json  # noqa: E402

WORK = ROOT / "benchmarks" / ".work-layer-split"
SOURCE = "spark-k8s-python-deps:latest"
JARS = "/opt/python/lib/python{python}/site-packages/pyspark/jars"
DOCKERFILE = """
FROM scratch AS one-layer
COPY --from=deps {jars}/ /jars/

FROM scratch AS three-layers
COPY --from=deps {jars}/[0-9A-Ha-h]* /jars/
COPY --from=deps {jars}/[I-Ri-r]* /jars/
COPY --from=deps {jars}/[S-Zs-z_]* /jars/
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pulls", type=int, default=3, help="cold pulls of each, the median reported (default 3)"
    )
    parser.add_argument(
        "--json",
        default=str(REPORTS / "benchmark-layer-split.json"),
        help="where to write the figures",
    )
    args = parser.parse_args()
    inspected = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", SOURCE],
        capture_output=True,
        text=True,
    )
    if inspected.returncode != 0:
        fail(f"{SOURCE} is not in the image store: build it first (make build)")
    python = (
        json.loads(inspected.stdout)["spark-k8s.python-deps.lock-folder"]
        .split("python-")[1]
        .split("/")[0]
    )
    compression = os.environ.get("LAYER_COMPRESSION", "zstd")
    dockerfile = DOCKERFILE.format(jars=JARS.format(python=python))
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    results = {}
    with Pulls(WORK) as pulls:
        for shape in ("one-layer", "three-layers"):
            image = f"python-deps-bench-jars:{shape}"
            built = subprocess.run(
                [
                    "docker",
                    "buildx",
                    "build",
                    "--quiet",
                    "--provenance=false",
                    "--target",
                    shape,
                    "--build-context",
                    f"deps=docker-image://{SOURCE}",
                    "--output",
                    f"type=image,name={image},compression={compression},force-compression=true,oci-mediatypes=true",
                    "-f",
                    "-",
                    str(WORK),
                ],
                input=dockerfile,
                capture_output=True,
                text=True,
            )
            if built.returncode != 0:
                fail(f"building {image} failed:\n{built.stderr[-2000:]}")
            remote = pulls.push(image, "jars", shape)
            subprocess.run(["docker", "image", "rm", image], capture_output=True)
            print(f"benchmark: cold pulls of the jars as {shape}", file=sys.stderr)
            results[shape] = {
                "layers": len(pulls.layers(remote)),
                **pulls.cold_pull(remote, args.pulls),
            }
    shutil.rmtree(WORK)
    write_json(Path(args.json), {"source": SOURCE, "compression": compression, "shapes": results})
    one = results["one-layer"]["seconds"]
    print_table(
        f"PySpark's jars from {SOURCE}, {compression}: cold pull + unpack",
        ["layers", "MB", "pull s", "vs one"],
        [
            [
                shape,
                figures["layers"],
                figures["bytes"] / MB,
                figures["seconds"],
                figures["seconds"] / one,
            ]
            for shape, figures in results.items()
        ],
        [f"figures: {args.json}"],
    )


if __name__ == "__main__":
    main()
