"""The Makefile as a user meets it: `make` alone is help; one cell builds its own base alone, for
its profile's platforms; bad input is refused in one line, in seconds, before any root
filesystem or base is made, and never starts make again; `make -s` output is the command's own."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from python_deps import ROOT
from python_deps.bases import plan
from tests.utils.make import run_make

ROOTFS_FOLDER = Path("docker/docker-base/python-debian")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """What make needs of the checkout, without its root filesystems, .venv or reports."""
    copy = tmp_path / "checkout"
    copy.mkdir()
    for name in ("Makefile", "docker-bake.hcl", "docker-bake.json", "pyproject.toml"):
        shutil.copy(ROOT / name, copy)
    ignored = shutil.ignore_patterns("rootfs-*", "__pycache__")
    for folder in ("scripts", "python_deps", "docker"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=ignored)
    return copy


def test_make_alone_prints_the_targets_and_builds_nothing():
    helped, _ = run_make(ROOT)
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith("Usage: make TARGET"), helped.stdout
    for target in ("build", "test", "lock", "upgrade", "release-matrix"):
        assert f"\n  {target} " in helped.stdout, f"make help does not list {target}"


@pytest.mark.parametrize(
    ("arguments", "refusal"),
    [
        (["BAKE_GROUP=nope"], "python-deps bases: error: failed to find target nope"),
        (
            ["CELL=spark-3.5-python-3.12"],
            "python-deps bases: error: Spark 3.5 does not support Python 3.12",
        ),
        (
            ["CELL=3.5/3.11"],
            "python-deps bases: error: CELL=3.5/3.11 is not a cell: write it spark-X.Y-python-A.B",
        ),
        (
            ["BAKE_GROUP=all", "SPARK_VERSION=3.5", "PYTHON_VERSION=3.12"],
            "python-deps bases: error: Spark 3.5 does not support Python 3.12",
        ),
        (["PLATFORM_PROFILE=nope"], "PLATFORM_PROFILE=nope is not a profile"),
        (
            ["CELL=spark-4.0-python-3.12", "PLATFORM_PROFILE=local"],
            "python-deps bases: error: the Python 3.12 cells have no base image",
        ),
    ],
    ids=[
        "unknown-group",
        "refused-cell",
        "cell-misspelt",
        "refused-default-cell",
        "profile",
        "no-base",
    ],
)
def test_bad_input_is_one_line_in_seconds_before_any_base(checkout, arguments, refusal):
    refused, seconds = run_make(checkout, "build", *arguments)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert refusal in output, f"expected {refusal!r} in:\n{output}"
    reason = refusal.split("error: ", 1)[-1]
    assert output.count(reason) == 1, f"the reason is said more than once:\n{output}"
    assert seconds < 60, f"the refusal took {seconds:.0f} s (limit 60 s, engine already up)"
    made = sorted(path.name for path in (checkout / ROOTFS_FOLDER).glob("rootfs-*"))
    assert made == [], f"a refused build wrote {made}"
    assert "docker buildx bake" not in output and "make[" not in output, output


def test_one_cell_for_the_engine_builds_its_own_base_alone(checkout):
    """Dry run: what `make build CELL=... PLATFORM_PROFILE=local` would make."""
    dry, _ = run_make(
        checkout, "-n", "build", "CELL=spark-3.5-python-3.11", "PLATFORM_PROFILE=local"
    )
    assert dry.returncode == 0, dry.stderr
    rootfs = sorted({word for word in dry.stdout.split() if word.startswith(str(ROOTFS_FOLDER))})
    engine = plan([], ["python-base-py311"]).engine.removeprefix("linux/")
    assert rootfs == [f"{ROOTFS_FOLDER}/rootfs-bookworm-{engine}.tar"], dry.stdout
    bases = sorted({word for word in dry.stdout.split() if word.startswith("python-base-py")})
    assert bases == ["python-base-py311"], dry.stdout
    assert "ensure-emulation.sh linux/" not in dry.stdout, "a one-platform build set up QEMU"


def test_two_platforms_of_one_image_need_its_base_alone():
    planned = plan(["python-deps"], [])
    assert set(planned.platforms) == {"python-base-py313"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLATFORMS", "linux/amd64,linux/arm64")
        patch.setenv("PLATFORM_PROFILE", "local")
        from python_deps import bake

        bake.definition.cache_clear()
        both = plan(["python-deps"], [])
        bake.definition.cache_clear()
    assert both.platforms == {"python-base-py313": {"linux/amd64", "linux/arm64"}}
    suites = {Path(path).name.split("-")[1] for path, _ in both.rootfs}
    assert suites == {"trixie"}, f"the default cell on two platforms wrote {both.rootfs}"


def test_make_s_release_matrix_prints_json_alone():
    printed, _ = run_make(ROOT, "-s", "release-matrix")
    assert printed.returncode == 0, printed.stderr
    legs = json.loads(printed.stdout)
    assert legs and all("leg" in leg for leg in legs), printed.stdout[:500]
