"""The images' SBOMs (the Dockerfile's sbom stage, one bake target per image): baking them for the
variants under test, and reading their components."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from python_deps import ROOT
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
                    / variant.cell
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
