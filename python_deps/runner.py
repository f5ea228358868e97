"""The tools the verbs run (docker, oras, git), how a refusal is raised, and the facts about this
checkout and engine that every verb reads the same way: its revision, its commit's time, the
engine's platform. Standard library only: the Makefile runs verbs before the venv exists."""

from __future__ import annotations

import os
import re
import subprocess
from functools import cache
from pathlib import Path

from python_deps import ROOT


class Refusal(Exception):
    """What a verb was asked cannot be done; its message names the problem and the fix."""


def docker(*arguments: str, timeout: float | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *arguments], capture_output=True, text=True, timeout=timeout)


def git(*arguments: str) -> str:
    """git's output in this checkout, stripped; empty where git fails (no git, no repository)."""
    return subprocess.run(
        ["git", *arguments], capture_output=True, text=True, cwd=ROOT, check=False
    ).stdout.strip()


def registry_host(registry: str) -> str:
    return registry.split("/", 1)[0]


def oras(*arguments: str, registry: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """oras against the registry: plain HTTP for one on loopback, as docker treats it (oras cp
    within one registry, or from a layout on disk)."""
    loopback = re.match(r"(localhost|127\.[0-9.]+)(:|$)", registry_host(registry))
    command, *rest = arguments
    plain_http = ["--from-plain-http", "--to-plain-http"] if command == "cp" else ["--plain-http"]
    return subprocess.run(
        ["oras", command, *(plain_http if loopback else []), *rest],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def last_line(result: subprocess.CompletedProcess) -> str:
    """A tool's last word: its error's last line, else its output's."""
    return ((result.stderr or "").strip() or (result.stdout or "").strip() or "no output").split(
        "\n"
    )[-1]


def revision() -> str:
    """The source revision the images are labelled with: REVISION where set, else git's commit,
    "-dirty" with uncommitted changes."""
    return os.environ.get("REVISION") or git(
        "describe", "--always", "--dirty", "--abbrev=40", "--exclude=*"
    )


def source_url() -> str:
    """Where the source lives, for the images' labels: SOURCE_URL where set, else git's origin."""
    return os.environ.get("SOURCE_URL") or git("remote", "get-url", "origin")


def commit_time() -> str:
    """The images' creation time, SOURCE_DATE_EPOCH where set, else the commit's: the same commit
    built twice gives the same images."""
    return os.environ.get("SOURCE_DATE_EPOCH") or git("log", "-1", "--format=%ct")


@cache
def engine_platform() -> str:
    """The platform the engine runs natively, e.g. linux/amd64."""
    arch = docker("version", "--format", "{{.Server.Arch}}").stdout.strip()
    if not arch:
        raise Refusal("no Docker engine answers: run make engine (scripts/ensure-docker.sh)")
    return f"linux/{arch}"


def engine_arch() -> str:
    """The engine's architecture as the locks and platforms name it, e.g. amd64."""
    return engine_platform().removeprefix("linux/")
