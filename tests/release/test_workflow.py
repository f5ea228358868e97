"""The GitHub Actions workflows lint clean, and their build steps go through the Makefile. No
Docker: actionlint and zizmor (offline, regular persona) read the files, nothing runs them."""

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from python_deps import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def tool(name: str) -> str | None:
    """The linter installed beside this Python (the venv of `make venv`), else one on PATH."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else shutil.which(name)


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def run_scripts(workflow: Path) -> list[str]:
    """The `run:` scripts of a workflow: one-line values and block scalars (`run: |`)."""
    scripts, lines = [], workflow.read_text().splitlines()
    for number, line in enumerate(lines):
        key = re.match(r"^(\s*)(?:-\s+)?run:\s*(.*)$", line)
        if not key:
            continue
        value = key.group(2)
        if value[:1] in ("|", ">"):
            indent = len(key.group(1))
            block = []
            for following in lines[number + 1 :]:
                if following.strip() and len(following) - len(following.lstrip()) <= indent:
                    break
                block.append(following)
            scripts.append("\n".join(block))
        else:
            scripts.append(re.sub(r"\s+#.*$", "", value))
    return scripts


def test_actionlint_is_clean():
    """With its configuration, .github/actionlint.yaml (the self-hosted runners' labels), as make
    lint runs it."""
    actionlint = tool("actionlint")
    assert actionlint, (
        "actionlint is not installed: make venv (the test dependency group) installs it"
    )
    result = subprocess.run(
        [actionlint, "-no-color", f"-shellcheck={tool('shellcheck') or ''}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, f"actionlint:\n{result.stdout}{result.stderr}"


def test_zizmor_is_clean():
    zizmor = tool("zizmor")
    assert zizmor, "zizmor is not installed: make venv (the test dependency group) installs it"
    result = subprocess.run(
        [zizmor, "--offline", "--no-progress", "--color=never", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, f"zizmor:\n{result.stdout}{result.stderr}"


def test_run_steps_build_through_the_makefile():
    """Every `make` target a workflow calls has a rule in the Makefile (a .PHONY name alone does
    nothing and succeeds), and no step calls docker build or bake itself."""
    rules = set()
    for line in (ROOT / "Makefile").read_text().splitlines():
        head = re.match(r"^([A-Za-z0-9_.%/-]+(?:\s+[A-Za-z0-9_.%/-]+)*)\s*:(?!=)", line)
        if head and not head.group(1).startswith("."):
            rules.update(head.group(1).split())
    missing, direct = [], []
    for workflow in workflow_files():
        for script in run_scripts(workflow):
            for arguments in re.findall(r"(?:^|[;&|(]|\bsudo)\s*make\s+([^;&|#\n]*)", script, re.M):
                targets = [
                    word
                    for word in shlex.split(arguments)
                    if "=" not in word and not word.startswith(("-", "*"))
                ]
                missing += [
                    f"{workflow.name}: make {target}" for target in targets if target not in rules
                ]
            direct += [
                f"{workflow.name}: {line.strip()}"
                for line in script.splitlines()
                if re.search(r"\bdocker\s+(buildx|build|push)\b", line)
            ]
    assert not missing, f"targets with no rule in the Makefile: {missing}"
    assert not direct, f"build steps outside the Makefile: {direct}"
