"""python-deps VERB [ARGS]: the product's commands, as the Makefile runs them.

Installed as the console script python-deps (`make venv`); `python -m python_deps` is the same
program. `python-deps VERB --help` tells what a verb takes.
"""

from __future__ import annotations

import importlib
import os
import sys

from python_deps.cli import PROG, Parser, fail

# verb: summary. Each verb is the module of its name (python_deps/VERB.py, - as _), imported only
# to run it: the help and the verbs of the standard library alone work without the venv's packages.
VERBS = {
    "checkout-lock": "Run a command holding this checkout's lock, or refuse at once naming its"
    " holder (every make).",
    "disk": "Check that the disk has the room make test needs, or run a command measuring its"
    " disk (make test).",
    "bake": "Run docker buildx bake with the labels, commit time, CA bundle and --allow flags of"
    " this checkout (make build).",
    "matrix": "Print the variant targets of bake groups (default: BAKE_GROUP).",
    "bases": "Say what making the base images of bake groups takes, and whether they are here"
    " (make bases).",
    "lock": "Resolve the requirement sets into the hashed locks (make lock, make check-lock).",
    "upgrade": "Move every lock, or only the named packages, to the newest versions allowed,"
    " proven by make test (make upgrade).",
    "sizes": "Print the bytes per image and layer (make sizes).",
    "sbom": "Print the licences the SBOMs of a folder declare, after `docker buildx bake sbom`"
    " (make sbom).",
    "labels": "Say from their labels whether a driver image and an executor image can run one"
    " Spark job (make check-pair).",
    "prove": "Build and test every cell of the matrix group, one at a time (make test-matrix).",
    "publish": "Push the images a green make test tested, by digest (make publish).",
    "release": "Print the release's legs, run one leg, or merge them (make release-matrix,"
    " release-leg, release-merge).",
    "figures": "Write docs/figures.md, the page of measured figures, from a run's reports/ folder.",
    "docs": "Rewrite the cells table of README.md from the matrix docker-bake.hcl declares.",
}


def module_of(verb: str) -> str:
    return f"python_deps.{verb.replace('-', '_')}"


# The third-party modules the verbs import, and the distribution each comes from (pyproject.toml's
# product group, which make venv installs).
DISTRIBUTIONS = {
    "hcl2": "python-hcl2",
    "zstandard": "zstandard",
}


def top_parser() -> Parser:
    parser = Parser(prog=PROG, description=__doc__.split("\n\n", 1)[1].strip())
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for verb, summary in VERBS.items():
        verbs.add_parser(verb, help=summary, add_help=False)
    return parser


def run(verb: str, arguments: list[str]) -> int:
    """The verb's main(arguments), its module imported now; a third-party package that is not
    installed is one line, not a traceback."""
    try:
        module = importlib.import_module(module_of(verb))
        result = module.main(arguments)
    except ModuleNotFoundError as missing:
        root = (missing.name or "").split(".")[0]
        if missing.name == module_of(verb):
            fail(verb, f"{missing.name} is not in this checkout", status=2)
        if not root or root == "python_deps":
            raise
        fail(
            verb,
            f"the Python package {DISTRIBUTIONS.get(root, root)} is missing: run make venv, then"
            f" use .venv/bin/{PROG}",
            status=2,
        )
    return result or 0


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in VERBS:
        # --help, or the one-line error: no verb, an unknown one, an option before it.
        top_parser().parse_args(argv)
        top_parser().error(f"expected a verb first: {', '.join(VERBS)}")
    try:
        status = run(argv[0], argv[1:])
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader stopped early (| head): no traceback, and no second error at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 1
    sys.exit(status)


if __name__ == "__main__":
    main()
