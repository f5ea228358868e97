"""Where a build's time goes, from its plain progress log (`make build 2>&1 | tee build.log`, or
the reports/benchmark-*.log the benchmarks write): the seconds of every step that ran, summed
over the targets that ran it, slowest first; with two logs, side by side (before, after).

Steps of several targets run at once on a few cores, so the seconds add up to more than the
wall time; a step that ran in both logs compares like for like.

Usage: python benchmarks/timeline.py LOG [LOG_AFTER] [--top 30]
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from pathlib import Path

from measure import BuildLog, print_table

TARGET = re.compile(r"^\[\S+ ")
REAL = re.compile(r"^real\s+(\d+)m([\d.]+)s$", re.M)


def step_seconds(log: BuildLog) -> dict[str, float]:
    """Seconds per step, the target's name dropped ("[python-deps-spark43-py313 pyspark 2/2] RUN"
    is "pyspark 2/2 RUN"), each export as "exporting to image"."""
    totals: dict[str, float] = defaultdict(float)
    for name, seconds in log.timeline():
        key = (
            "exporting to image"
            if name.endswith("] exporting")
            else TARGET.sub("", name).replace("]", "")
        )
        totals[key] += seconds
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("logs", nargs="+", type=Path, help="one log, or two: before and after")
    parser.add_argument("--top", type=int, default=30, help="rows, slowest first (default 30)")
    args = parser.parse_args()
    texts = [path.read_text(errors="replace") for path in args.logs[:2]]
    logs = [BuildLog(text) for text in texts]
    columns = [step_seconds(log) for log in logs]
    keys = sorted(
        {key for column in columns for key in column},
        key=lambda key: -max(column.get(key, 0) for column in columns),
    )
    rows = [[key, *(column.get(key) for column in columns)] for key in keys[: args.top]]
    rows.append(["all steps (s, summed)", *(sum(column.values()) for column in columns)])
    rows.append(["  exporting layers (s)", *(log.export_seconds for log in logs)])
    rows.append(["  unpacking into the image store (s)", *(log.unpack_seconds for log in logs)])
    walls = [REAL.search(text) for text in texts]
    if all(walls):
        rows.append(
            [
                "wall time of the command (s)",
                *(int(wall.group(1)) * 60 + float(wall.group(2)) for wall in walls),
            ]
        )
    print_table(
        "seconds per step, summed over targets", [path.name[:12] for path in args.logs[:2]], rows
    )


if __name__ == "__main__":
    main()
