"""The Jupyter example as its README builds it: with this repository's bake files, on the target
of the default cell's python-deps (bake's contexts = { python-deps = "target:..." })."""

from python_on_whales import docker

from tests.utils.children import bake_child
from tests.utils.containers import run_in
from tests.utils.harness import default_variant


def test_the_jupyter_example_builds_on_the_python_deps_target():
    variant = default_variant()
    result, child = bake_child(f"target:{variant.target}", "")
    parent = f"spark-k8s-python-deps:{child.split(':')[1]}"
    try:
        assert result.returncode == 0, f"the example's build failed:\n{result.stderr[-3000:]}"
        assert f"[{variant.target} " in result.stderr, "the parent was not built as a target"
        versions = run_in(child, "sh", "-c", "pip check && jupyter lab --version")
        assert "No broken requirements found." in versions, versions
    finally:
        docker.image.remove([child, parent], force=True)
