"""What an image says of itself in its labels, read without running it: its cell, its lock digest,
where its constraints are; and whether two images can be a driver and its executors."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from python_deps import cli
from python_deps.declaration import Cell

PREFIX = "spark-k8s.python-deps"
CELL_FOLDER = re.compile(
    r"locks/spark-(?P<spark>[^/]+)/python-(?P<python>[^/]+)/linux-(?P<arch>.+)"
)


def image_labels(image: str, platform: str | None = None) -> dict[str, str]:
    """The labels of an image in the engine's store, of one platform's in a multi-platform one."""
    inspect = [
        "docker",
        "image",
        "inspect",
        *([f"--platform={platform}"] if platform else []),
        "--format={{json .Config.Labels}}",
        image,
    ]
    found = subprocess.run(inspect, capture_output=True, text=True)
    if found.returncode != 0:
        raise LookupError(f"{image}: {found.stderr.strip()}")
    return json.loads(found.stdout) or {}


def cell_of(image: str) -> dict[str, str]:
    """{spark, python, arch} of an image of this family, from its lock-folder label."""
    folder = image_labels(image).get(f"{PREFIX}.lock-folder", "")
    matched = CELL_FOLDER.fullmatch(folder)
    if not matched:
        raise LookupError(
            f"{image} has no {PREFIX}.lock-folder label: it is not built on spark-k8s-python-deps"
        )
    return matched.groupdict()


def pair_problems(
    driver: str, ours: dict[str, str], executor: str, theirs: dict[str, str]
) -> list[str]:
    """Why a Spark driver of one image and executors of another (their cell_of()) would fail, []
    if they would not: PySpark runs a job only where the driver's Python and Spark line are the
    executors'."""
    problems = []
    if ours["python"] != theirs["python"]:
        problems.append(
            f"Python {ours['python']} in the driver ({driver}), {theirs['python']} in the"
            f" executors ({executor}): PySpark refuses a worker of another minor version"
            " (PYTHON_VERSION_MISMATCH)"
        )
    if ours["spark"] != theirs["spark"]:
        problems.append(
            f"Spark {ours['spark']} in the driver, {theirs['spark']} in the executors: the JVMs of"
            " two lines do not talk to each other"
        )
    return problems


def main(argv: list[str] | None = None) -> None:
    parser = cli.parser(
        "labels",
        "Check, from their labels, that a driver image and an executor image run the same Spark\n"
        "line and Python (make check-pair DRIVER=... EXECUTOR=...).",
    )
    parser.add_argument(
        "driver",
        nargs="?",
        default=cli.from_make("DRIVER"),
        metavar="DRIVER",
        help="The driver's image, in the engine's store (DRIVER).",
    )
    parser.add_argument(
        "executor",
        nargs="?",
        default=cli.from_make("EXECUTOR"),
        metavar="EXECUTOR",
        help="The executors' image, in the engine's store (EXECUTOR).",
    )
    args = parser.parse_args(argv)
    cli.require(
        parser,
        args,
        "make check-pair DRIVER=spark-k8s-python-deps:spark-4.3-python-3.13"
        " EXECUTOR=my-executor:1.2",
        driver="DRIVER",
        executor="EXECUTOR",
    )
    try:
        cell, executor_cell = cell_of(args.driver), cell_of(args.executor)
    except LookupError as error:
        cli.fail("labels", " ".join(str(error).split()))
    problems = pair_problems(args.driver, cell, args.executor, executor_cell)
    if problems:
        cli.fail(
            "labels",
            "these images cannot be a driver and its executors: "
            + "; ".join(problems)
            + ". Build both from one cell (spark-X.Y-python-A.B).",
        )
    print(
        f"{cli.prefix('labels')} {args.driver} and {args.executor} run"
        f" {Cell(cell['spark'], cell['python'])}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
