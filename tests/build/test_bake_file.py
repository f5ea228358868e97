"""The bake file: one Dockerfile, one stage per variant, stacked on base-deps, for every cell
that a Spark line offers; the groups users and CI build."""

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from python_deps import DEPS_DIR, ROOT
from python_deps.bake import bake_command, definition
from python_deps.declaration import Cell, check_offers, declaration
from python_deps.lock import requirement_files
from python_deps.matrix import variants

VARIANT_STAGES = {kind.image: kind.stage for kind in declaration().variants.values()}


def test_variant_groups_build_the_stages_of_one_dockerfile():
    """Each variant's group (python-deps, python-deps-gpu, ...) is its stage in the default cell,
    for every variant the default cell offers."""
    matrix = declaration()
    offered = {
        image: stage
        for image, stage in VARIANT_STAGES.items()
        if matrix.variants[image].offered_on(matrix.default_cell)
    }
    targets = definition(tuple(offered))["target"]
    default = variants(["python-deps"])[0]
    assert {name: target["target"] for name, target in targets.items()} == {
        f"{group}-spark{default.spark.replace('.', '')}-py{default.python.replace('.', '')}": stage
        for group, stage in offered.items()
    }
    sources = {
        (target["context"], target["dockerfile"])
        for target in definition(("offered",))["target"].values()
    }
    assert len(sources) == 1, f"variant targets use several Dockerfiles: {sources}"


def test_stages_stack_as_the_harness_assumes():
    """The parent map that decides which tests run on which image matches the Dockerfile."""
    target = next(iter(definition(("python-deps",))["target"].values()))
    dockerfile = Path(ROOT, target["context"], target["dockerfile"]).read_text()
    parents = dict(
        (stage, base) for base, stage in re.findall(r"^FROM\s+(\S+)\s+AS\s+(\S+)", dockerfile, re.M)
    )
    # A stage's parent is the first stage of STAGES (or the base image) up its FROM chain, for
    # either place the installs run (the Dockerfile's INSTALLS).
    for installs in ("in-image", "copied"):

        def parent(stage: str, installs: str = installs) -> str:
            above = parents[stage].replace("${INSTALLS}", installs)
            return (
                above if above in VARIANT_STAGES.values() or above not in parents else parent(above)
            )

        for kind in declaration().variants.values():
            expected = VARIANT_STAGES[kind.parent] if kind.parent else "${BASE_IMAGE}"
            assert parent(kind.stage) == expected, (
                f"{kind.stage} ({installs}): FROM chain reaches {parent(kind.stage)},"
                f" the declaration says {expected}"
            )


def test_the_declaration_python_reads_is_what_bake_evaluates():
    """python_deps.declaration reads docker-bake.hcl's literal data; bake's targets agree with
    it."""
    matrix = declaration()
    offered = definition(("offered",))["target"]
    cells = {
        Cell(target["args"]["SPARK_VERSION"], target["args"]["PYTHON_VERSION"])
        for target in offered.values()
    }
    assert cells == set(matrix.cells())
    for target in offered.values():
        kind = matrix.by_stage(target["target"])
        assert target["args"]["LOCKS"].split() == matrix.locks(kind.image), target["target"]
        assert target["tags"][0].split(":")[0] == f"spark-k8s-{kind.image}"
    default = definition(("python-deps",))["target"]
    assert {
        Cell(target["args"]["SPARK_VERSION"], target["args"]["PYTHON_VERSION"])
        for target in default.values()
    } == {matrix.default_cell}


def test_every_cell_offered_has_its_locks_for_both_platforms():
    """A cell in the bake file is a promise: its locks exist for linux/amd64 and linux/arm64."""
    offered = variants(["offered"])
    assert len({variant.cell for variant in offered}) >= 17
    locks = [
        f"locks/spark-{variant.spark}/python-{variant.python}/linux-{arch}/{variant.kind.requirements}.txt"
        for variant in offered
        for arch in declaration().architectures
    ]
    missing = [lock for lock in locks if not (DEPS_DIR / lock).is_file()]
    assert not missing, f"cells offered without their locks (run make lock): {missing}"


def test_images_are_tagged_by_cell_and_the_default_cell_as_latest():
    default = variants(["python-deps"])[0]
    for name, target in definition(("offered",))["target"].items():
        args = target["args"]
        cell_tag = f"spark-{args['SPARK_VERSION']}-python-{args['PYTHON_VERSION']}"
        repository = target["tags"][0].split(":")[0]
        expected = [f"{repository}:{cell_tag}"] + (
            [f"{repository}:latest"] if cell_tag == str(default.cell) else []
        )
        assert target["tags"] == expected, f"{name}: {target['tags']}"
        assert target["labels"]["org.opencontainers.image.version"] == cell_tag


def test_ci_group_holds_the_default_cell_and_the_oldest_line():
    """The default cell and Spark 3.5 on the other hermetic Python, base and iceberg; the gpu
    variant in a group of its own with the image it is tested against."""
    selected = {(str(variant.cell), variant.stage) for variant in variants(["ci"])}
    default = variants(["python-deps"])[0]
    assert selected == {
        (cell, stage)
        for cell in (str(default.cell), "spark-3.5-python-3.11")
        for stage in ("base-deps", "iceberg")
    }
    assert {(variant.cell, variant.stage) for variant in variants(["gpu-proof"])} == {
        (default.cell, "base-deps"),
        (default.cell, "gpu"),
    }


def print_variant_targets(**variables: str) -> dict:
    """The default cell's variant targets as bake resolves them with these variables (and no
    other cache settings)."""
    unset = {"CACHE_REGISTRY": "", "CACHE_DIR": ""}
    return definition(("all",), variables=tuple({**unset, **variables}.items()))["target"]


def test_variants_read_and_write_a_shared_build_cache():
    """CACHE_REGISTRY and CACHE_DIR give every variant its own cache entry, written with all
    intermediate stages (mode=max); unset, no target reads or writes one."""
    targets = print_variant_targets(
        CACHE_REGISTRY="registry.example/python-deps-cache", CACHE_DIR="/cache"
    )
    assert len(targets) == len(VARIANT_STAGES)
    for name, target in targets.items():
        assert target["cache-from"] == [
            {"type": "registry", "ref": f"registry.example/python-deps-cache:{name}"},
            {"type": "local", "src": f"/cache/{name}"},
        ]
        assert target["cache-to"] == [
            {
                "type": "registry",
                "ref": f"registry.example/python-deps-cache:{name}",
                "mode": "max",
            },
            {"type": "local", "dest": f"/cache/{name}", "mode": "max"},
        ]
    assert not any(
        "cache-from" in target or "cache-to" in target
        for target in print_variant_targets().values()
    )


def test_a_variant_is_offered_on_the_lines_its_declaration_says_a_one_line_change(tmp_path):
    """On a copy of the declaration: a variant not offered on a line has no target there, leaves
    the groups and the joint lock of that line, and its group refuses in one line naming why and
    where it is offered; offering it again is deleting that one line (then make lock)."""
    shutil.copy(ROOT / "docker-bake.json", tmp_path)
    copy = tmp_path / "docker-bake.hcl"
    original = (ROOT / "docker-bake.hcl").read_text()
    iceberg = '"iceberg"\n      device       = false\n      not_on       = {}'
    assert original.count(iceberg) == 1, "the iceberg variant's not_on line moved"
    copy.write_text(
        original.replace(iceberg, iceberg.replace("{}", '{ "4.3" = "no test release yet" }'))
    )
    files = (copy, tmp_path / "docker-bake.json")
    offered = definition(("offered",), files=files)["group"]["offered"]["targets"]
    assert "python-deps-iceberg-spark43-py313" not in offered
    assert "python-deps-iceberg-spark42-py313" in offered and "python-deps-spark43-py313" in offered
    ci = definition(("ci",), files=files)["group"]["ci"]["targets"]
    assert ci == [
        "python-deps-spark43-py313",
        "python-deps-spark35-py311",
        "python-deps-iceberg-spark35-py311",
    ], ci
    refused = subprocess.run(
        bake_command("--print", "python-deps-iceberg", files=files),
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    errors = [line for line in refused.stderr.splitlines() if line.startswith("ERROR")]
    assert refused.returncode != 0 and len(errors) == 1, refused.stderr
    assert (
        "python-deps-iceberg is not offered on Spark 4.3: no test release yet;"
        " it is on Spark 3.5, 4.0, 4.1, 4.2" in errors[0]
    ), errors
    matrix = declaration(copy)
    assert matrix.variants["python-deps-iceberg"].not_on == {"4.3": "no test release yet"}
    assert "requirements-iceberg.txt" not in requirement_files(matrix, cell=Cell("4.3", "3.13"))
    assert "requirements-iceberg.txt" in requirement_files(matrix, cell=Cell("4.2", "3.13"))
    copy.write_text(original)
    definition.cache_clear()
    offered = definition(("offered",), files=files)["group"]["offered"]["targets"]
    assert "python-deps-iceberg-spark43-py313" in offered


@pytest.mark.parametrize(
    ("not_on", "problem"),
    [
        ({"9.9": "x"}, "names no Spark line: 9.9"),
        ({line: "x" for line in declaration().spark_lines}, "leaves no Spark line offered"),
    ],
    ids=["unknown-line", "no-line"],
)
def test_a_not_on_that_names_no_line_or_leaves_none_is_refused(not_on, problem):
    variants = dict(declaration().variants)
    variants["python-deps-iceberg"] = replace(variants["python-deps-iceberg"], not_on=not_on)
    with pytest.raises(ValueError, match=f"python-deps-iceberg's not_on {problem}"):
        check_offers(declaration().spark_lines, variants)


def test_a_child_is_offered_only_where_its_parent_is():
    variants = dict(declaration().variants)
    variants["python-deps"] = replace(variants["python-deps"], not_on={"4.3": "x"})
    with pytest.raises(ValueError, match="offers lines its parent does not: 4.3"):
        check_offers(declaration().spark_lines, variants)
