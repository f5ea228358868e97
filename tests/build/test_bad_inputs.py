"""Bad input to the bake: one clear error naming the problem and the fix, and no tag left that
looks valid. Each build is tagged with a TAG of its own, so a tag left behind is caught. Builds
run online (a wheelhouse would need no network or CA); those that must reach an install step
run with no build cache, so that no cached layer hides the failure."""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from python_on_whales import docker

from python_deps import DEPS_DIR, ROOT
from python_deps.bake import definition
from python_deps.matrix import base_target_of
from python_deps.runner import engine_arch
from tests.utils.bake import bake_under_own_tag, run_bake
from tests.utils.harness import DEFAULT_PYTHON, default_variant

# The default cell's base variant: the target the `python-deps` group builds.

EXPLAIN_FAILURE = DEPS_DIR / "explain-failure"


def assert_failed_without_a_tag(
    result: subprocess.CompletedProcess, image: str, message: str
) -> None:
    assert result.returncode != 0, f"the bake succeeded: {result.stderr[-500:]}"
    assert message in result.stderr, f"expected {message!r} in:\n{result.stderr[-2000:]}"
    left = subprocess.run(["docker", "image", "inspect", image], capture_output=True)
    assert left.returncode != 0, f"a failed bake left the tag {image}"


def test_unknown_variant_is_named():
    result, image = bake_under_own_tag("python-deps-cuda")
    assert_failed_without_a_tag(result, image, "failed to find target python-deps-cuda")


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"SPARK_VERSION": "9.9"},
            "Spark 9.9 is not a Spark line offered here:"
            " use one of 3.5, 4.0, 4.1, 4.2, 4.3,"
            " or add it to spark_lines() in docker-bake.hcl and run make lock.",
        ),
        (
            {"SPARK_VERSION": "4.3", "PYTHON_VERSION": "3.10"},
            "Spark 4.3 does not support Python 3.10 (PySpark 4.3 requires Python 3.11 or newer):"
            " its cells are Python 3.11, 3.12, 3.13, 3.14.",
        ),
        (
            {"SPARK_VERSION": "3.5", "PYTHON_VERSION": "3.13"},
            "Spark 3.5 does not support Python 3.13 (PySpark 3.5 supports Python 3.8 to 3.11):"
            " its cells are Python 3.10, 3.11.",
        ),
    ],
    ids=["unknown-line", "python-the-line-refuses", "python-too-new-for-the-line"],
)
def test_cell_no_line_offers_is_refused_before_building(variables, message):
    result, image = bake_under_own_tag("python-deps", **variables)
    assert_failed_without_a_tag(result, image, message)


def test_base_image_with_another_python_stops_the_build(images):
    """The default cell's base variable pointed at the Python 3.11 base: it stops before
    anything installs."""
    other = images[base_target_of("3.11")]
    result, image = bake_under_own_tag("python-deps", BASE_IMAGES=f"{DEFAULT_PYTHON}={other}")
    assert_failed_without_a_tag(
        result,
        image,
        f"error: {other}, the base of the Python {DEFAULT_PYTHON} cells, has Python 3.11:"
        f" set BASE_IMAGES={DEFAULT_PYTHON}=IMAGE,"
        f" IMAGE being an image with Python {DEFAULT_PYTHON}",
    )


def test_missing_base_image_is_named():
    """Bake's own error names the image; `make build` checks first and says what to do."""
    missing = "spark-k8s-no-such-base:latest"
    result, image = bake_under_own_tag("python-deps", BASE_IMAGES=f"{DEFAULT_PYTHON}={missing}")
    assert_failed_without_a_tag(result, image, f"{missing}: failed to resolve source metadata")
    checked = subprocess.run(
        [sys.executable, "-m", "python_deps", "bases", "check", "python-deps"],
        env={**os.environ, "BASE_IMAGES": f"{DEFAULT_PYTHON}={missing}"},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert checked.returncode != 0
    assert checked.stderr.strip() == (
        f"python-deps bases: error: {missing}, the base of the Python {DEFAULT_PYTHON} cells,"
        " is neither on this engine nor pullable: "
        f"pull it (docker pull {missing}, from a registry this engine reaches),"
        f" or set BASE_IMAGES={DEFAULT_PYTHON}=IMAGE,"
        f" IMAGE being an image with Python {DEFAULT_PYTHON}"
    )


def test_cell_without_a_base_image_is_named():
    """Python 3.12 has no base here unless BASE_IMAGES names one."""
    checked = subprocess.run(
        [sys.executable, "-m", "python_deps", "bases", "check", "python-deps"],
        env={**os.environ, "PYTHON_VERSION": "3.12", "BASE_IMAGES": ""},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert checked.returncode != 0
    assert checked.stderr.strip() == (
        "python-deps bases: error: the Python 3.12 cells have no base image:"
        " set BASE_IMAGES=3.12=IMAGE, IMAGE being an image with Python 3.12 and pip,"
        " e.g. python:3.12-slim-bookworm"
    )


def test_base_image_without_python_stops_the_build(images):
    no_python = f"spark-k8s-no-python:{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["docker", "buildx", "build", "--load", "--tag", no_python, "-"],
        input=(
            f"FROM {images[default_variant().base_target]}\n"
            "RUN rm -rf /opt/python /usr/bin/python3*\n"
        ),
        text=True,
        check=True,
        capture_output=True,
    )
    try:
        result, image = bake_under_own_tag(
            "python-deps", "--no-cache", BASE_IMAGES=f"{DEFAULT_PYTHON}={no_python}"
        )
        assert_failed_without_a_tag(
            result,
            image,
            f"error: {no_python}, the base of the Python {DEFAULT_PYTHON} cells,"
            " has no python3 with pip on PATH: "
            f"set BASE_IMAGES={DEFAULT_PYTHON}=IMAGE,"
            f" IMAGE being an image with Python {DEFAULT_PYTHON} and pip",
        )
    finally:
        docker.image.remove(no_python)


def native_and_foreign_arch() -> tuple[str, str]:
    """The engine's architecture, and the other one the locks are for."""
    native = engine_arch()
    return native, "arm64" if native == "amd64" else "amd64"


def test_a_base_image_of_another_architecture_is_refused_naming_both(images):
    """A base whose foreign platform's image runs the engine's binaries, as one built from the
    host's rootfs whatever the platform: the build stops on the check, before installing, naming
    both."""
    native, foreign = native_and_foreign_arch()
    mislabelled = f"spark-k8s-mislabelled:{uuid.uuid4().hex[:8]}"
    subprocess.run(
        [
            "docker",
            "buildx",
            "build",
            "--load",
            f"--platform=linux/{foreign}",
            "--provenance=false",
            "--tag",
            mislabelled,
            "-",
        ],
        input=f"FROM --platform=linux/{native} {images[default_variant().base_target]}\n",
        text=True,
        check=True,
        capture_output=True,
    )
    try:
        result, image = bake_under_own_tag(
            "python-deps",
            PLATFORMS=f"linux/{foreign}",
            BASE_IMAGES=f"{DEFAULT_PYTHON}={mislabelled}",
        )
        assert_failed_without_a_tag(
            result,
            image,
            f"error: {mislabelled}, the base of the Python {DEFAULT_PYTHON} cells,"
            f" runs {native} binaries in its linux/{foreign} image: "
            f"set BASE_IMAGES={DEFAULT_PYTHON}=IMAGE,"
            f" IMAGE being an image built for linux/{foreign}",
        )
    finally:
        docker.image.remove(mislabelled)


def test_a_rootfs_of_another_architecture_is_refused_naming_both(tmp_path: Path):
    """The hermetic base for the foreign platform from the engine's rootfs under the foreign
    name: refused, naming both."""
    target = f"python-base-py{DEFAULT_PYTHON.replace('.', '')}"
    suite = definition((target,))["target"][target]["args"]["DEBIAN_SUITE"]
    native, foreign = native_and_foreign_arch()
    context = tmp_path / "python-debian"
    shutil.copytree(
        ROOT / "docker" / "docker-base" / "python-debian",
        context,
        ignore=shutil.ignore_patterns("rootfs-*"),
    )
    # Under its own name too: the virtual environment is made on the build platform's rootfs.
    for name in (native, foreign):
        os.link(
            ROOT / "docker" / "docker-base" / "python-debian" / f"rootfs-{suite}-{native}.tar",
            context / f"rootfs-{suite}-{name}.tar",
        )
    image = f"spark-k8s-mislabelled-base:{uuid.uuid4().hex[:8]}"
    result = run_bake(
        f"--allow=fs.read={context}",
        f"--set={target}.context={context}",
        f"--set={target}.tags={image}",
        target,
        PLATFORMS=f"linux/{foreign}",
    )
    assert_failed_without_a_tag(
        result,
        image,
        f"error: rootfs-{suite}-{foreign}.tar holds a Debian {native} system, not {foreign}",
    )


def test_no_network_names_the_wheelhouse(tmp_path: Path):
    offline = tmp_path / "no-network.hcl"
    offline.write_text(f'target "{default_variant().target}" {{\n  network = "none"\n}}\n')
    result, image = bake_under_own_tag("python-deps", f"--file={offline}", "--no-cache")
    assert_failed_without_a_tag(
        result,
        image,
        "error: no network to the package index: let the build reach it"
        " (through HTTPS_PROXY if there is one), "
        "or build offline: make wheelhouse on a connected machine,"
        " then make build WHEELHOUSE=wheelhouse",
    )


def tls_is_intercepted(image: str) -> bool:
    """Whether HTTPS to PyPI fails without the CA of CA_BUNDLE here, as behind a re-signing
    proxy."""
    probe = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            image,
            "python3",
            "-c",
            "import urllib.request; "
            "urllib.request.urlopen('https://pypi.org/simple/pip/', timeout=20)",
        ],
        capture_output=True,
        text=True,
    )
    return "CERTIFICATE_VERIFY_FAILED" in probe.stderr


def test_missing_proxy_ca_names_ca_bundle(images):
    if not tls_is_intercepted(images[default_variant().base_target]):
        pytest.skip("HTTPS to PyPI is not intercepted here: there is no proxy CA to leave out")
    result, image = bake_under_own_tag("python-deps", "--no-cache", CA_BUNDLE="")
    assert_failed_without_a_tag(
        result,
        image,
        "error: the package index's TLS certificate is not trusted,"
        " as behind a proxy that re-signs HTTPS: "
        "pass the proxy's CA bundle, e.g. make build CA_BUNDLE=/path/to/ca.pem",
    )


def test_unresolvable_requirement_names_the_file(tmp_path: Path):
    deps = tmp_path / "python-deps"
    shutil.copytree(DEPS_DIR, deps)
    with (deps / "requirements-iceberg.txt").open("a") as requirements:
        requirements.write("pyiceberg<0.0.1\n")
    lock = subprocess.run(
        [
            sys.executable,
            "-m",
            "python_deps",
            "lock",
            "--deps-dir",
            str(deps),
            "--digests-file",
            str(tmp_path / "digests.json"),
            "--cells",
            "spark-4.2-python-3.11",
            "--archs",
            "amd64",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert lock.returncode != 0
    assert lock.stderr.strip().splitlines()[-1] == (
        "python-deps lock: error: requirements-base.txt requirements-gpu.txt"
        " requirements-iceberg.txt cannot be resolved for spark-4.2-python-3.11 on amd64"
        " (uv's reason is above):"
        " relax the requirement it names, then run make lock again"
    )
    assert "pyiceberg" in lock.stderr
    locks = sorted(path.relative_to(DEPS_DIR) for path in (DEPS_DIR / "locks").rglob("*.txt"))
    assert [
        path for path in locks if (deps / path).read_bytes() != (DEPS_DIR / path).read_bytes()
    ] == [], "a failed make lock changed a lock"


@pytest.mark.parametrize(
    ("output", "hint"),
    [
        ("OSError: [Errno 28] No space left on device", "error: the disk filled during the build"),
        (
            "SSLError(SSLCertVerificationError(1,"
            " '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed",
            "error: the package index's TLS certificate is not trusted",
        ),
        (
            "Caused by: invalid peer certificate: UnknownIssuer",
            "error: the package index's TLS certificate is not trusted",
        ),
        (
            "NewConnectionError: Failed to establish a new connection:"
            " [Errno -3] Temporary failure in name resolution",
            "error: no network to the package index",
        ),
        (
            "Caused by: dns error: failed to lookup address information",
            "error: no network to the package index",
        ),
        (
            "error: Hash mismatch for `numpy==1.26.4`",
            "error: a downloaded file does not match the hash in its lock",
        ),
    ],
)
def test_install_failures_end_with_their_cause_and_fix(output, hint):
    """explain-failure, which wraps every install step, for failures a test cannot provoke
    (a full disk) or provokes only through pip (uv's wording)."""
    result = subprocess.run(
        ["sh", EXPLAIN_FAILURE, "sh", "-c", f"echo {output!r} >&2; exit 3"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 3
    assert result.stderr.strip().splitlines()[-1].startswith(hint)


def test_successful_install_adds_no_hint():
    result = subprocess.run(
        ["sh", EXPLAIN_FAILURE, "sh", "-c", "echo Installed 3 packages >&2"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and result.stderr == "Installed 3 packages\n"
