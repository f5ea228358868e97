"""The team cache (CACHE_REGISTRY): a cell one builder built and exported to a registry cache is
built by a fresh builder, with an empty build cache and image store (a second engine, as a new
CI runner has), from the registry alone: every install step cached, and the very image."""

from __future__ import annotations

import re
import subprocess

import pytest

from python_deps.runner import engine_arch
from python_deps.testing.engine import SecondEngine
from python_deps.testing.registry import Registry
from tests.utils.bake import bake_under_own_tag
from tests.utils.containers import platform_manifest
from tests.utils.harness import DEFAULT_PYTHON, default_variant

pytestmark = pytest.mark.slow


def build_steps(progress: str) -> dict[str, bool]:
    """{step: cached} of the Dockerfile steps in bake's plain progress output. A step is cached
    where BuildKit says CACHED, or where all it shows is the download of its layers: a hit on a
    registry cache whose blobs BuildKit fetches only for the export, reported under the step
    after the export began. A step that ran shows its command's output (uv's, for an install),
    or, for a COPY, neither."""
    names = dict(
        re.findall(
            r"^#(\d+) \[(?:[\w-]+ )?(?:linux/\S+ )?([\w-]+ \d+/\d+)\] (?:RUN|COPY|ADD)",
            progress,
            re.M,
        )
    )
    cached = set(re.findall(r"^#(\d+) CACHED$", progress, re.M))
    downloaded = set(
        re.findall(r"^#(\d+) sha256:[0-9a-f]{64} \S+ / \S+ [0-9.]+s done$", progress, re.M)
    )
    ran = set(re.findall(r"^#(\d+) [0-9]+\.[0-9]+ ", progress, re.M))
    return {
        name: number in cached or (number in downloaded and number not in ran)
        for number, name in names.items()
    }


def test_a_fresh_builder_builds_the_default_cell_from_the_registry_cache(images, tmp_path):
    with Registry(tmp_path / "registry") as registry, SecondEngine(tmp_path / "engine") as engine:
        cache = f"{registry.address}/python-deps-cache"
        # The writer: this engine, where the harness built the cell, exports its cache.
        written, image = bake_under_own_tag("python-deps", CACHE_REGISTRY=cache)
        assert written.returncode == 0, f"exporting the cache failed:\n{written.stderr[-3000:]}"
        # The fresh builder pulls the base from the registry too, as a CI runner would.
        base = f"{registry.address}/{images[default_variant().base_target].split('/')[-1]}"
        for command in (
            ["tag", images[default_variant().base_target], base],
            ["push", "--quiet", base],
        ):
            subprocess.run(["docker", *command], check=True, capture_output=True)

        # A read-only consumer: cache-from only.
        read, fresh_image = bake_under_own_tag(
            "python-deps",
            "--set=*.cache-to=",
            CACHE_REGISTRY=cache,
            DOCKER_HOST=engine.host,
            BASE_IMAGES=f"{DEFAULT_PYTHON}={base}",
        )
        assert read.returncode == 0, f"the fresh builder failed:\n{read.stderr[-3000:]}"
        steps = build_steps(read.stderr)
        installs = {
            name: cached
            for name, cached in steps.items()
            if name.startswith(("pyspark", "base-deps"))
        }
        assert installs and all(installs.values()), (
            "not cached on the fresh builder:"
            f" {[name for name, cached in installs.items() if not cached]}"
        )
        print(f"fresh builder: {sum(steps.values())} of {len(steps)} steps cached: {steps}")
        platform = f"linux/{engine_arch()}"
        assert platform_manifest(fresh_image, platform, engine.env()) == platform_manifest(
            image, platform
        ), "the fresh builder made another image"
    subprocess.run(["docker", "image", "rm", image, base], capture_output=True)
