"""Running things in the images: a command with tests/units mounted, a PostgreSQL server, the
GPU probe."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from functools import cache
from pathlib import Path

from python_on_whales import docker

UNITS_DIR = Path(__file__).resolve().parents[1] / "units"
# The user Spark on Kubernetes runs as, as apache/spark's images create it (and the test images).
SPARK_USER = "185:185"


def run_in(image: str, *command: str, **options) -> str:
    """Run a command in an image, with tests/units mounted read-only at /units; its stdout."""
    return docker.run(
        image, list(command), remove=True, volumes=[(UNITS_DIR, "/units", "ro")], **options
    )


@cache
def installed_versions(image: str) -> dict[str, str]:
    return json.loads(run_in(image, "python3", "/units/installed_versions.py"))


def platform_manifest(image: str, platform: str, environment: dict[str, str] | None = None) -> str:
    """The manifest digest of one platform's image of a (multi-platform) image in an engine's
    store: the main engine's, or the one DOCKER_HOST in `environment` names."""
    inspect = [
        "docker",
        "image",
        "inspect",
        f"--platform={platform}",
        "--format={{json .Descriptor}}",
        image,
    ]
    return json.loads(
        subprocess.run(inspect, capture_output=True, text=True, check=True, env=environment).stdout
    )["digest"]


def start_postgres(image: str) -> str:
    """A PostgreSQL server in a container of a test image; its name, once it answers. Clients
    join its network namespace (`--network container:NAME`) and reach it at 127.0.0.1:5432."""
    name = f"python-deps-test-postgres-{uuid.uuid4().hex[:8]}"
    server = (
        "bin=$(echo /usr/lib/postgresql/*/bin)"
        ' && "$bin/initdb" -D /tmp/pg -U postgres -A trust >/dev/null'
        ' && exec "$bin/postgres" -D /tmp/pg -k /tmp -c listen_addresses=127.0.0.1'
    )
    docker.run(image, ["sh", "-c", server], detach=True, name=name, user="postgres", remove=True)
    for _ in range(60):
        probe = subprocess.run(
            [
                "docker",
                "exec",
                name,
                "sh",
                "-c",
                "$(echo /usr/lib/postgresql/*/bin)/pg_isready -h 127.0.0.1",
            ],
            capture_output=True,
        )
        if probe.returncode == 0:
            return name
        time.sleep(0.5)
    logs = docker.logs(name)
    docker.container.remove(name, force=True)
    raise RuntimeError(f"PostgreSQL did not become ready in 30 s: {logs}")


def probe_gpu(image: str) -> dict:
    """Whether `docker run --gpus all` works here: {} if it does, else {"reason": ...}."""
    # python-on-whales does not capture `docker run`'s stderr, which holds the engine's reason.
    probe = subprocess.run(
        ["docker", "run", "--rm", "--gpus", "all", image, "true"], capture_output=True, text=True
    )
    if probe.returncode == 0:
        return {}
    return {
        "reason": (
            f"`docker run --gpus all` does not work here: {probe.stderr.strip().splitlines()[0]}"
        )
    }
