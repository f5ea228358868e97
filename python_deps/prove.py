"""Build and test every cell of the bake group `matrix`, one cell at a time (`make test-matrix`).

For each cell: `make test` with BAKE_GROUP set to the cell's variant targets and pytest limited
to the tests of images (marker `cell`; the once-per-run tests are `make test`'s), then the
cell's images are removed and the build cache trimmed, so that the disk holds one cell at a time
(a gpu image is gigabytes). Prints passed/failed/skipped and wall time per cell and writes them
to reports/matrix.json; exits non-zero if any cell failed.

--cells picks cells, --variants leaves variants out (python-deps is always tested).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree

from python_deps import REPORTS as ALL_REPORTS
from python_deps import ROOT, cli
from python_deps.bake import HARNESS_BAKE_FILES, definition
from python_deps.declaration import Cell
from python_deps.matrix import Variant, variants

REPORTS = ALL_REPORTS / "matrix"
# What BuildKit may keep between cells: the uv download cache and the shared layers, not every
# cell's gpu layers.
KEEP_BUILD_CACHE = "20gb"


def counts(junit_file) -> dict[str, int]:
    suite = ElementTree.parse(junit_file).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    total, failed, errors, skipped = (
        int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped")
    )
    return {
        "passed": total - failed - errors - skipped,
        "failed": failed + errors,
        "skipped": skipped,
    }


def test_cell(cell: Cell, selected: list[Variant]) -> dict:
    junit = REPORTS / f"{cell}.xml"
    junit.unlink(missing_ok=True)
    targets = " ".join(variant.target for variant in selected)
    print(f"{cli.prefix('prove')} {cell}: {targets}", file=sys.stderr, flush=True)
    start = time.monotonic()
    run = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "test",
            f"BAKE_GROUP={targets}",
            f"PYTEST_ARGS=-n auto -m cell --junitxml={junit}",
            "RECORD_TESTED=",
        ],
        cwd=ROOT,
        env=cli.nested_environment(),
    )
    result = {
        "cell": str(cell),
        "variants": [variant.name for variant in selected],
        "seconds": round(time.monotonic() - start),
    }
    result.update(
        counts(junit)
        if junit.exists()
        else {
            "passed": 0,
            "failed": 1,
            "skipped": 0,
            "error": "the build failed; see its output above",
        }
    )
    result["exit_code"] = run.returncode
    # The test images' definition holds the variants they are built on too.
    built = definition(tuple(variant.test_target for variant in selected), HARNESS_BAKE_FILES)[
        "target"
    ]
    images = [tag for target in built.values() for tag in target["tags"]]
    subprocess.run(["docker", "image", "rm", "--force", *images], capture_output=True)
    subprocess.run(
        ["docker", "buildx", "prune", "--force", f"--max-used-space={KEEP_BUILD_CACHE}"],
        capture_output=True,
    )
    return result


def main(argv: list[str] | None = None) -> None:
    parser = cli.parser("prove", __doc__)
    parser.add_argument(
        "--cells",
        type=cli.cell_list,
        default=cli.from_make("CELLS"),
        metavar="CELL,...",
        help="Test only these cells, e.g. spark-4.0-python-3.11 (CELLS; default: every cell of"
        " matrix).",
    )
    parser.add_argument(
        "--variants",
        metavar="VARIANT,...",
        default=cli.from_make("VARIANTS"),
        help=(
            "Test only these variants, e.g. python-deps-iceberg (VARIANTS; python-deps always;"
            " default: all)."
        ),
    )
    args = parser.parse_args(argv)
    cells = args.cells or []
    # python-deps always: the gpu and iceberg images are tested against it, and built on it anyway.
    wanted = set(args.variants.split(",")) | {"python-deps"} if args.variants else None
    by_cell: dict[Cell, list[Variant]] = {}
    for variant in variants(["matrix"]):
        if wanted and variant.name not in wanted:
            continue
        by_cell.setdefault(variant.cell, []).append(variant)
    unknown = set(cells) - set(by_cell)
    if unknown or not by_cell:
        cli.fail(
            "prove",
            "no such cell in the group matrix:"
            f" {', '.join(map(str, sorted(unknown))) or '(none selected)'};"
            f" cells: {', '.join(map(str, by_cell))}",
            status=2,
        )
    REPORTS.mkdir(parents=True, exist_ok=True)
    results = [
        test_cell(cell, selected)
        for cell, selected in by_cell.items()
        if not cells or cell in cells
    ]
    (REPORTS.parent / "matrix.json").write_text(json.dumps(results, indent=2))

    print(f"\n{'cell':26} {'variants':40} {'passed':>6} {'failed':>6} {'skipped':>7} {'time':>7}")
    for result in results:
        minutes, seconds = divmod(result["seconds"], 60)
        print(
            f"{result['cell']:26} {','.join(result['variants']):40} {result['passed']:6}"
            f" {result['failed']:6} {result['skipped']:7} {minutes:4}m{seconds:02}s"
        )
    print(f"figures: {REPORTS.parent / 'matrix.json'}")
    sys.exit(1 if any(result["failed"] or result["exit_code"] for result in results) else 0)


if __name__ == "__main__":
    main()
