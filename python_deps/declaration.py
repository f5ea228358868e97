"""The matrix as docker-bake.hcl declares it, read without Docker: its Spark lines, variants,
architectures, hermetic and release bases are literal data functions in one section there, which
this reads with python-hcl2. Bake evaluates the same file into targets (python_deps.matrix reads
those); nothing here repeats a fact of it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from python_deps import ROOT

BAKE_FILE = ROOT / "docker-bake.hcl"
CELL = re.compile(r"spark-(?P<spark>\d+\.\d+)-python-(?P<python>\d+\.\d+)")


@dataclass(frozen=True, order=True)
class Cell:
    """A cell of the matrix as a user types and reads it: spark-4.3-python-3.13."""

    spark: str
    python: str

    @classmethod
    def parse(cls, text: str) -> Cell:
        matched = CELL.fullmatch(text.strip())
        if not matched:
            raise ValueError(
                f"{text!r} is not a cell: write spark-X.Y-python-A.B, e.g. spark-4.3-python-3.13"
            )
        return cls(matched["spark"], matched["python"])

    def __str__(self) -> str:
        return f"spark-{self.spark}-python-{self.python}"


@dataclass(frozen=True)
class SparkLine:
    version: str
    pythons: tuple[str, ...]
    java: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class Layer:
    lock: str
    packages: tuple[str, ...]


@dataclass(frozen=True)
class VariantKind:
    """One entry of variants(): an image, its Dockerfile stage and what it installs."""

    image: str
    stage: str
    parent: str
    requirements: str
    layers: tuple[Layer, ...]
    description: str
    device: bool  # its tests need a GPU
    not_on: dict[str, str] = field(hash=False)  # Spark line: why it is not offered there

    def offered_on(self, cell: Cell) -> bool:
        return cell.spark not in self.not_on


@dataclass(frozen=True)
class HermeticBase:
    python: str
    suite: str


@dataclass(frozen=True)
class Declaration:
    spark_lines: dict[str, SparkLine]
    variants: dict[str, VariantKind]  # by image
    hermetic_bases: tuple[HermeticBase, ...]
    release_bases: dict[str, str]  # Python: the image its release legs build on
    architectures: dict[str, str]  # arch: wheel platform tag
    default_cell: Cell

    def by_stage(self, stage: str) -> VariantKind:
        return next(variant for variant in self.variants.values() if variant.stage == stage)

    def lineage(self, image: str) -> list[VariantKind]:
        """The variants an image is made of, the root first."""
        chain = [self.variants[image]]
        while chain[0].parent:
            chain.insert(0, self.variants[chain[0].parent])
        return chain

    def locks(self, image: str) -> list[str]:
        """The locks the image installs, in order (variant_locks() in the bake file)."""
        return [
            lock
            for kind in self.lineage(image)
            for lock in [*(layer.lock for layer in kind.layers), kind.requirements]
        ]

    def cells(self) -> list[Cell]:
        return [
            Cell(line.version, python)
            for line in self.spark_lines.values()
            for python in line.pythons
        ]


def literal(value):
    """python-hcl2 keeps a string literal's quotes: the value without them."""
    if isinstance(value, str):
        if not (value.startswith('"') and value.endswith('"')):
            raise ValueError(
                f"{BAKE_FILE.name}: the declaration must be literal, found the expression {value}"
            )
        return json.loads(value)
    if isinstance(value, list):
        return [literal(item) for item in value]
    if isinstance(value, dict):
        return {
            literal(key) if key.startswith('"') else key: literal(item)
            for key, item in value.items()
            if key != "__is_block__"
        }
    return value


def block(blocks: list[dict], name: str) -> dict:
    quoted = json.dumps(name)
    return next(entry[quoted] for entry in blocks if quoted in entry)


def check_offers(lines: dict[str, SparkLine], variants: dict[str, VariantKind]) -> None:
    """Each variant's not_on names Spark lines, leaves one offered, and covers its parent's: a
    child exists only where its parent does."""
    for kind in variants.values():
        unknown = set(kind.not_on) - set(lines)
        parent = variants[kind.parent].not_on if kind.parent else {}
        beyond_parent = set(parent) - set(kind.not_on)
        problem = ""
        if unknown:
            problem = f"names no Spark line: {', '.join(sorted(unknown))}"
        elif set(kind.not_on) >= set(lines):
            problem = "leaves no Spark line offered"
        elif beyond_parent:
            problem = f"offers lines its parent does not: {', '.join(sorted(beyond_parent))}"
        if problem:
            raise ValueError(f"{BAKE_FILE.name}: variants(): {kind.image}'s not_on {problem}")


@cache
def declaration(bake_file: Path = BAKE_FILE) -> Declaration:
    """The declaration docker-bake.hcl (or a copy of it) holds."""
    # Here, not at the top: Cell is used by verbs that run without the venv's packages.
    import hcl2

    parsed = hcl2.loads(bake_file.read_text())
    functions = parsed["function"]

    def result(name: str):
        return literal(block(functions, name)["result"])

    lines = {
        version: SparkLine(version, tuple(line["pythons"]), tuple(line["java"]), line["why"])
        for version, line in result("spark_lines").items()
    }
    variants = {
        entry["image"]: VariantKind(
            entry["image"],
            entry["stage"],
            entry["parent"],
            entry["requirements"],
            tuple(Layer(layer["lock"], tuple(layer["packages"])) for layer in entry["layers"]),
            entry["description"],
            entry["device"],
            dict(entry["not_on"]),
        )
        for entry in result("variants")
    }
    check_offers(lines, variants)
    variables = parsed["variable"]
    return Declaration(
        spark_lines=lines,
        variants=variants,
        hermetic_bases=tuple(HermeticBase(**base) for base in result("hermetic_bases")),
        release_bases={base["python"]: base["image"] for base in result("release_bases")},
        architectures=result("architectures"),
        default_cell=Cell(
            literal(block(variables, "SPARK_VERSION")["default"]),
            literal(block(variables, "PYTHON_VERSION")["default"]),
        ),
    )
