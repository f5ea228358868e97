"""A registry on loopback for the tests and benchmarks: Debian's docker-registry (CNCF
distribution), serving a folder of its own, started and stopped by the test that needs it.
Nothing is pulled to run it."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

INDEX_TYPES = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Registry:
    def __init__(self, folder: Path, port: int | None = None, htpasswd: Path | None = None):
        binary = shutil.which("docker-registry") or shutil.which("registry")
        if not binary:
            raise RuntimeError(
                "no registry server on PATH: install Debian's docker-registry"
                " (make test does: scripts/apt-install.sh)"
            )
        self.binary, self.folder, self.port = binary, folder, port or free_port()
        self.storage = folder / "storage"
        self.config = folder / "config.yml"
        auth = {"auth": {"htpasswd": {"realm": "test", "path": str(htpasswd)}}} if htpasswd else {}
        # YAML is a superset of JSON.
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_text(
            json.dumps(
                {
                    "version": 0.1,
                    "log": {"level": "error", "accesslog": {"disabled": True}},
                    "storage": {"filesystem": {"rootdirectory": str(self.storage)}},
                    "http": {"addr": f"127.0.0.1:{self.port}"},
                    **auth,
                }
            )
        )
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Registry:
        # Its log to a file, never to a pipe: it logs an error line for every blob a push asks
        # about that it does not hold yet, and once a pipe nobody reads is full, it stops
        # answering mid-push.
        with (self.folder / "registry.log").open("ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "serve", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://{self.address}/v2/", timeout=1)
                return self
            except urllib.error.HTTPError:
                return self  # 401: up, and asking for credentials
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"the registry exited: {(self.folder / 'registry.log').read_text()}"
                    ) from None
                time.sleep(0.1)
        raise RuntimeError(f"the registry did not answer on {self.address} in 10 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> Registry:
        return self.start()

    def __exit__(self, *_) -> None:
        self.stop()

    def get(self, path: str, accept: str = "application/json") -> tuple[bytes, dict]:
        request = urllib.request.Request(
            f"http://{self.address}/v2/{path}", headers={"Accept": accept}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read(), dict(response.headers)

    def tags(self, repository: str) -> list[str]:
        """The repository's tags; none where it does not exist (NAME_UNKNOWN)."""
        try:
            return json.loads(self.get(f"{repository}/tags/list")[0]).get("tags") or []
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return []
            raise

    def manifest(self, repository: str, reference: str) -> tuple[str, dict]:
        """The digest and content of a manifest or index, as stored."""
        body, _ = self.get(f"{repository}/manifests/{reference}", accept=INDEX_TYPES)
        return f"sha256:{hashlib.sha256(body).hexdigest()}", json.loads(body)

    def blobs(self) -> set[str]:
        """Digests of every blob stored: layers, configs, manifests, attestations."""
        return {
            f"sha256:{data.parent.name}"
            for data in (self.storage / "docker/registry/v2/blobs/sha256").glob("*/*/data")
        }
