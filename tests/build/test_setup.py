"""Set-up on a machine that never saw the project: what make installs goes through one door that
is safe when make's parallel jobs call it at once; two makes in one checkout never run at once;
make test refuses, in one line, a disk without the room it needs, measures what it used, and runs
again where its last run left a record."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from python_on_whales import docker

from python_deps import ROOT, disk
from python_deps.bake import bake_group
from python_deps.matrix import variants

SCRIPTS = ROOT / "scripts"


def test_the_apt_door_run_twice_at_once_on_a_fresh_debian_installs_once(images):
    """As make --jobs ran it on a fresh machine: two installs of mmdebstrap at the same moment, on
    a Debian with empty apt lists and nothing installed (a container of the hermetic base). Both
    succeed; one installs, the other waits for it and finds nothing left to do."""
    base = images[variants(bake_group())[0].base_target]
    twice = (
        "cd /tmp; ls /var/lib/apt/lists | grep -q Packages && exit 3;"
        " /scripts/apt-install.sh first mmdebstrap 2>first.log & first=$!;"
        " /scripts/apt-install.sh second mmdebstrap 2>second.log & second=$!;"
        " wait $first; echo first=$?; wait $second; echo second=$?;"
        " cat first.log second.log; mmdebstrap --version"
    )
    output = docker.run(
        base, ["bash", "-c", twice], remove=True, user="root", volumes=[(SCRIPTS, "/scripts", "ro")]
    )
    lines = output.splitlines()
    assert lines[:2] == ["first=0", "second=0"], output
    assert sum("installing for" in line for line in lines) == 1, output
    assert lines[-1].startswith("mmdebstrap "), output


def scratch_checkout(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The Makefile and scripts in a folder of their own, and an environment in which `docker`
    never answers (it sleeps) and no make of the suite's own run is inherited."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    shutil.copy(ROOT / "Makefile", checkout)
    shutil.copytree(SCRIPTS, checkout / "scripts")
    shutil.copytree(ROOT / "python_deps", checkout / "python_deps")
    stand_ins = tmp_path / "bin"
    stand_ins.mkdir()
    (stand_ins / "docker").write_text("#!/bin/sh\nexec sleep 120\n")
    (stand_ins / "docker").chmod(0o755)
    inherited = (
        "MAKEFLAGS",
        "MFLAGS",
        "MAKELEVEL",
        "CHECKOUT_LOCK",
        "DISK_WATCH_PHASE_FILE",
        "DISK_WATCH_RUNNING_DIR",
    )
    environment = {key: value for key, value in os.environ.items() if key not in inherited}
    return checkout, {**environment, "PATH": f"{stand_ins}:{environment['PATH']}"}


def run_make(
    checkout: Path, environment: dict[str, str], *arguments: str, timeout: int = 60
) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", *arguments],
        cwd=checkout,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_second_make_in_a_checkout_stops_at_once_naming_the_first(tmp_path):
    checkout, environment = scratch_checkout(tmp_path)
    first = subprocess.Popen(
        ["make", "engine"],
        cwd=checkout,
        env=environment,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        lock = checkout / ".make.lock"
        for _ in range(100):
            if lock.exists() and lock.read_text().strip():
                break
            time.sleep(0.1)
        started = time.monotonic()
        second = run_make(checkout, environment, "test")
        assert second.returncode != 0 and time.monotonic() - started < 10, (
            f"the second make ran: {second.stdout}{second.stderr}"
        )
        assert (
            second.stderr.count("\n") == 1
            and "this checkout is busy: `make --no-print-directory engine`" in second.stderr
        ), second.stderr
        assert re.search(r"\(pid [0-9]+, since [0-9:]+\)", second.stderr), second.stderr
        assert first.poll() is None, "the second make stopped the first"
        assert not (checkout / "reports").exists(), "the second make wrote reports"
    finally:
        os.killpg(first.pid, signal.SIGTERM)
        first.wait(timeout=60)
    # Gone with the first make: the next one runs (dry, so that it builds nothing).
    after = run_make(checkout, environment, "-n", "clean")
    assert after.returncode == 0, after.stderr


def test_make_test_refuses_a_disk_without_the_room_in_one_line(tmp_path):
    checkout, environment = scratch_checkout(tmp_path)
    (tmp_path / "bin" / "docker").write_text(
        "#!/bin/sh\nexit 1\n"
    )  # no engine yet: its default data root
    refused = run_make(checkout, environment, "test", "TEST_DISK_GB=100000")
    assert refused.returncode != 0 and refused.stderr.count("\n") == 1, refused.stderr
    assert "needs 100000 GB free on the filesystem of /var/lib/docker" in refused.stderr, (
        refused.stderr
    )
    assert "docker system prune" in refused.stderr and "TEST_DISK_GB=0 skips" in refused.stderr, (
        refused.stderr
    )
    assert not (checkout / ".make.lock").exists(), "the refused make took the checkout's lock"


def test_the_disk_watch_names_the_peak_and_the_phase_it_came_in(tmp_path, monkeypatch):
    """python-deps disk watch, with the disk's figures played by the phase the command is in:
    2 GB more in phase `images`, back down after."""
    monkeypatch.setattr(disk, "SAMPLE_SECONDS", 0.1)
    monkeypatch.setattr(disk, "data_root", lambda: str(tmp_path))
    read_phase, current = disk.Watch.phase, {}

    def phase(watch) -> str:
        current["phase"] = read_phase(watch)
        return current["phase"]

    def used_bytes(path: str) -> int:
        """The engine's filesystem grows by 2 GB in phase images; any other the watch finds stays
        put."""
        return int(3e9 if path == str(tmp_path) and current.get("phase") == "images" else 1e9)

    monkeypatch.setattr(disk.Watch, "phase", phase)
    monkeypatch.setattr(disk, "used_bytes", used_bytes)
    command = [
        "sh",
        "-c",
        "sleep 1; for phase in images tests;"
        ' do echo $phase >"$DISK_WATCH_PHASE_FILE"; sleep 1; done',
    ]
    report_file = tmp_path / "reports" / "disk.json"
    assert disk.watch(report_file, "engine", command) == 0
    report = json.loads(report_file.read_text())
    assert list(report["phases"]) == ["engine", "images", "tests"], report
    assert report["peak"]["phase"] == "images" and report["peak"][
        "above_start_gb"
    ] == pytest.approx(2.0), report
    assert [
        report["phases"][phase]["peak_above_start_gb"] for phase in ("engine", "images", "tests")
    ] == [0.0, 2.0, 0.0], report


def test_a_second_make_test_reads_the_harness_options_beside_the_first_ones_record(tmp_path):
    """make test's pytest command line, as make runs it where a green run left its record: the
    harness reads --record-tested (it clears the old record as the session starts)."""
    record = tmp_path / "tested.json"
    record.write_text("{}")
    environment = {
        **{key: value for key, value in os.environ.items() if key not in ("MAKEFLAGS", "MFLAGS")},
        # No lock of its own: the make test that runs this test holds the checkout's.
        "CHECKOUT_LOCK": str(tmp_path / "lock"),
    }
    planned = run_make(
        ROOT,
        environment,
        "-n",
        "--no-print-directory",
        "test-steps",
        f"RECORD_TESTED={record}",
        "PYTEST_ARGS=--collect-only -q -p no:cacheprovider",
        timeout=120,
    )
    assert planned.returncode == 0, planned.stderr
    line = next(line for line in planned.stdout.splitlines() if "/bin/pytest " in line)
    collected = subprocess.run(
        shlex.split(line), cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
    )
    assert collected.returncode == 0, f"{line}\n{collected.stdout}{collected.stderr}"
    assert not record.exists(), "the harness did not read --record-tested"
