"""The disk make test needs, checked before it starts and measured while it runs.

python-deps disk check [NEED_GB [SCRATCH_GB]]
    Refuse, in one line naming the figures and the fix, where the filesystem of the engine's
    data root has less than NEED_GB free (less SCRATCH_GB where the temporary folder, which
    holds the tests' registry and second engine, is on a filesystem of its own, which then
    needs SCRATCH_GB).
python-deps disk watch REPORT FIRST_PHASE -- COMMAND...
    Run COMMAND, sampling every 2 s the space used on the filesystems it writes (the engine's
    data root and containerd's, the checkout, the temporary folder); then write REPORT (JSON):
    the peak above the start, the phase it came in and the tests running then, and each
    phase's time and peak; and print the phase table. COMMAND starts in FIRST_PHASE and names
    the next ones by writing them to the file $DISK_WATCH_PHASE_FILE (the Makefile's `phase`),
    and pytest the tests it runs into $DISK_WATCH_RUNNING_DIR (tests/utils/disk_watch.py).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from python_deps import cli

GB = 1e9
# The free disk make test needs before it starts (its measured peak, reports/disk.json, plus a
# margin), of which SCRATCH_GB under the temporary folder: the tests' registry and second engine.
NEED_GB = float(os.environ.get("TEST_DISK_GB") or 30)
SCRATCH_GB = float(os.environ.get("TEST_SCRATCH_GB") or 6)
SAMPLE_SECONDS = 2
# Where dockerd keeps images and build cache when `docker info` cannot say (no engine yet), and
# containerd's own root, which holds the images of a runner's system containerd.
DEFAULT_DATA_ROOT = "/var/lib/docker"
CONTAINERD_ROOT = "/var/lib/containerd"


def existing(path: str) -> str:
    """The path, or its nearest parent that exists: where a folder not made yet will be."""
    current = Path(path).resolve()
    while not current.exists():
        current = current.parent
    return str(current)


def data_root() -> str | None:
    """Where the engine keeps its data; None while no engine answers."""
    answer = subprocess.run(
        ["docker", "info", "--format", "{{.DockerRootDir}}"], capture_output=True, text=True
    )
    return answer.stdout.strip() if answer.returncode == 0 and answer.stdout.strip() else None


def free_bytes(path: str) -> int:
    stat = os.statvfs(existing(path))
    return stat.f_bavail * stat.f_frsize


def used_bytes(path: str) -> int:
    stat = os.statvfs(existing(path))
    return (stat.f_blocks - stat.f_bfree) * stat.f_frsize


def filesystems(paths: dict[str, str]) -> dict[int, list[str]]:
    """{device: the names of the paths on it}, one entry per filesystem."""
    devices: dict[int, list[str]] = {}
    for name, path in paths.items():
        devices.setdefault(os.stat(existing(path)).st_dev, []).append(name)
    return devices


def check(need_gb: float, scratch_gb: float) -> int:
    if need_gb <= 0:
        return 0
    engine, scratch = data_root() or DEFAULT_DATA_ROOT, tempfile.gettempdir()
    separate = os.stat(existing(engine)).st_dev != os.stat(existing(scratch)).st_dev
    needs = [(engine, need_gb - scratch_gb if separate else need_gb)] + (
        [(scratch, scratch_gb)] if separate else []
    )
    for path, gigabytes in needs:
        free = free_bytes(path) / GB
        if free < gigabytes:
            print(
                f"make test: needs {gigabytes:.0f} GB free on the filesystem of {path},"
                f" has {free:.1f} GB:"
                " free some (docker system prune --all; docker buildx prune --all),"
                " or give the engine a"
                " larger disk (docs/disk.md); TEST_DISK_GB=0 skips this check",
                file=sys.stderr,
            )
            return 1
    return 0


class Watch:
    def __init__(self, state: Path, first_phase: str):
        engine = data_root()
        self.engine_answered = engine is not None
        self.paths = {
            "engine": engine or DEFAULT_DATA_ROOT,
            "containerd": CONTAINERD_ROOT,
            "checkout": os.getcwd(),
            "tmp": tempfile.gettempdir(),
        }
        self.phase_file = state / "phase"
        self.phase_file.write_text(first_phase)
        self.last_phase = first_phase
        self.running_dir = state / "running"
        self.running_dir.mkdir(parents=True, exist_ok=True)
        self.start = {path: used_bytes(path) for path in self._representatives()}
        self.began = time.monotonic()
        self.phases: dict[str, dict] = {}
        self.peak = {"above_start_gb": 0.0, "phase": first_phase, "seconds": 0.0, "running": []}
        self.stopped = threading.Event()

    def _representatives(self) -> list[str]:
        """One path per filesystem: the engine's data root is known once the engine answers."""
        if not self.engine_answered:
            engine = data_root()
            self.engine_answered = engine is not None
            self.paths["engine"] = engine or DEFAULT_DATA_ROOT
        return [self.paths[names[0]] for names in filesystems(self.paths).values()]

    def phase(self) -> str:
        """The phase the command last named; the one before while it is being written."""
        self.last_phase = self.phase_file.read_text().strip() or self.last_phase
        return self.last_phase

    def sample(self) -> None:
        now, phase = time.monotonic() - self.began, self.phase()
        above = 0
        for path in self._representatives():
            used = used_bytes(path)
            above += used - self.start.setdefault(path, used)
        entry = self.phases.setdefault(
            phase, {"began_s": round(now, 1), "ended_s": round(now, 1), "peak_above_start_gb": 0.0}
        )
        entry["ended_s"] = round(now, 1)
        entry["peak_above_start_gb"] = max(entry["peak_above_start_gb"], round(above / GB, 2))
        if above / GB > self.peak["above_start_gb"]:
            running = sorted(
                test.read_text() for test in self.running_dir.iterdir() if test.is_file()
            )
            self.peak = {
                "above_start_gb": round(above / GB, 2),
                "phase": phase,
                "seconds": round(now, 1),
                "running": running,
            }

    def run(self) -> None:
        while not self.stopped.wait(SAMPLE_SECONDS):
            try:
                self.sample()
            except OSError:
                continue  # a folder removed between stat and statvfs: the next sample has it

    def report(self, command: list[str], returncode: int) -> dict:
        return {
            "command": command,
            "exit_code": returncode,
            "filesystems": {
                device: "+".join(names) for device, names in filesystems(self.paths).items()
            },
            "seconds": round(time.monotonic() - self.began, 1),
            "peak": self.peak,
            "phases": self.phases,
        }


def print_table(report: dict) -> None:
    print(f"\n{'phase':34} {'time':>9} {'peak above start':>17}", file=sys.stderr)
    for name, phase in report["phases"].items():
        minutes, seconds = divmod(round(phase["ended_s"] - phase["began_s"]), 60)
        print(
            f"{name:34} {minutes:5}m{seconds:02}s {phase['peak_above_start_gb']:14.1f} GB",
            file=sys.stderr,
        )
    peak, total = report["peak"], divmod(round(report["seconds"]), 60)
    print(
        f"{'in all':34} {total[0]:5}m{total[1]:02}s {peak['above_start_gb']:14.1f} GB",
        file=sys.stderr,
    )
    during = f", running {', '.join(peak['running'])}" if peak["running"] else ""
    print(
        f"disk: peak {peak['above_start_gb']:.1f} GB above the start,"
        f" in phase {peak['phase']}{during}",
        file=sys.stderr,
    )


def watch(report_file: Path, first_phase: str, command: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="disk-watch-") as state:
        watcher = Watch(Path(state), first_phase)
        sampler = threading.Thread(target=watcher.run, daemon=True)
        sampler.start()
        environment = {
            **os.environ,
            "DISK_WATCH_PHASE_FILE": str(watcher.phase_file),
            "DISK_WATCH_RUNNING_DIR": str(watcher.running_dir),
        }
        child = subprocess.Popen(command, env=environment)
        # Ctrl-C reaches the command through the terminal: let it stop, then report.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        returncode = child.wait()
        watcher.stopped.set()
        sampler.join()
        watcher.sample()
        report = watcher.report(command, returncode)
    report_file.parent.mkdir(parents=True, exist_ok=True)
    report_file.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"disk: figures in {report_file}", file=sys.stderr)
    return returncode


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("disk", __doc__)
    actions = parser.add_subparsers(dest="action", required=True)
    check_parser = actions.add_parser("check", help="Refuse where the disk is too small.")
    check_parser.add_argument("need_gb", nargs="?", type=float, default=NEED_GB)
    check_parser.add_argument("scratch_gb", nargs="?", type=float, default=SCRATCH_GB)
    watch_parser = actions.add_parser("watch", help="Run a command, measuring its disk.")
    watch_parser.add_argument("report", type=Path, metavar="REPORT")
    watch_parser.add_argument("first_phase", metavar="FIRST_PHASE")
    watch_parser.add_argument("command", nargs=argparse.REMAINDER, metavar="COMMAND")
    args = parser.parse_args(argv)
    if args.action == "check":
        return check(args.need_gb, args.scratch_gb)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        watch_parser.error("a COMMAND to watch is required, after --")
    return watch(args.report, args.first_phase, command)
