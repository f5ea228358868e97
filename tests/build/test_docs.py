"""The README and docs/ say what the code does: the cells table is generated from the declaration,
every make variable they show is one the Makefile or docker-bake.hcl reads, and the figures page
is written from a run's reports (no Docker needed)."""

import json
import re
from pathlib import Path

from python_deps import ROOT, docs, figures

DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_the_readme_cells_table_is_what_the_declaration_gives():
    _, block, _ = docs.split((ROOT / "README.md").read_text())
    assert block == docs.cells_block(), (
        "README.md's cells table differs from docker-bake.hcl's declaration:"
        " run python -m python_deps docs (python_deps/docs.py) and commit README.md"
    )


def test_docs_rewrites_a_stale_block_and_check_refuses_it(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n\n{docs.BEGIN}\n| old |\n{docs.END}\n\nafter\n")
    assert docs.main([str(readme), "--check"]) == 1
    assert "| old |" in readme.read_text()
    assert docs.main([str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("# Title\n\nbefore\n\n") and text.endswith("\n\nafter\n")
    assert docs.split(text)[1] == docs.cells_block()
    assert docs.main([str(readme), "--check"]) == 0


def test_the_cells_table_marks_the_default_cell_and_every_refusal():
    matrix = docs.declaration()
    block = docs.cells_block(matrix)
    assert f"**`{matrix.default_cell}`**, default: `latest`" in block
    for line in matrix.spark_lines.values():
        if set(docs.pythons(matrix)) - set(line.pythons):
            assert line.why in block, f"Spark {line.version}'s refusal is not in the table"
        for offered in line.pythons:
            assert f"`spark-{line.version}-python-{offered}`" in block


# A command line: a fenced code block's line, or an inline code span, that runs make,
# perhaps after NAME=value assignments.
MAKE_COMMAND = re.compile(r"^(?:[A-Z][A-Z0-9_]*=(?:'[^']*'|\"[^\"]*\"|\S)*\s+)*make(?:\s|$)")
ASSIGNED = re.compile(r"(?:^|\s)([A-Z][A-Z0-9_]*)=")


def command_lines(text: str) -> list[str]:
    """Each line of a fenced block, and each inline code span (one may wrap a line)."""
    lines, prose, fenced = [], [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            lines.append(line.strip().removeprefix("$ "))
        else:
            prose.append(line)
    for double, single in re.findall(r"``(.+?)``|`([^`]+)`", "\n".join(prose), re.DOTALL):
        lines.append(" ".join((double or single).split()))
    return [line for line in lines if MAKE_COMMAND.match(line.strip())]


def names_in(command: str) -> set[str]:
    """The NAME= of a command, without a trailing comment or quoted values."""
    command = re.sub(r"\s#.*", "", command)
    command = re.sub(r"'[^']*'|\"[^\"]*\"", "''", command)
    return set(ASSIGNED.findall(command))


def read_by_make_or_bake(name: str, makefile: str, bake_file: str) -> bool:
    """Read by the Makefile, by docker-bake.hcl, or by a verb or benchmark from the environment
    that make passes it in (cli.from_make)."""
    escaped = re.escape(name)
    readers = [*(ROOT / "python_deps").glob("*.py"), *(ROOT / "benchmarks").glob("*.py")]
    read_there = rf'(?:from_make|os\.environ\.get)\(\s*"{escaped}"'
    if any(re.search(read_there, reader.read_text()) for reader in readers):
        return True
    patterns = [
        rf"\$[({{]{escaped}[)}}]",  # $(NAME), ${NAME}
        rf"^\s*(?:export\s+|override\s+)?{escaped}\s*(?:\?|:|::|\+)?=",  # NAME ?= ...
        rf"^\s*(?:ifdef|ifndef)\s+{escaped}\s*$",
        rf"\$\((?:origin|value|flavor)\s+{escaped}\)",
        rf"^\s*export\b.*\b{escaped}\b",
    ]
    if any(re.search(pattern, makefile, re.MULTILINE) for pattern in patterns):
        return True
    return re.search(rf'^variable\s+"{escaped}"', bake_file, re.MULTILINE) is not None


def test_every_make_variable_the_docs_show_is_read_by_the_makefile_or_bake():
    makefile = (ROOT / "Makefile").read_text()
    bake_file = (ROOT / "docker-bake.hcl").read_text()
    offenders = []
    for path in DOC_FILES:
        for command in command_lines(path.read_text()):
            for name in sorted(names_in(command)):
                if not read_by_make_or_bake(name, makefile, bake_file):
                    offenders.append(f"{path.relative_to(ROOT)}: {name}= in `{command.strip()}`")
    assert not offenders, (
        f"{len(offenders)} make variables the docs show are read by neither the Makefile, the"
        " verbs nor docker-bake.hcl (variable blocks):\n" + "\n".join(offenders)
    )


def test_the_knob_check_reads_commands_as_written():
    text = (
        "Run `make test CELL=spark-3.5-python-3.11` or `FOO=1 make build\nBAR='A=1 B=2'`;"
        " `docker buildx bake NOTME=1` is no make line.\n\n"
        "```sh\nLOCK_CELLS=4.3/3.13 ARCHS=amd64 make upgrade   # SKIP=1 is a comment\n"
        "pytest -n auto X=1\n```\n"
    )
    names = set().union(*(names_in(command) for command in command_lines(text)))
    assert names == {"CELL", "FOO", "BAR", "LOCK_CELLS", "ARCHS"}
    makefile = "A ?= 1\nifdef B\nendif\nrun:\n\techo $(C) ${D} $(origin E)\nexport F G\n"
    assert all(read_by_make_or_bake(name, makefile, "") for name in "ABCDEF")
    assert not read_by_make_or_bake("H", makefile, 'variable "HH" {}')
    assert read_by_make_or_bake("H", "", 'variable "H" {\n}')


def write_reports(folder: Path) -> None:
    folder.mkdir()
    (folder / "disk.json").write_text(
        json.dumps(
            {
                "command": ["make", "--no-print-directory", "test-steps"],
                "exit_code": 0,
                "filesystems": {"/dev/sda1": "engine+checkout"},
                "seconds": 125.0,
                "peak": {
                    "above_start_gb": 14.63,
                    "phase": "tests",
                    "seconds": 100.0,
                    "running": ["tests/release/test_registry.py::test_round_trip"],
                },
                "phases": {
                    "engine and host tools": {
                        "began_s": 0.0,
                        "ended_s": 8.0,
                        "peak_above_start_gb": 0.1,
                    },
                    "tests": {"began_s": 8.0, "ended_s": 125.0, "peak_above_start_gb": 14.63},
                },
            }
        )
    )
    (folder / "junit.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="1"'
        ' failures="2" skipped="4" tests="240" time="1080.5" timestamp="2026-12-01T10:00:00"'
        ' hostname="runner"/></testsuites>'
    )
    (folder / "junit-slow.xml").write_text(
        '<testsuite tests="7" failures="0" errors="0" skipped="0" time="600"'
        ' timestamp="2026-12-01T10:20:00"/>'
    )
    (folder / "tested.json").write_text(json.dumps({"revision": "abc123def456", "images": []}))
    (folder / "matrix.json").write_text(
        json.dumps(
            [
                {
                    "cell": "spark-4.0-python-3.11",
                    "variants": ["python-deps", "python-deps-iceberg"],
                    "seconds": 180,
                    "passed": 59,
                    "failed": 0,
                    "skipped": 1,
                    "exit_code": 0,
                }
            ]
        )
    )
    (folder / "benchmark.json").write_text(
        json.dumps(
            {
                "cell": {"spark": "4.3", "python": "3.13"},
                "table": [
                    {
                        "what": "cold build (s)",
                        "naive": 124.1,
                        "ours": 65.5,
                        "ours_over_naive": 0.53,
                    }
                ],
            }
        )
    )
    (folder / "benchmark-executor.json").write_text(
        json.dumps({"naive": {"total_seconds": 34.2, "runs": []}, "ours": {"total_seconds": 29.3}})
    )
    (folder / "benchmark-compression.json").write_text(
        json.dumps({"settings": {"gzip": {"pull_seconds": 26.7}, "zstd": {"pull_seconds": 20.0}}})
    )


def test_the_figures_page_is_written_from_a_reports_folder(tmp_path):
    reports = tmp_path / "reports"
    write_reports(reports)
    page_file = tmp_path / "figures.md"
    assert figures.main([str(reports), "--output", str(page_file)]) == 0
    page = page_file.read_text()
    head = page.split("## ")[0]
    assert "commit: `abc123def456`" in head
    assert "date: 2026-12-01" in head
    assert re.search(r"machine: \d+ CPUs \(nproc\)", head)
    assert "| engine and host tools | 0m08s | 0.1 GB |" in page
    assert "| in all | 2m05s | 14.6 GB |" in page
    assert "in the phase tests, while tests/release/test_registry.py::test_round_trip ran" in page
    assert "`make test`'s pytest (`reports/junit.xml`): 233 passed, 3 failed, 4 skipped" in page
    assert "`make test-slow`'s pytest (`reports/junit-slow.xml`): 7 passed, 0 failed" in page
    assert (
        "| spark-4.0-python-3.11 | python-deps, python-deps-iceberg | 59 | 0 | 1 | 3m00s |" in page
    )
    assert "| cold build (s) | 124.1 | 65.5 | 0.53 |" in page
    assert "| total_seconds | 34.2 | 29.3 | 0.86 |" in page
    assert "| zstd | 20.0 |" in page


def test_the_figures_page_reads_what_is_there_and_refuses_an_empty_folder(tmp_path, capsys):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "junit.xml").write_text(
        '<testsuite tests="3" failures="0" errors="0" skipped="1" time="2"/>'
    )
    assert figures.main([str(reports)]) == 0
    page = capsys.readouterr().out
    assert "2 passed, 0 failed, 1 skipped" in page
    assert "phase by phase" not in page and "Benchmarks" not in page
    empty = tmp_path / "empty"
    empty.mkdir()
    try:
        figures.main([str(empty)])
    except SystemExit as error:
        assert error.code == 2
    else:
        raise AssertionError("an empty reports folder gave a figures page")
    assert "none of disk.json" in capsys.readouterr().err
