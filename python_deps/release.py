"""The release, fanned out: one leg per cell and platform, each on a machine of that platform,
then one merge from the legs' records alone.

    python-deps release matrix [--group offered]
        the legs, as the GitHub Actions matrix (JSON): one per cell and platform of the group's
        images, and one per cell and platform of its gpu images where RAPIDS has wheels (a gpu
        lock), each with its runner and base
    python-deps release leg --cell CELL --platform PLATFORM [--kind images|gpu]
                            [--staging PREFIX] [--records DIR] [--pytest-args ARGS]
        builds the leg's images for that platform, tests them, and pushes the tested bytes by
        digest only (no tag) to the staging prefix, each platform's SBOM attached as a referrer;
        writes DIR/LEG.json, the record the merge reads, whatever the result
    python-deps release merge --staging PREFIX --production PREFIX [--records DIR]
                              [--group offered]
        per image and cell, one index of the legs' tested manifests in the production
        repository, or nothing for a cell whose legs are not all there and green; tags: the
        cell's moving ones (and latest) and an immutable one per commit, never moved

Both the leg and the merge only copy by digest (oras, buildx imagetools): nothing is rebuilt
between a test and a tag.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, replace
from pathlib import Path

from python_deps import REPORTS, ROOT, bases, cli
from python_deps.bake import BakeError, build_environment, definition
from python_deps.declaration import Cell, declaration
from python_deps.matrix import lock_folder, variants
from python_deps.prove import counts
from python_deps.publish import attach_sbom, sbom_referrer
from python_deps.record import Record, RecordedImage
from python_deps.runner import Refusal, docker, last_line, oras, revision
from python_deps.sbom import bake_sboms

# The runners of each architecture's legs: GitHub-hosted, native; for the variants whose tests
# need a device (`device` in variants()), a self-hosted one with the labels actionlint is told of.
RUNNERS = {"amd64": "ubuntu-24.04", "arm64": "ubuntu-24.04-arm"}
SELF_HOSTED = {"amd64": ["self-hosted", "linux", "x64"], "arm64": ["self-hosted", "linux", "ARM64"]}
ACTIONLINT_CONFIG = ROOT / ".github" / "actionlint.yaml"
RELEASE = REPORTS / "release"
LEG_PYTEST_ARGS = "-n auto --dist worksteal -m cell"
ATTESTATION = "attestation-manifest"
# What the leg's and the merge's lines start with.
LEG, MERGE = cli.prefix("release leg"), cli.prefix("release merge")
# What imagetools inspect says of a tag or repository that is not there; anything else (a TLS
# error, an unreachable registry) is a refusal, never taken for "not released yet".
ABSENT = ("not found", "manifest unknown", "name unknown")


def device_runner(arch: str) -> list[str]:
    """The labels of a self-hosted runner with a device: its own ones, written once in
    .github/actionlint.yaml (self-hosted-runner.labels), by which actionlint checks workflows."""
    listed = re.search(r"^\s*labels:\s*\[([^\]]*)\]", ACTIONLINT_CONFIG.read_text(), re.M)
    own = [label.strip() for label in listed.group(1).split(",")] if listed else []
    return [*SELF_HOSTED[arch], *own]


@dataclass(frozen=True)
class Leg:
    cell: Cell
    platform: str
    kind: str  # "images", or "gpu": the images that need a device, on a runner with one
    targets: tuple[str, ...]  # what it builds and tests
    released: tuple[str, ...]  # the targets of those it pushes
    variants: tuple[str, ...]  # the images of its targets
    base: str  # the image its cell builds on: a hermetic base (make bases) or a release base
    base_target: str  # the bake target that makes a hermetic base, "" for a release base

    @property
    def python(self) -> str:
        return self.cell.python

    @property
    def arch(self) -> str:
        return self.platform.removeprefix("linux/")

    @property
    def name(self) -> str:
        suffix = "-gpu" if self.kind == "gpu" else ""
        return f"{self.cell}-{self.platform.replace('/', '-')}{suffix}"

    @property
    def hermetic(self) -> bool:
        return bool(self.base_target)

    def matrix_entry(self) -> dict:
        return {
            "leg": self.name,
            "cell": str(self.cell),
            "platform": self.platform,
            "kind": self.kind,
            "variants": " ".join(self.variants),
            "runner": device_runner(self.arch) if self.kind == "gpu" else RUNNERS[self.arch],
            "base": self.base,
            "base_targets": self.base_target,
            "targets": " ".join(self.targets),
        }


def hermetic_base_targets() -> dict[str, str]:
    """{Python: the bake target of its hermetic base}, as bake names them."""
    suites = {base.suite: base.python for base in declaration().hermetic_bases}
    return {
        suites[target["args"]["DEBIAN_SUITE"]]: name
        for name, target in definition(("bases",))["target"].items()
    }


def legs(groups: list[str]) -> list[Leg]:
    """The legs of these bake groups' images, cell by cell in the declaration's order."""
    targets = definition(tuple(groups))["target"]
    kinds = {kind.stage: kind for kind in declaration().variants.values()}
    by_cell: dict[Cell, dict[str, str]] = {}  # {image: target}
    bases: dict[str, str] = dict(declaration().release_bases)
    for name, target in targets.items():
        if target.get("target") in kinds:
            cell = Cell(target["args"]["SPARK_VERSION"], target["args"]["PYTHON_VERSION"])
            by_cell.setdefault(cell, {})[kinds[target["target"]].image] = name
            bases[cell.python] = target["args"]["BASE_IMAGE"] or bases.get(cell.python, "")
    base_targets = hermetic_base_targets()
    result = []
    for cell in declaration().cells():
        # In the declaration's order of the variants.
        built = {
            image: by_cell[cell][image]
            for image in declaration().variants
            if image in by_cell.get(cell, {})
        }
        if built and not bases.get(cell.python):
            raise Refusal(
                f"the Python {cell.python} cells have no base: no hermetic base, no release base"
                " in docker-bake.hcl, none in BASE_IMAGES"
            )
        of_cell = {
            "cell": cell,
            "base": bases.get(cell.python, ""),
            "base_target": base_targets.get(cell.python, ""),
        }
        plain = tuple(
            name for image, name in built.items() if not declaration().variants[image].device
        )
        for arch in declaration().architectures:
            platform = f"linux/{arch}"
            if plain:
                variants_built = tuple(image for image, name in built.items() if name in plain)
                result.append(
                    Leg(
                        **of_cell,
                        platform=platform,
                        kind="images",
                        targets=plain,
                        released=plain,
                        variants=variants_built,
                    )
                )
            for image, name in built.items():
                kind = declaration().variants[image]
                # Where RAPIDS has no wheels for a cell and architecture, it has no lock.
                if (
                    not kind.device
                    or not (lock_folder(cell, arch) / f"{kind.requirements}.txt").is_file()
                ):
                    continue
                # Built and tested with the images it is built on (those of the group), which the
                # images' leg releases.
                lineage = [p.image for p in declaration().lineage(image) if p.image in built]
                result.append(
                    Leg(
                        **of_cell,
                        platform=platform,
                        kind="gpu",
                        targets=tuple(built[parent] for parent in lineage),
                        released=(name,),
                        variants=tuple(lineage),
                    )
                )
    if not result:
        raise Refusal(f"the bake groups {' '.join(groups)} have no variant image: no leg to run")
    return result


def find_leg(groups: list[str], cell: Cell, platform: str, kind: str) -> Leg:
    offered = legs(groups)
    for leg in offered:
        if (leg.cell, leg.platform, leg.kind) == (cell, platform, kind):
            return leg
    raise Refusal(
        f"no {kind} leg {cell} {platform} in {' '.join(groups)}: cells"
        f" {', '.join(sorted({str(leg.cell) for leg in offered}))}; platforms"
        f" {', '.join(sorted({leg.platform for leg in offered}))}"
    )


# --- a leg -----------------------------------------------------------------------------------


def leg_variables(leg: Leg, release_revision: str) -> dict[str, str]:
    """The bake variables of a leg: its platform alone, under a tag of its own (its images never
    replace another build's tags), on its base."""
    bases = [pair for pair in os.environ.get("BASE_IMAGES", "").split(",") if pair]
    if not leg.hermetic and not any(pair.split("=", 1)[0] == leg.python for pair in bases):
        bases.append(f"{leg.python}={leg.base}")
    return {
        "PLATFORMS": leg.platform,
        "PLATFORM_PROFILE": "local",
        "TAG": f"leg-{leg.name}",
        "REVISION": release_revision,
        "BASE_IMAGES": ",".join(bases),
    }


def check_bases(leg: Leg, environment: dict[str, str]) -> None:
    """Its base is here or pullable (python_deps.bases), before anything is built."""
    try:
        bases.check(leg.targets, environment)
    except Refusal as refusal:
        # A hermetic base is made by its own target; an official one (3.10, 3.12) is pulled.
        made_by = f" (make bases BASE_TARGETS={leg.base_target})" if leg.base_target else ""
        raise Refusal(f"{refusal}{made_by}") from None


def tested_index(tar: Path, digest: str, platform: str) -> tuple[str, str]:
    """(platform manifest, provenance) of a saved image whose index must be the tested one, with
    one platform, the leg's, and its provenance attestation."""
    with tarfile.open(tar) as saved:
        top = json.load(saved.extractfile("index.json"))
        held = top["manifests"][0]["digest"]
        if held != digest:
            raise Refusal(f"the engine holds {held}, the tests tested {digest}")
        index = json.load(saved.extractfile(f"blobs/sha256/{digest.split(':', 1)[1]}"))
    images = [m for m in index["manifests"] if m.get("platform", {}).get("os") != "unknown"]
    found = [platform_of(m) for m in images]
    if found != [platform]:
        raise Refusal(f"the image holds {', '.join(found) or 'no platform'}, not {platform} alone")
    manifest = images[0]["digest"]
    provenance = [
        m["digest"]
        for m in index["manifests"]
        if m.get("annotations", {}).get("vnd.docker.reference.type") == ATTESTATION
        and m["annotations"].get("vnd.docker.reference.digest") == manifest
    ]
    if not provenance:
        raise Refusal(f"the image of {platform} has no provenance attestation")
    return manifest, provenance[0]


def platform_of(descriptor: dict) -> str:
    platform = descriptor.get("platform", {})
    return f"{platform.get('os', '?')}/{platform.get('architecture', '?')}"


def copy_by_digest(source: str, repository: str, registry: str, *options: str) -> None:
    """oras cp of SOURCE@DIGEST to the repository under that digest alone, no tag."""
    digest = source.rsplit("@", 1)[1]
    copied = oras("cp", *options, source, f"{repository}@{digest}", registry=registry)
    if copied.returncode != 0:
        raise Refusal(f"copying {source} to {repository} failed: {last_line(copied)}")


def stage_image(image: RecordedImage, leg: Leg, staging: str, work: Path) -> dict:
    """Push one tested image by digest to staging, from the engine's own bytes (docker save, oras
    cp: no tag anywhere), and attach its SBOM to its platform's manifest."""
    name = image.tags[0].split("/")[-1].split(":")[0]
    tar = work / f"{image.target}.tar"
    try:
        saved = docker("save", "--output", str(tar), image.tags[0])
        if saved.returncode != 0:
            raise Refusal(f"docker save {image.tags[0]} failed: {saved.stderr.strip()}")
        try:
            manifest, provenance = tested_index(tar, image.digest, leg.platform)
        except Refusal as refusal:
            raise Refusal(f"{image.tags[0]}: {refusal}; nothing of it was pushed") from None
        repository = f"{staging}{name}"
        copy_by_digest(f"{tar}@{image.digest}", repository, staging, "--from-oci-layout")
    finally:
        tar.unlink(missing_ok=True)
    subject = f"{repository}@{manifest}"
    # with_sboms() gave each image its SBOM for the leg's platform.
    referrer = attach_sbom(subject, Path(image.sboms[leg.platform]), staging)
    print(f"{LEG} {leg.name}: {repository}@{image.digest}")
    print(f"{LEG} {leg.name}:   {leg.platform} {manifest}, provenance {provenance}")
    print(f"{LEG} {leg.name}:   SBOM {repository}@{referrer}")
    return {
        "image": name,
        "target": image.target,
        "index": image.digest,
        "manifest": manifest,
        "provenance": provenance,
        "sbom": referrer,
    }


def run_leg(leg: Leg, staging: str, records: Path, pytest_args: str) -> int:
    release_revision = revision()
    if not release_revision or release_revision.endswith("-dirty"):
        raise Refusal(
            f"the tree is at {release_revision or 'no revision'}: a release is of a commit;"
            " commit or stash the changes, then run the leg again"
        )
    work = RELEASE / "work" / leg.name
    work.mkdir(parents=True, exist_ok=True)
    records.mkdir(parents=True, exist_ok=True)
    record = {
        "leg": leg.name,
        "cell": str(leg.cell),
        "platform": leg.platform,
        "kind": leg.kind,
        "revision": release_revision,
        "staging": staging,
        "result": "failed",
        "images": [],
    }
    tested, junit = work / "tested.json", work / "junit.xml"
    variables = leg_variables(leg, release_revision)
    environment = {
        # Not make test's disk watch, where a leg runs inside the suite: its phases are the run's.
        **{k: v for k, v in build_environment().items() if not k.startswith("DISK_WATCH_")},
        **variables,
        "BAKE_GROUP": " ".join(leg.targets),
    }
    try:
        check_bases(leg, environment)
        tested.unlink(missing_ok=True)
        junit.unlink(missing_ok=True)
        print(f"{LEG} {leg.name}: testing {' '.join(leg.targets)} for {leg.platform}")
        ran = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                *shlex.split(pytest_args),
                *(["--require-gpu"] if leg.kind == "gpu" else []),
                f"--junitxml={junit}",
                f"--record-tested={tested}",
            ],
            cwd=ROOT,
            env=environment,
        )
        try:
            record["tests"] = counts(junit)
        except (OSError, ElementTree.ParseError):
            record["tests"] = {}
        if ran.returncode != 0 or not tested.exists():
            tests = ", ".join(f"{n} {outcome}" for outcome, n in record["tests"].items())
            raise Refusal(
                f"its tests failed (pytest exit {ran.returncode}: {tests or 'no report'}),"
                " nothing pushed"
            )
        images = [
            image
            for image in with_sboms(Record.read(tested).images, leg, variables, work)
            if image.target in leg.released
        ]
        missing = set(leg.released) - {image.target for image in images}
        if missing:
            raise Refusal(f"the tests recorded no image of {', '.join(sorted(missing))}")
        if staging:
            record["images"] = [stage_image(image, leg, staging, work) for image in images]
        else:
            print(f"{LEG} {leg.name}: passed; no STAGING, nothing pushed")
        record["result"] = "passed"
    except Refusal as refusal:
        record.update(images=[], error=str(refusal))
        raise
    finally:
        (records / f"{leg.name}.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


def with_sboms(
    images: tuple[RecordedImage, ...], leg: Leg, variables: dict[str, str], work: Path
) -> list[RecordedImage]:
    """The tested images, each with its SBOM for the leg's platform: the one its tests checked,
    else baked now from the same build (a leg whose tests leave out test_sbom)."""
    missing = {image.target for image in images if leg.platform not in image.sboms}
    if not missing:
        return list(images)
    selected = [
        variant for variant in variants(list(leg.targets), **variables) if variant.target in missing
    ]
    baked = bake_sboms(selected, work / "sbom", {**build_environment(), **variables})
    if "error" in baked:
        raise Refusal(f"the SBOMs of the tested images: {baked['error'].splitlines()[0]}")
    return [
        replace(image, sboms=baked["files"][image.target]) if image.target in missing else image
        for image in images
    ]


# --- the merge -------------------------------------------------------------------------------


def index_at(reference: str) -> tuple[str, dict[str, str]] | None:
    """(digest, {platform: manifest}) of the index a reference names, or None where the registry
    says there is none."""
    raw = docker("buildx", "imagetools", "inspect", "--raw", reference)
    if raw.returncode != 0:
        if any(word in raw.stderr.lower() for word in ABSENT):
            return None
        raise Refusal(f"reading {reference} failed: {last_line(raw)}")
    return f"sha256:{hashlib.sha256(raw.stdout.encode()).hexdigest()}", listed(raw.stdout)


def listed(index: str) -> dict[str, str]:
    """{platform: manifest} of an index's images, its attestations left out."""
    return {
        platform_of(m): m["digest"]
        for m in json.loads(index).get("manifests", [])
        if m.get("platform", {}).get("os") != "unknown"
    }


def created(reference: str) -> str:
    """When the images of an index were created: their label, the commit's time (fixed-width
    UTC, so that strings compare as times)."""
    inspected = docker("buildx", "imagetools", "inspect", "--format", "{{json .Image}}", reference)
    if inspected.returncode != 0:
        raise Refusal(f"reading {reference} failed: {last_line(inspected)}")
    images = json.loads(inspected.stdout)
    config = images if "config" in images else next(iter(images.values()), {})
    label = (config.get("config", {}).get("Labels") or {}).get("org.opencontainers.image.created")
    if not label:
        raise Refusal(f"{reference} has no org.opencontainers.image.created label")
    return label


def moving_tags(target: str) -> list[str]:
    """The tags a cell's image moves to each release, as docker-bake.hcl names them."""
    tags = definition((target,), variables=(("REGISTRY", ""), ("TAG", "")))["target"][target][
        "tags"
    ]
    return [tag.split(":")[-1] for tag in tags]


def index_legs(repository: str, immutable: str, entries: list[dict]) -> str:
    """One index of the legs' indexes (their manifests and attestations) under the immutable
    tag, checked before it is pushed: it lists exactly the legs' tested manifests."""
    sources = [f"{repository}@{entry['index']}" for entry in entries]
    expected = {entry["platform"]: entry["manifest"] for entry in entries}
    planned = docker("buildx", "imagetools", "create", "--dry-run", *sources)
    if planned.returncode != 0:
        raise Refusal(f"indexing {repository}:{immutable} failed: {last_line(planned)}")
    if listed(planned.stdout) != expected:
        raise Refusal(
            f"the index of {repository} would list {listed(planned.stdout)}, not the legs'"
            f" {expected}: nothing tagged"
        )
    pushed = docker(
        "buildx", "imagetools", "create", "--tag", f"{repository}:{immutable}", *sources
    )
    if pushed.returncode != 0:
        raise Refusal(f"indexing {repository}:{immutable} failed: {last_line(pushed)}")
    made = index_at(f"{repository}:{immutable}")
    if not made or made[1] != expected:
        raise Refusal(f"{repository}:{immutable} lists {made and made[1]}, not {expected}")
    return made[0]


def promote(
    target: str, cell: Cell, entries: list[dict], staging: str, production: str, commit: str
) -> dict:
    """The legs' tested manifests of one image and cell as one index in production: copied by
    digest with their referrers, indexed under the immutable tag, then the moving tags."""
    name = entries[0]["image"]
    source, repository = f"{staging}{name}", f"{production}{name}"
    immutable = f"{cell}-{commit}"
    existing = index_at(f"{repository}:{immutable}")
    if existing:
        digest = existing[0]
        print(
            f"{MERGE} {repository}:{immutable} is already {digest}: released before,"
            " an immutable tag is never moved"
        )
    else:
        for entry in entries:
            # The leg's index, its manifest, provenance and SBOM referrer.
            copy_by_digest(f"{source}@{entry['index']}", repository, production, "--recursive")
            print(f"{MERGE} {repository}@{entry['index']} ({entry['platform']}) copied")
        digest = index_legs(repository, immutable, entries)
        print(f"{MERGE} {repository}:{immutable} = {digest}")
    platforms = existing[1] if existing else {e["platform"]: e["manifest"] for e in entries}
    for platform, manifest in sorted(platforms.items()):
        print(f"{MERGE}   {platform} {manifest}")
    ours = created(f"{repository}@{digest}")
    for tag in moving_tags(target):
        current = index_at(f"{repository}:{tag}")
        if current and current[0] == digest:
            continue
        if current and created(f"{repository}:{tag}") > ours:
            print(f"{MERGE} {repository}:{tag} left at {current[0]}, a later commit's")
            continue
        tagged = oras("tag", f"{repository}@{digest}", tag, registry=production)
        if tagged.returncode != 0:
            raise Refusal(f"tagging {repository}:{tag} failed: {last_line(tagged)}")
        print(f"{MERGE} {repository}:{tag} -> {digest}")
    sboms = {}
    # What production holds, which a release before this one may have put there.
    for platform, manifest in platforms.items():
        referrer = sbom_referrer(f"{repository}@{manifest}", production)
        if not referrer:
            raise Refusal(f"{repository}@{manifest} ({platform}) has no SBOM referrer")
        sboms[platform] = f"{repository}@{referrer}"
        print(f"{MERGE}   {platform} SBOM {sboms[platform]}")
    return {
        "image": name,
        "cell": str(cell),
        "reference": f"{repository}@{digest}",
        "tags": [immutable, *moving_tags(target)],
        "platforms": platforms,
        "sboms": sboms,
    }


def refusals(cell_legs: list[Leg], records: dict[str, dict], staging: str) -> list[str]:
    problems = []
    for leg in cell_legs:
        record = records.get(leg.name)
        if not record:
            problems.append(f"leg {leg.name} has no record (it did not run, or its record is lost)")
        elif record.get("result") != "passed":
            problems.append(f"leg {leg.name} failed ({record.get('error', 'no reason recorded')})")
        elif record.get("staging") != staging or {
            entry.get("target") for entry in record.get("images", [])
        } != set(leg.released):
            problems.append(f"leg {leg.name} did not push {' '.join(leg.released)} to {staging}")
    return problems


def save_sboms(promoted: dict, folder: Path) -> None:
    """The promoted SBOMs as files, for scanners (the workflow's grype)."""
    for platform, reference in promoted["sboms"].items():
        out = folder / promoted["image"] / promoted["cell"] / platform.replace("/", "_")
        out.mkdir(parents=True, exist_ok=True)
        pulled = oras("pull", "--output", str(out), reference, registry=reference)
        if pulled.returncode != 0:
            raise Refusal(f"pulling the SBOM {reference} failed: {last_line(pulled)}")


def read_records(folder: Path) -> dict[str, dict]:
    records = {}
    for path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(path.read_text())
            records[record["leg"]] = record
        except (ValueError, KeyError, TypeError):
            raise Refusal(f"{path} is not a leg's record: its leg ran an older release?") from None
    if not records:
        raise Refusal(f"no leg's record in {folder}: the legs write them (make release-leg)")
    return records


def merge(groups: list[str], records_dir: Path, staging: str, production: str) -> int:
    records = read_records(records_dir)
    revisions = {record.get("revision", "") for record in records.values()}
    if len(revisions) != 1:
        raise Refusal(
            f"the records in {records_dir} are of {len(revisions)} revisions"
            f" ({', '.join(sorted(revisions))}): a release merges the legs of one commit"
        )
    commit = revisions.pop()[:12]
    by_cell: dict[Cell, list[Leg]] = {}
    for leg in legs(groups):
        by_cell.setdefault(leg.cell, []).append(leg)
    promoted, refused = [], 0
    try:
        for cell, cell_legs in by_cell.items():
            problems = refusals(cell_legs, records, staging)
            try:
                if problems:
                    raise Refusal(f"not released, nothing tagged: {'; '.join(problems)}")
                # In the order the legs build them: the declaration's.
                images = {target: [] for leg in cell_legs for target in leg.released}
                for leg in cell_legs:
                    for entry in records[leg.name]["images"]:
                        images[entry["target"]].append({**entry, "platform": leg.platform})
                for target, entries in images.items():
                    promoted.append(promote(target, cell, entries, staging, production, commit))
            except Refusal as refusal:
                # The other cells go on: each is released whole or not at all.
                refused += 1
                print(f"{MERGE} {cell}: {refusal}", file=sys.stderr)
    finally:
        # What did ship is signed and scanned, whatever stopped the rest.
        RELEASE.mkdir(parents=True, exist_ok=True)
        (RELEASE / "promoted.json").write_text(json.dumps(promoted, indent=2) + "\n")
        for image in promoted:
            save_sboms(image, RELEASE / "sboms")
    return 1 if refused else 0


def prefix(value: str) -> str:
    return value if not value or value.endswith("/") else f"{value}/"


def command_line() -> tuple[cli.Parser, dict[str, cli.Parser]]:
    """The verb's parser and its sub-verbs' (matrix, leg, merge), with their options and help."""
    parser = cli.parser("release", __doc__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    summaries = {
        "matrix": "Print the legs, as the GitHub Actions matrix (JSON).",
        "leg": "Build, test and stage one leg, and write its record.",
        "merge": "Index, promote and tag each cell from the legs' records.",
    }
    matrix, leg, merged = (
        commands.add_parser(
            name, help=summary, description=summary, formatter_class=parser.formatter_class
        )
        for name, summary in summaries.items()
    )
    for command in (matrix, leg, merged):
        command.add_argument(
            "--group",
            default=cli.from_make("RELEASE_GROUP", "offered"),
            help="The bake groups whose cells are released, space-separated (offered).",
        )
    for command in (leg, merged):
        command.add_argument(
            "--records",
            type=Path,
            default=cli.from_make("RELEASE_RECORDS", RELEASE / "legs"),
            help="The folder of the legs' records (reports/release/legs).",
        )
        command.add_argument(
            "--staging",
            default=cli.from_make("STAGING", ""),
            help="The prefix of the staging repositories, e.g. ghcr.io/acme/staging/.",
        )
    leg.add_argument(
        "--cell",
        type=cli.one_cell,
        default=cli.from_make("CELL"),
        help="The leg's cell, e.g. spark-4.0-python-3.11.",
    )
    leg.add_argument(
        "--platform",
        default=cli.from_make("PLATFORM"),
        help="The leg's platform, e.g. linux/arm64.",
    )
    leg.add_argument(
        "--kind",
        default=cli.from_make("LEG_KIND", "images"),
        choices=["images", "gpu"],
        help="Which images the leg builds: the variants without a device, or the gpu ones.",
    )
    leg.add_argument(
        "--pytest-args",
        default=cli.from_make("LEG_PYTEST_ARGS", LEG_PYTEST_ARGS),
        help="The pytest arguments of the leg's tests.",
    )
    merged.add_argument(
        "--production",
        default=cli.from_make("REGISTRY"),
        help="The prefix of the released names, e.g. ghcr.io/acme/.",
    )
    return parser, {"matrix": matrix, "leg": leg, "merge": merged}


def main(argv: list[str] | None = None) -> int:
    parser, sub_verbs = command_line()
    options, unknown = parser.parse_known_args(argv)
    command = sub_verbs[options.command]
    if unknown:
        # Named by the sub-verb that was given them, not by release.
        command.error(f"unrecognized arguments: {' '.join(unknown)}")
    if options.command == "leg":
        if options.kind not in ("images", "gpu"):
            command.error(f"LEG_KIND={options.kind} is not a kind of leg: use images or gpu")
        cli.require(
            command,
            options,
            "make release-leg CELL=spark-4.0-python-3.11 PLATFORM=linux/arm64"
            " STAGING=ghcr.io/acme/staging/",
            cell="CELL",
            platform="PLATFORM",
        )
    if options.command == "merge":
        cli.require(
            command,
            options,
            "make release-merge STAGING=ghcr.io/acme/staging/ REGISTRY=ghcr.io/acme/",
            staging="STAGING",
            production="REGISTRY",
        )
    groups = options.group.split()
    try:
        if options.command == "matrix":
            print(json.dumps([leg.matrix_entry() for leg in legs(groups)]))
            return 0
        if options.command == "leg":
            found = find_leg(groups, options.cell, options.platform, options.kind)
            return run_leg(found, prefix(options.staging), options.records, options.pytest_args)
        return merge(groups, options.records, prefix(options.staging), prefix(options.production))
    except (Refusal, BakeError) as refusal:
        print(f"{cli.prefix(f'release {options.command}')} error: {refusal}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
