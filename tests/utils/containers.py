"""Running things in the images: a command with tests/units mounted, a PostgreSQL server, the
GPU probe."""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from python_on_whales import docker

UNITS_DIR = Path(__file__).resolve().parents[1] / "units"
# The user Spark on Kubernetes runs as, as apache/spark's images create it (and the test images).
SPARK_USER = "185:185"


def run_in(image: str, *command: str, volumes: list[tuple] = (), **options) -> str:
    """Run a command in an image, with tests/units mounted read-only at /units (and `volumes`);
    its stdout."""
    return docker.run(
        image,
        list(command),
        remove=True,
        volumes=[(UNITS_DIR, "/units", "ro"), *volumes],
        **options,
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


# Where the image's Python keeps PySpark, Spark's launchers and jars with it.
SPARK_HOME = '"$(python3 -c "import os, pyspark; print(os.path.dirname(pyspark.__file__))")"'
CONNECT_PORT = 15002
CONNECT_SERVER = "org.apache.spark.sql.connect.service.SparkConnectServer"
WORKERS = ("worker-1", "worker-2")


def wait_for_log(container: str, line: str, seconds: int = 120) -> None:
    for _ in range(seconds * 2):
        if line in docker.logs(container):
            return
        time.sleep(0.5)
    raise RuntimeError(f"{container}: no '{line}' in {seconds} s: {docker.logs(container)[-3000:]}")


def wait_for_match(container: str, pattern: str, seconds: int = 120) -> re.Match:
    """The first match of a regular expression in a container's log, once there is one."""
    for _ in range(seconds * 2):
        if match := re.search(pattern, docker.logs(container)):
            return match
        time.sleep(0.5)
    raise RuntimeError(
        f"{container}: no /{pattern}/ in {seconds} s: {docker.logs(container)[-3000:]}"
    )


def run_json(image: str, *command: str, **options) -> dict:
    """run_in() of a unit that prints its JSON report last, after whatever Spark logged."""
    return json.loads(run_in(image, *command, **options).strip().splitlines()[-1])


@contextmanager
def spark_network(image: str, purpose: str, volumes: list[tuple] = ()):
    """A network of its own for Spark processes in containers of `image`, as the spark user;
    yields (network, start): start(alias, command) runs the shell command line `command` in a
    container reachable on the network as `alias`, and returns the container's name. The
    containers and the network are removed after. A list for `command` goes to the image's
    entrypoint as its arguments (`["executor"]`), with `environment`."""
    suffix = uuid.uuid4().hex[:8]
    network = docker.network.create(f"python-deps-{purpose}-{suffix}")
    started = []

    def start(alias: str, command: str | list[str], environment: dict | None = None) -> str:
        name = f"python-deps-{purpose}-{alias}-{suffix}"
        docker.run(
            image,
            command if isinstance(command, list) else ["sh", "-c", f"exec {command}"],
            envs=environment or {},
            detach=True,
            name=name,
            hostname=alias,
            networks=[network],
            network_aliases=[alias],
            user=SPARK_USER,
            volumes=list(volumes),
        )
        started.append(name)
        return name

    try:
        yield network.name, start
    finally:
        for name in started:
            docker.container.remove(name, force=True)
        network.remove()


@contextmanager
def spark_cluster(image: str, shared_volume: str | None = None):
    """A Spark standalone master and two workers, each in a container of `image`, on a network of
    their own (spark_network); yields (network, master URL) once both workers are registered.
    With shared_volume, every container mounts it at /shared."""
    volumes = [(shared_volume, "/shared")] if shared_volume else []
    spark_class = f"{SPARK_HOME}/bin/spark-class"
    with spark_network(image, "cluster", volumes) as (network, start):
        master = start(
            "master",
            f"{spark_class} org.apache.spark.deploy.master.Master --host master --port 7077",
        )
        wait_for_log(master, "I have been elected leader")
        workers = [
            start(
                worker,
                f"{spark_class} org.apache.spark.deploy.worker.Worker --host {worker} --cores 1"
                " --memory 1g --work-dir /tmp/spark-work spark://master:7077",
            )
            for worker in WORKERS
        ]
        for worker in workers:
            wait_for_log(worker, "Successfully registered with master")
        yield network, "spark://master:7077"


@contextmanager
def spark_connect_server(image: str):
    """A Spark Connect server in a container of `image`, on a network of its own (spark_network);
    yields (network, sc:// URL) once it listens. Started as sbin/start-connect-server.sh starts
    it, with spark-submit in the foreground: the 4.0 wheel has the server's jar but not that
    script."""
    with spark_network(image, "connect") as (network, start):
        server = start(
            "connect-server",
            f"{SPARK_HOME}/bin/spark-submit --class {CONNECT_SERVER} spark-internal",
        )
        wait_for_log(server, "Spark Connect server started")
        yield network, f"sc://connect-server:{CONNECT_PORT}"


def submit_jobs(test_image: str, network: str, master: str, *arguments: str, **options) -> dict:
    """tests/units/cluster_jobs.py in a driver container of test_image on a cluster's network
    (spark_cluster): its JSON report."""
    return run_json(
        test_image,
        "python3",
        "/units/cluster_jobs.py",
        master,
        *arguments,
        networks=[network],
        hostname="driver",
        user=SPARK_USER,
        **options,
    )


# The runtime image's smoke job (examples/spark-runtime/smoke_job.py), as a pod's spark-submit
# names it; the Kubernetes workflow runs it too. Its report is the line after this prefix.
SMOKE_JOB = "local:///opt/spark/examples/smoke_job.py"
SMOKE_REPORT = "smoke-job: "


def smoke_report(log: str) -> dict:
    """The smoke job's report in a driver's log."""
    lines = [line for line in log.splitlines() if line.startswith(SMOKE_REPORT)]
    if not lines:
        raise AssertionError(f"no smoke-job report in the driver's log: {log[-3000:]}")
    return json.loads(lines[-1].removeprefix(SMOKE_REPORT))


def executor_pod_environment(
    driver_url: str, application_id: str, executor_id: str, hostname: str, java_options=()
) -> dict[str, str]:
    """The environment spark-submit on Kubernetes gives an executor pod (Spark's
    BasicExecutorFeatureStep): the entrypoint's `executor` reads it. The pod's IP is the
    container's name on its network here."""
    return {
        "SPARK_USER": "spark",
        "SPARK_DRIVER_URL": driver_url,
        "SPARK_EXECUTOR_CORES": "1",
        "SPARK_EXECUTOR_MEMORY": "512m",
        "SPARK_APPLICATION_ID": application_id,
        "SPARK_CONF_DIR": "/opt/spark/conf",
        "SPARK_EXECUTOR_ID": executor_id,
        "SPARK_RESOURCE_PROFILE_ID": "0",
        "SPARK_EXECUTOR_POD_IP": hostname,
        "SPARK_EXECUTOR_POD_NAME": f"smoke-exec-{executor_id}",
        "SPARK_LOCAL_DIRS": "/tmp",
        **{f"SPARK_JAVA_OPT_{index}": option for index, option in enumerate(java_options)},
    }
