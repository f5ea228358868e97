"""Write docs/figures.md, the one page of measured figures, from a run's reports/ folder.

Reads what is there of: disk.json (python-deps disk watch: time and peak disk per phase of make
test), junit.xml and junit-slow.xml (the pytest of make test and of make test-slow: passed,
failed, skipped), matrix.json (make test-matrix: per cell) and
benchmark*.json (make bench). The page opens with the commit, the date and the machine the run
was made on; run it on that machine, after that run, as

    python -m python_deps figures reports/ --output docs/figures.md
"""

from __future__ import annotations

import json
import os
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from python_deps.cli import parser as verb_parser
from python_deps.cli import prefix
from python_deps.runner import git


def duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}m{seconds:02}s"


def number(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


# The pytest reports a run may leave, by the make target that writes each.
JUNIT_REPORTS = {"junit.xml": "make test", "junit-slow.xml": "make test-slow"}


def table(header: list[str], rows: list[list], right_from: int = 1) -> list[str]:
    align = ["---" if column < right_from else "---:" for column in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def junit_counts(path: Path) -> dict:
    """passed, failed, skipped and the run's timestamp, from pytest's JUnit XML."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    counts = {"tests": 0, "failed": 0, "skipped": 0, "seconds": 0.0, "timestamp": ""}
    for suite in suites:
        counts["tests"] += int(suite.get("tests", 0))
        counts["failed"] += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        counts["skipped"] += int(suite.get("skipped", 0))
        counts["seconds"] += float(suite.get("time", 0))
        counts["timestamp"] = counts["timestamp"] or suite.get("timestamp", "")
    counts["passed"] = counts["tests"] - counts["failed"] - counts["skipped"]
    return counts


def machine() -> str:
    """This machine's CPUs and memory: the generator runs where the reports were made."""
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) / 1024**2:.1f} GiB of memory"
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs (nproc){memory}"


def commit(reports: Path) -> str:
    """The revision a green make test recorded, else the checkout's."""
    tested = reports / "tested.json"
    if tested.is_file():
        revision = json.loads(tested.read_text()).get("revision", "")
        if revision:
            return revision
    return git("rev-parse", "HEAD") or "unknown"


def run_date(reports: Path, junit: dict | None) -> str:
    if junit and junit["timestamp"]:
        return junit["timestamp"].split("T")[0]
    dated = [path for path in (reports / "disk.json", reports / "junit.xml") if path.is_file()]
    stamp = dated[0].stat().st_mtime if dated else datetime.now(UTC).timestamp()
    return datetime.fromtimestamp(stamp, UTC).date().isoformat()


def disk_section(report: dict) -> list[str]:
    peak = report["peak"]
    rows = [
        [
            name,
            duration(phase["ended_s"] - phase["began_s"]),
            f"{phase['peak_above_start_gb']:.1f} GB",
        ]
        for name, phase in report["phases"].items()
    ]
    rows.append(["in all", duration(report["seconds"]), f"{peak['above_start_gb']:.1f} GB"])
    running = f", while {', '.join(peak['running'])} ran" if peak.get("running") else ""
    return [
        "## Time and disk, phase by phase",
        "",
        f"`{' '.join(report['command'])}`, exit status {report['exit_code']}"
        f" (`reports/disk.json`). The peak: {peak['above_start_gb']:.1f} GB above the start,"
        f" in the phase {peak['phase']}{running}.",
        "",
        *table(["phase", "time", "peak disk above the start"], rows),
    ]


def tests_section(runs: dict[str, dict]) -> list[str]:
    """A line for each pytest run there is a report of, by the make target that ran it."""
    return [
        "## Tests",
        "",
        *(
            f"- `{JUNIT_REPORTS[name]}`'s pytest (`reports/{name}`): {counts['passed']} passed,"
            f" {counts['failed']} failed, {counts['skipped']} skipped, in"
            f" {duration(counts['seconds'])}."
            for name, counts in runs.items()
        ),
    ]


def matrix_section(results: list[dict]) -> list[str]:
    rows = [
        [
            result["cell"],
            ", ".join(result["variants"]),
            result["passed"],
            result["failed"],
            result["skipped"],
            duration(result["seconds"]),
        ]
        for result in results
    ]
    return [
        "## `make test-matrix`, per cell",
        "",
        "From `reports/matrix.json`.",
        "",
        *table(["cell", "variants", "passed", "failed", "skipped", "wall time"], rows, 2),
    ]


def numbers(figures: dict) -> dict:
    """The numeric entries of a mapping, by key."""
    return {
        key: value
        for key, value in figures.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    }


def benchmark_section(path: Path, figures: dict) -> list[str]:
    """A benchmark's figures, in whichever of the benchmarks' shapes it has."""
    lines = [f"### `reports/{path.name}`", ""]
    cell = figures.get("cell")
    if isinstance(cell, dict) and cell.get("spark"):
        lines += [f"Spark {cell['spark']}, Python {cell.get('python', '?')}.", ""]
    if isinstance(figures.get("table"), list):  # rows the benchmark printed
        rows = [
            [row["what"], *(number(row.get(key)) for key in ("naive", "ours", "ours_over_naive"))]
            for row in figures["table"]
        ]
        return lines + table(["", "naive", "ours", "ours/naive"], rows)
    if isinstance(figures.get("naive"), dict) and isinstance(figures.get("ours"), dict):
        naive, ours = numbers(figures["naive"]), numbers(figures["ours"])
        rows = [
            [
                key,
                number(naive.get(key)),
                number(ours.get(key)),
                number(ours[key] / naive[key]) if naive.get(key) and key in ours else "-",
            ]
            for key in [*naive, *(key for key in ours if key not in naive)]
        ]
        return lines + table(["", "naive", "ours", "ours/naive"], rows)
    if isinstance(figures.get("settings"), dict):  # one entry per setting
        keys: list[str] = []
        for setting in figures["settings"].values():
            keys += [key for key in numbers(setting) if key not in keys]
        rows = [
            [name, *(number(numbers(setting).get(key)) for key in keys)]
            for name, setting in figures["settings"].items()
        ]
        return lines + table(["setting", *keys], rows)
    flat = numbers(figures)
    if not flat:
        return lines + ["(no figures in a shape this page reads)"]
    return lines + table(["", "value"], [[key, number(value)] for key, value in flat.items()])


def render(reports: Path) -> str:
    disk = reports / "disk.json"
    junit_files = [reports / name for name in JUNIT_REPORTS if (reports / name).is_file()]
    matrix = reports / "matrix.json"
    benchmarks = sorted(reports.glob("benchmark*.json"))
    runs = {path.name: junit_counts(path) for path in junit_files}
    junit = runs.get("junit.xml") or next(iter(runs.values()), None)
    lines = [
        "# Figures",
        "",
        "Generated by `python -m python_deps figures reports/ --output docs/figures.md` from one"
        " run's `reports/`: do not edit by hand. Every other page links here for what a run"
        " measured. Back to the [README](../README.md).",
        "",
        f"- commit: `{commit(reports)}`",
        f"- date: {run_date(reports, junit)}",
        f"- machine: {machine()}",
    ]
    if disk.is_file():
        lines += ["", *disk_section(json.loads(disk.read_text()))]
    if runs:
        lines += ["", *tests_section(runs)]
    if matrix.is_file():
        lines += ["", *matrix_section(json.loads(matrix.read_text()))]
    if benchmarks:
        lines += ["", "## Benchmarks (`make bench`)"]
        for path in benchmarks:
            lines += ["", *benchmark_section(path, json.loads(path.read_text()))]
    read = [path.name for path in (disk, *junit_files, matrix, *benchmarks) if path.is_file()]
    lines += ["", f"Read from: {', '.join(read) or 'nothing'}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = verb_parser("figures", __doc__)
    parser.add_argument("reports", type=Path, help="the run's reports folder, e.g. reports/")
    parser.add_argument(
        "--output", "-o", type=Path, help="the page to write (default: standard output)"
    )
    args = parser.parse_args(argv)
    if not args.reports.is_dir():
        parser.error(f"{args.reports}: no such folder")
    if not any(
        (args.reports / name).is_file() for name in ("disk.json", *JUNIT_REPORTS, "matrix.json")
    ) and not any(args.reports.glob("benchmark*.json")):
        parser.error(
            f"{args.reports}: none of disk.json, junit.xml, matrix.json, benchmark*.json:"
            " run make test (or make bench, make test-matrix) first"
        )
    page = render(args.reports)
    if args.output:
        args.output.write_text(page)
        print(f"{prefix('figures')} wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(page)
    return 0
