"""The images' SBOMs (the Dockerfile's sbom stage, one bake target per image): baking them for the
variants under test, reading their components, and `python-deps sbom FOLDER`, the licences the
SBOMs under a folder declare (make sbom writes them to reports/sbom/), for a platform team to clear
before shipping: per kind of component (Python, Debian), each licence with the components that
declare it, copyleft ones (GPL, LGPL, AGPL, MPL, EPL, CDDL) marked, and the components that declare
none or a non-free one named. Licences are as declared: a package that states two (an expression
and a classifier) is counted under both.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

from python_deps import ROOT, cli
from python_deps.bake import bake_command, build_environment
from python_deps.matrix import Variant, normalize


def bake_sboms(
    variants: list[Variant], folder: Path, environment: dict[str, str] | None = None
) -> dict:
    """Bake the SBOM target of each variant into folder, for the platforms it is built for, with
    bake's environment (this process's by default): each file by target and platform, or the
    error."""
    targets = [f"{variant.target}-sbom" for variant in variants]
    environment = {**(environment or build_environment()), "SBOM_DIR": str(folder)}
    # Bake allows a write only under a folder that exists.
    folder.mkdir(parents=True, exist_ok=True)
    baked = subprocess.run(
        bake_command(
            "--progress=plain",
            f"--allow=fs.write={folder}",
            *targets,
            environment=environment,
        ),
        env=environment,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if baked.returncode != 0:
        return {"error": f"docker buildx bake {' '.join(targets)} failed:\n{baked.stderr[-3000:]}"}
    return {
        "files": {
            variant.target: {
                platform: str(
                    folder
                    / f"spark-k8s-{variant.name}"
                    / str(variant.cell)
                    / platform.replace("/", "_")
                    / "sbom.cdx.json"
                )
                for platform in variant.platforms
            }
            for variant in variants
        }
    }


def keep_sboms(images: list[dict], files: dict[str, dict[str, str]], folder: Path) -> list[dict]:
    """The images of a test record, each with its SBOMs copied into folder: {platform: path}."""
    shutil.rmtree(folder, ignore_errors=True)
    kept = []
    for image in images:
        sboms = {}
        for platform, file in files.get(image["target"], {}).items():
            copy = folder / image["target"] / platform.replace("/", "_") / "sbom.cdx.json"
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(file, copy)
            sboms[platform] = str(copy)
        kept.append({**image, "sboms": sboms})
    return kept


def python_components(sbom: dict) -> dict[str, dict]:
    """The SBOM's Python distributions, by normalized name."""
    return {
        normalize(component["name"]): component
        for component in sbom["components"]
        if component.get("purl", "").startswith("pkg:pypi/")
    }


def debian_components(sbom: dict) -> dict[str, str]:
    """{package: version} of the SBOM's Debian packages."""
    return {
        component["name"]: component["version"]
        for component in sbom["components"]
        if component.get("purl", "").startswith("pkg:deb/")
    }


def lock_hashes(lock_file: Path) -> dict[str, tuple[str, set[str]]]:
    """{normalized name: (version, sha256 hashes)} of a hashed lock file."""
    pins: dict[str, tuple[str, set[str]]] = {}
    name = None
    for line in lock_file.read_text().splitlines():
        if line and not line[0].isspace() and "==" in line and not line.startswith("#"):
            name, version = line.split(" ", 1)[0].split("==")
            name = normalize(name)
            pins[name] = (version, set())
        elif name and "--hash=sha256:" in line:
            pins[name][1].add(line.split("--hash=sha256:", 1)[1].split()[0])
    return pins


COPYLEFT = re.compile(
    r"\b(A?GPL|LGPL|GNU (Library or )?(Lesser )?General Public|MPL|Mozilla Public"
    r"|EPL|Eclipse Public|CDDL)",
    re.I,
)
PROPRIETARY = re.compile(r"proprietary|NVIDIA Software License|LicenseRef-", re.I)


def declared(component: dict) -> list[str]:
    names = []
    for entry in component.get("licenses", []):
        if "expression" in entry:
            names.append(entry["expression"])
        else:
            licence = entry["license"]
            names.append(licence.get("id") or licence.get("name", "?"))
    return names or ["(none declared)"]


def main(argv: list[str] | None = None) -> None:
    parser = cli.parser("sbom", __doc__)
    parser.add_argument(
        "folder",
        nargs="?",
        metavar="FOLDER",
        type=Path,
        default=Path("reports/sbom"),
        help="The folder of the SBOMs, *.cdx.json (default: reports/sbom, where make sbom writes).",
    )
    folder = parser.parse_args(argv).folder
    files = sorted(folder.rglob("*.cdx.json"))
    if not files:
        cli.fail("sbom", f"no SBOM under {folder}: run make sbom first")
    by_kind: dict[str, dict[str, set[str]]] = {
        "Python": defaultdict(set),
        "Debian": defaultdict(set),
    }
    for file in files:
        for component in json.loads(file.read_text()).get("components", []):
            kind = "Python" if component.get("purl", "").startswith("pkg:pypi/") else "Debian"
            for licence in declared(component):
                by_kind[kind][licence].add(component["name"])
    print(f"licences declared in {len(files)} SBOMs under {folder}")
    for kind, licences in by_kind.items():
        print(
            f"\n{kind}: {len({name for names in licences.values() for name in names})} components"
        )
        for licence, names in sorted(licences.items(), key=lambda item: (-len(item[1]), item[0])):
            mark = (
                " [copyleft]"
                if COPYLEFT.search(licence)
                else " [not free: review]"
                if PROPRIETARY.search(licence)
                else ""
            )
            print(f"  {len(names):4d}  {licence}{mark}: {', '.join(sorted(names))}")
