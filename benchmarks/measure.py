"""What the benchmarks measure, shared by rebuild.py and compression.py: a timed bake with its log,
the steps and export phases read from that log, a cold pull from a registry on loopback into an
engine with an empty image store, and the side-by-side table.

A pull into the main engine measures nothing: its content store keeps every blob it ever built
or pulled, even after `docker image rm`. The cold pulls go to a second dockerd with a data root
of its own, started empty for each pull (python_deps/testing/engine.py), from Debian's
docker-registry (python_deps/testing/registry.py), as a Kubernetes node pulls an image it has
never run.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from python_deps.bake import (  # noqa: E402
    MAIN_BAKE_FILES,
    BakeError,
    bake_command,
    build_environment,
    definition,
)
from python_deps.runner import engine_arch  # noqa: E402
from python_deps.testing.engine import SecondEngine  # noqa: E402
from python_deps.testing.registry import Registry  # noqa: E402

REPORTS = ROOT / "reports"
# The main bake files, as the harness reads them, and the benchmarks' targets on them.
BAKE_FILES = (*MAIN_BAKE_FILES, ROOT / "benchmarks" / "docker-bake.hcl")
MB = 10**6
# BuildKit's plain progress: "#12 [target stage 2/3] RUN ...", "#12 DONE 4.1s", "#12 CACHED",
# and for an export "#20 exporting layers 18.3s done", "#20 unpacking to NAME 8.8s done".
STEP = re.compile(r"^#(\d+) (\[.+|exporting to image|exporting to .+)$")
STEP_END = re.compile(r"^#(\d+) (DONE ([\d.]+)s|CACHED)$")
EXPORT_PHASE = re.compile(r"^#(\d+) (exporting layers|unpacking to \S+) ([\d.]+)s done$")


def fail(message: str) -> None:
    sys.exit(f"benchmark: {message}")


def short_step(text: str) -> str:
    """ "[target stage 2/3] RUN --mount=... install-locked ..." as "[target stage 2/3] RUN": which
    step, not its whole command."""
    bracket = re.match(r"(\[[^\]]+\]) ?(\S*)", text)
    return f"{bracket.group(1)} {bracket.group(2)}".strip() if bracket else text


@dataclass
class BuildLog:
    """A bake's plain progress, read: each step's name and seconds (None when cached), and the
    seconds its exports spent compressing layers and unpacking them into the image store."""

    text: str
    steps: dict[str, tuple[str, float | None]] = field(
        default_factory=dict
    )  # "bake.step": (name, seconds)
    export_seconds: float = 0.0
    unpack_seconds: float = 0.0
    error: str = ""  # why the bake failed, where it may

    def __post_init__(self) -> None:
        # A log of several bakes (make build runs a few) numbers the steps of each from 1 again.
        bake_number = 0
        names: dict[str, str] = {}
        for line in self.text.splitlines():
            if line.startswith("#0 building with"):
                bake_number += 1
            elif match := STEP.match(line):
                names.setdefault(f"{bake_number}.{match.group(1)}", short_step(match.group(2)))
            elif match := STEP_END.match(line):
                number = f"{bake_number}.{match.group(1)}"
                self.steps[number] = (
                    names.get(number, f"#{number}"),
                    float(match.group(3)) if match.group(3) else None,
                )
            elif match := EXPORT_PHASE.match(line):
                if match.group(2) == "exporting layers":
                    self.export_seconds += float(match.group(3))
                else:
                    self.unpack_seconds += float(match.group(3))

    def timeline(self) -> list[tuple[str, float]]:
        """The steps that ran, in the order BuildKit numbered them, with their seconds."""
        order = sorted(self.steps, key=lambda number: tuple(map(int, number.split("."))))
        return [self.steps[number] for number in order if self.steps[number][1]]


def bake(
    *targets: str,
    log: str,
    variables: dict[str, str] | None = None,
    flags: tuple[str, ...] = (),
    may_fail: bool = False,
) -> tuple[float, BuildLog]:
    """Bake targets of the bake files into the engine's image store; the seconds it took and its
    log, which also goes to reports/benchmark-LOG.log. A failed bake ends the benchmark, unless
    it may fail: then the log's `error` says why (the naive build's pip can fail an edit)."""
    # The run's BAKE_FLAGS (a read-only cache) are not for a measured build.
    environment = {**build_environment(), "BAKE_FLAGS": "", **(variables or {})}
    start = time.monotonic()
    build = subprocess.run(
        bake_command(
            "--progress=plain", *flags, *targets, files=BAKE_FILES, environment=environment
        ),
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=environment,
    )
    seconds = time.monotonic() - start
    log_file = REPORTS / f"benchmark-{log}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.write_text(build.stderr)
    read = BuildLog(build.stderr)
    if build.returncode != 0:
        if not may_fail:
            fail(
                f"`docker buildx bake {' '.join(targets)}` failed (log: {log_file}):\n"
                f"{build.stderr[-4000:]}"
            )
        read.error = next(
            (
                line.strip()
                for line in reversed(build.stderr.splitlines())
                if re.search(r"\berror\b", line, re.I) and "ERROR:" not in line
            ),
            "failed",
        )
    return seconds, read


def bake_definition(*targets: str) -> dict:
    """`docker buildx bake --print` of targets of the bake files."""
    try:
        return definition(targets, files=BAKE_FILES)
    except BakeError as error:
        fail(f"cannot read the bake files (is the engine up? `make engine`):\n{error}")


def empty_build_cache() -> None:
    """Images stay (the bases among them): they are the image store's, not the build cache's."""
    subprocess.run(
        ["docker", "buildx", "prune", "--all", "--force"], check=True, capture_output=True
    )


class Pulls:
    """A registry on loopback that the benchmark pushes its images to, and cold pulls from it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.registry = Registry(folder / "registry")

    def __enter__(self) -> Pulls:
        self.registry.start()
        return self

    def __exit__(self, *_) -> None:
        self.registry.stop()

    def push(self, image: str, repository: str, tag: str) -> str:
        """Push a local image under repository:tag; its reference in the registry."""
        remote = f"{self.registry.address}/{repository}:{tag}"
        subprocess.run(["docker", "tag", image, remote], check=True, capture_output=True)
        try:
            pushed = subprocess.run(
                ["docker", "push", "--quiet", remote], capture_output=True, text=True
            )
            if pushed.returncode != 0:
                fail(f"pushing {image} to the loopback registry failed:\n{pushed.stderr[-2000:]}")
        finally:
            subprocess.run(["docker", "image", "rm", remote], capture_output=True)
        return remote

    def layers(self, remote: str) -> dict[str, int]:
        """The compressed layers a pull of remote on this engine's platform downloads:
        {digest: bytes}."""
        repository, tag = remote.split("/", 1)[1].rsplit(":", 1)
        _, manifest = self.registry.manifest(repository, tag)
        if "manifests" in manifest:
            platform = next(
                entry
                for entry in manifest["manifests"]
                if entry.get("platform", {}).get("architecture") == engine_arch()
            )
            _, manifest = self.registry.manifest(repository, platform["digest"])
        return {layer["digest"]: layer["size"] for layer in manifest["layers"]}

    def cold_pull(self, remote: str, repeats: int) -> dict:
        """Seconds of `docker pull` (download and unpack) into an engine started empty, each time
        anew; the median, every run, and the compressed bytes on the wire."""
        runs = []
        for attempt in range(repeats):
            with SecondEngine(self.folder / f"engine-{attempt}") as engine:
                runs.append(self.timed_pull(engine, remote))
        return {
            "seconds": statistics.median(runs),
            "runs": runs,
            "bytes": sum(self.layers(remote).values()),
        }

    @staticmethod
    def timed_pull(engine: SecondEngine, remote: str) -> float:
        """Seconds of `docker pull` (download and unpack) of remote into the engine."""
        start = time.monotonic()
        pulled = engine.docker("pull", "--quiet", remote, check=False)
        seconds = time.monotonic() - start
        if pulled.returncode != 0:
            fail(f"the cold pull of {remote} failed:\n{pulled.stderr[-2000:]}")
        return seconds

    def update_bytes(self, before: str, after: str) -> dict:
        """What a node holding `before` downloads to run `after`: the layers it lacks."""
        old, new = self.layers(before), self.layers(after)
        missing = {digest: size for digest, size in new.items() if digest not in old}
        return {"layers": len(missing), "of_layers": len(new), "bytes": sum(missing.values())}


def print_table(title: str, columns: list[str], rows: list[list], notes: list[str] = ()) -> None:
    """Rows of a label and numbers (None prints as -), under the column names."""
    width = max(len(str(row[0])) for row in rows)
    print(f"\n{title}")
    print(f"{'':{width}}  " + "  ".join(f"{column:>12}" for column in columns))
    for label, *values in rows:
        cells = (
            "-"
            if value is None
            else f"{value:.2f}"
            if isinstance(value, float) and abs(value) < 10
            else f"{value:.1f}"
            if isinstance(value, float)
            else str(value)
            for value in values
        )
        print(f"{label:{width}}  " + "  ".join(f"{cell:>12}" for cell in cells))
    for note in notes:
        print(note)


def write_json(path: Path, figures: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2))
