"""What every verb of `python-deps` (python_deps/__main__.py) shares: a parser whose errors are one
line and exit 2, and the one prefix of its messages. Standard library only, so that the verbs that
need no third-party package run on any Python 3.11."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import NoReturn

PROG = "python-deps"


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose bad argument is one line on stderr, `PROG: error: ...`, and exit 2:
    no usage block, so that a make target's failure reads as its reason."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())}\n")


def parser(verb: str, description: str, **kwargs) -> Parser:
    """The parser of one verb: `python-deps VERB`, its help the description, whole sentences."""
    return Parser(prog=f"{PROG} {verb}", description=description, **kwargs)


def prefix(verb: str) -> str:
    """What each message of a verb starts with: `python-deps VERB:`."""
    return f"{PROG} {verb}:"


def fail(verb: str, message: str, status: int = 1) -> NoReturn:
    """A verb's refusal: one line on stderr, `python-deps VERB: error: ...`, and its exit status
    (1: the verb ran and could not do it; 2: what it was asked is wrong)."""
    print(f"{prefix(verb)} error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(status)


# The make variables the verbs read as their options' defaults (make passes them in the
# environment); CELL and REGISTRY are bake's variables too.
MAKE_VARIABLES = (
    "CELL",
    "CELLS",
    "PLATFORM",
    "VARIANTS",
    "JOBS",
    "FULL",
    "PACKAGES",
    "UPGRADE_PROOF",
    "REGISTRY",
    "STAGING",
    "RELEASE_GROUP",
    "RELEASE_RECORDS",
    "LEG_KIND",
    "LEG_PYTEST_ARGS",
    "DRIVER",
    "EXECUTOR",
    "BENCH_VARIANTS",
)
# Options of one verb, not of the make targets nested in it (an upgrade's proof, a test run).
VERB_ONLY = tuple(name for name in MAKE_VARIABLES if name not in ("CELL", "REGISTRY"))


def from_make(name: str, default=None):
    """An option's default: the make variable of that name, which `make TARGET NAME=value` passes
    in the environment, else the default."""
    assert name in MAKE_VARIABLES, f"{name} is not in cli.MAKE_VARIABLES"
    return os.environ.get(name) or default


def nested_environment(environment: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The environment for a make or test run a verb starts: without the verb-only variables,
    and without make's own, so that the nested make is a fresh one."""
    dropped = {*VERB_ONLY, "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "MAKELEVEL"}
    return {name: value for name, value in environment.items() if name not in dropped}


def require(parser: Parser, args: argparse.Namespace, example: str, **variables: str) -> None:
    """Refuse in one line where an argument (option: its make variable) is not set."""
    missing = [name for option, name in variables.items() if not getattr(args, option)]
    if missing:
        parser.error(f"set {' and '.join(missing)}, e.g. {example}")


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1 (--jobs)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is less than 1")
    return value


def cell_list(text: str) -> list:
    """An argparse type: comma-separated cells, spark-X.Y-python-A.B,... (declaration.Cell)."""
    from python_deps.declaration import Cell

    try:
        return [Cell.parse(cell) for cell in text.split(",")]
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def one_cell(text: str):
    """An argparse type: one cell, spark-X.Y-python-A.B (declaration.Cell)."""
    from python_deps.declaration import Cell

    try:
        return Cell.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
