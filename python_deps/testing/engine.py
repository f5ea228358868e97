"""A second Docker engine beside the main one, with an empty image store and an empty build cache:
what a cold pull and a fresh CI builder see. The main engine keeps every blob it ever built or
pulled, even after `docker image rm`, so a pull there proves nothing. Same binaries as the main
engine (scripts/ensure-docker.sh), its own data root, state, socket and containerd, and a bridge
of its own without NAT: with --bridge none, dockerd deletes the main engine's docker0."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

ENGINE_DIR = Path(os.environ.get("ENGINE_DIR", "/opt/python-deps-engine"))
# dockerd, its bridge and its files need root: sudo where the tests run as a user (a CI runner).
SUDO = [] if os.geteuid() == 0 else ["sudo", "-n"]


class SecondEngine:
    def __init__(self, folder: Path):
        self.folder = folder
        self.bridge = f"pd-{uuid.uuid4().hex[:8]}"  # interface names: 15 characters at most
        # Sockets live in the exec root, and a socket path has at most 104 characters.
        self.runtime = Path(tempfile.mkdtemp(prefix="python-deps-engine-"))
        self.socket = self.runtime / "docker.sock"
        self.log = folder / "dockerd.log"
        self.process: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    def env(self) -> dict[str, str]:
        """The environment for docker commands that talk to this engine."""
        return {**os.environ, "DOCKER_HOST": self.host}

    def docker(self, *arguments: str, check: bool = True, **options) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["docker", *arguments],
            env=self.env(),
            capture_output=True,
            text=True,
            check=check,
            **options,
        )

    def start(self) -> SecondEngine:
        # The engine of scripts/ensure-docker.sh where it installed one; the system's otherwise.
        bins = [ENGINE_DIR / "root/usr/sbin", ENGINE_DIR / "root/usr/bin"]
        path = os.pathsep.join(
            [*(str(folder) for folder in bins if folder.is_dir()), os.environ["PATH"]]
        )
        dockerd = shutil.which("dockerd", path=path)
        if not dockerd:
            raise RuntimeError(
                "no dockerd to start a second engine with: run scripts/ensure-docker.sh"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "daemon.json"
        config.write_text(json.dumps({"features": {"containerd-snapshotter": True}}))
        # Run by sudo, dockerd gives the socket to the user's group.
        group = ["--group", str(os.getegid())] if SUDO else []
        subprocess.run(
            [*SUDO, "ip", "link", "add", self.bridge, "type", "bridge"], capture_output=True
        )
        subprocess.run([*SUDO, "ip", "link", "set", self.bridge, "up"], check=True)
        command = [
            *SUDO,
            *(["env", f"PATH={path}"] if SUDO else []),
            dockerd,
            "--config-file",
            str(config),
            "--data-root",
            str(self.folder / "data"),
            "--exec-root",
            str(self.runtime / "exec"),
            "--pidfile",
            str(self.runtime / "docker.pid"),
            "-H",
            self.host,
            "--bridge",
            self.bridge,
            "--iptables=false",
            "--ip6tables=false",
            *group,
        ]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PATH": path},
                start_new_session=True,
            )
        for _ in range(120):
            if self.docker("info", check=False).returncode == 0:
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the second engine did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            subprocess.run([*SUDO, "kill", str(self.process.pid)], check=False)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        subprocess.run(
            [*SUDO, "rm", "-rf", str(self.folder / "data"), str(self.runtime)], check=False
        )
        subprocess.run([*SUDO, "ip", "link", "delete", self.bridge], capture_output=True)

    def __enter__(self) -> SecondEngine:
        return self.start()

    def __exit__(self, *_) -> None:
        self.stop()
