"""The command line's conventions (python-deps, python_deps/__main__.py): every verb and sub-verb
answers --help on stdout with exit 0, and a bad argument is one line on stderr,
`python-deps VERB: error: ...`, with exit 2, never a traceback or a usage block. No image, no
engine: each runs `python -m python_deps` as the console script does."""

import subprocess
import sys

import pytest

from python_deps import ROOT
from python_deps.__main__ import VERBS, module_of

# The verbs with verbs of their own.
SUB_VERBS = {"release": ["matrix", "leg", "merge"], "bases": ["plan", "check"]}
# One wrong value per verb where it takes a value to check, beside the unknown option every verb
# refuses.
BAD_VALUES = {
    "lock": ["--cells", "4.3/3.13"],
    "upgrade": ["--jobs", "0"],
    "prove": ["--cells", "spark-4.3"],
    "release": ["leg", "--cell", "4.0/3.11", "--platform", "linux/amd64"],
}


def verbs() -> list[str]:
    return list(VERBS)


def test_each_verb_is_the_module_of_its_name():
    """python-deps VERB runs python_deps/VERB.py (- as _), and no module named otherwise."""
    missing = [
        verb
        for verb in VERBS
        if not (ROOT / module_of(verb).replace(".", "/")).with_suffix(".py").is_file()
    ]
    assert not missing, f"verbs without a module of their name: {missing}"


def python_deps(*arguments: str, interpreter: tuple[str, ...] = (sys.executable,)):
    return subprocess.run(
        [*interpreter, "-m", "python_deps", *arguments],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def assert_help(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python-deps"), result.stdout
    assert result.stderr == ""


def assert_refused(result: subprocess.CompletedProcess, prog: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{prog}: error: "), result.stderr


def test_the_help_lists_every_verb():
    result = python_deps("--help")
    assert_help(result)
    for verb, summary in VERBS.items():
        assert verb in result.stdout
        assert summary.endswith("."), f"{verb}: its summary is not a whole sentence"


@pytest.mark.parametrize("verb", verbs())
def test_a_verb_answers_help(verb):
    assert_help(python_deps(verb, "--help"))


@pytest.mark.parametrize(
    "verb, sub_verb", [(verb, sub) for verb, subs in SUB_VERBS.items() for sub in subs]
)
def test_a_sub_verb_answers_help(verb, sub_verb):
    result = python_deps(verb, sub_verb, "--help")
    assert_help(result)
    assert result.stdout.startswith(f"usage: python-deps {verb} {sub_verb}"), result.stdout


@pytest.mark.parametrize("verb", verbs())
def test_an_unknown_option_is_one_line(verb):
    assert_refused(python_deps(verb, "--no-such-option"), f"python-deps {verb}")


@pytest.mark.parametrize("verb", BAD_VALUES)
def test_a_bad_value_is_one_line(verb):
    arguments = BAD_VALUES[verb]
    prog = f"python-deps {verb}" + (f" {arguments[0]}" if verb in SUB_VERBS else "")
    result = python_deps(verb, *arguments)
    assert_refused(result, prog)
    if any(argument.startswith("--cell") for argument in arguments):
        assert "spark-X.Y-python-A.B, e.g. spark-4.3-python-3.13" in result.stderr


@pytest.mark.parametrize(
    "arguments, message",
    [
        ([], "the following arguments are required: VERB"),
        (["no-such-verb"], "invalid choice: 'no-such-verb'"),
        (["--no-such-option"], "the following arguments are required: VERB"),
    ],
)
def test_a_bad_verb_is_one_line(arguments, message):
    result = python_deps(*arguments)
    assert_refused(result, "python-deps")
    assert message in result.stderr


def test_the_help_needs_no_third_party_package():
    """-S: no site-packages, as the system Python of a machine without make venv."""
    assert_help(python_deps("--help", interpreter=(sys.executable, "-S")))


@pytest.mark.parametrize("verb", ["lock", "sizes", "matrix"])
def test_a_missing_package_is_one_line_naming_make_venv(verb):
    result = python_deps(verb, "--help", interpreter=(sys.executable, "-S"))
    assert_refused(result, f"python-deps {verb}")
    assert result.stderr.startswith(f"python-deps {verb}: error: the Python package ")
    assert result.stderr.endswith(" is missing: run make venv, then use .venv/bin/python-deps\n"), (
        result.stderr
    )


def test_upgrade_help_documents_one_package():
    result = python_deps("upgrade", "--help")
    assert "--package NAME" in result.stdout and "--cells" in result.stdout
