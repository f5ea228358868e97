"""The examples as their docs build them: with this repository's bake files, on the target of the
default cell's python-deps (bake's contexts = { python-deps = "target:..." })."""

import uuid

from python_on_whales import docker

from python_deps import ROOT
from python_deps.bake import HARNESS_BAKE_FILES, MAIN_BAKE_FILES, definition
from tests.utils.bake import run_bake
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


RUNTIME_BAKE_FILES = (*MAIN_BAKE_FILES, ROOT / "examples" / "spark-runtime" / "docker-bake.hcl")


def test_the_spark_runtime_example_builds_on_the_python_deps_target():
    """As docs/kubernetes.md builds it: the default cell's python-deps target as its parent, the
    image Spark on Kubernetes runs (tini before the entrypoint, uid 185, SPARK_HOME)."""
    variant = default_variant()
    tag = f"test-{uuid.uuid4().hex[:8]}"
    result = run_bake("spark-runtime", files=RUNTIME_BAKE_FILES, TAG=tag)
    runtime, parent = f"spark-k8s-runtime:{tag}", f"spark-k8s-python-deps:{tag}"
    try:
        assert result.returncode == 0, f"the example's build failed:\n{result.stderr[-3000:]}"
        assert f"[{variant.target} " in result.stderr, "the parent was not built as a target"
        config = docker.image.inspect(runtime).config
        assert config.entrypoint == ["/usr/bin/tini", "--", "/opt/entrypoint.sh"], config
        assert (config.user, str(config.working_dir)) == ("185", "/opt/spark/work-dir"), config
        assert "SPARK_HOME=/opt/spark/pyspark" in config.env, config.env
    finally:
        docker.image.remove([runtime, parent], force=True)


def test_the_spark_runtime_example_shares_java_from_a_base_only_where_it_has_one():
    """From a target, Java goes on the cell's base (its variants' images share the layer); from a
    pulled image, whose base may be nowhere here, on that image itself."""
    base_target = f"test-base-py{default_variant().python.replace('.', '')}"
    cell_base = definition((base_target,), HARNESS_BAKE_FILES)["target"][base_target]
    for parent, java_base, base_context in (
        ("", "base", cell_base["contexts"]["base"]),
        ("docker-image://registry.example.com/python-deps:1", "python-deps", None),
    ):
        variables = (("PARENT", parent),) if parent else ()
        target = definition(("spark-runtime",), RUNTIME_BAKE_FILES, variables)["target"][
            "spark-runtime"
        ]
        assert target["args"]["JAVA_BASE"] == java_base, target
        assert target["contexts"].get("base") == base_context, target
