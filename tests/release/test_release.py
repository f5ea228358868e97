"""The release, fanned out, on one machine: the code the workflow's legs and merge job run
(python -m python_deps release, as make release-leg and make release-merge call it), against a
registry on loopback holding a staging and production repositories. Two legs of the default
cell, linux/amd64 natively and linux/arm64 with its installs cross-built and its checks under
QEMU; their tests are the release checks (marker release): the cell's other tests run on the
same builds in the rest of this suite."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from python_deps import ROOT
from python_deps.declaration import declaration
from python_deps.publish import SBOM_TYPE, oras
from python_deps.testing.registry import Registry
from tests.utils.harness import default_variant

# A clean commit's revision: a leg refuses a tree with changes ("-dirty").
REVISION = "0123456789abcdef0123456789abcdef01234567"
# The default cell's images, as bake groups.
GROUPS = "python-deps python-deps-iceberg"
LEG_TESTS = "-p no:cacheprovider -q -m release"
CELL = str(declaration().default_cell)
PLATFORMS = [f"linux/{arch}" for arch in declaration().architectures]
LOG = ROOT / "reports" / "release-test.log"

pytestmark = pytest.mark.slow


def release_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "python_deps", "release", *arguments]


def release(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        release_command(*arguments),
        env={**os.environ, "REVISION": REVISION, **environment},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    with LOG.open("a") as log:
        log.write(f"$ release {' '.join(arguments)}  -> exit {result.returncode}\n")
        log.write(result.stdout + result.stderr + "\n")
    return result


def leg(platform: str, staging: str, records: Path, tests: str = LEG_TESTS, **environment):
    return release(
        "leg",
        "--cell",
        CELL,
        "--platform",
        platform,
        "--group",
        GROUPS,
        "--staging",
        staging,
        "--records",
        str(records),
        "--pytest-args",
        tests,
        **environment,
    )


def merge_arguments(staging: str, production: str, records: Path) -> list[str]:
    return ["merge", "--group", GROUPS, "--staging", staging, "--production", production,
            "--records", str(records)]  # fmt: skip


def merge(staging: str, production: str, records: Path) -> subprocess.CompletedProcess:
    return release(*merge_arguments(staging, production, records))


def leg_name(platform: str) -> str:
    return f"{CELL}-{platform.replace('/', '-')}"


def records_of(folder: Path) -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text()) for path in folder.glob("*.json")}


def state(registry: Registry, namespace: str, images: list[str]) -> dict[str, dict[str, str]]:
    """{repository: {tag: digest}} of the images under a namespace."""
    return {
        image: {
            tag: registry.manifest(f"{namespace}{image}", tag)[0]
            for tag in registry.tags(f"{namespace}{image}")
        }
        for image in images
    }


def expected_tags() -> list[str]:
    """The immutable tag, the moving one, and latest (the default cell)."""
    return [f"{CELL}-{REVISION[:12]}", CELL, "latest"]


def test_the_default_cell_is_released_from_two_legs(tmp_path):
    """One test, so that one xdist worker runs the legs once; each check is a function below."""
    built = default_variant().platforms
    if set(built) != set(PLATFORMS):
        pytest.skip(
            f"this run builds the default cell for {', '.join(built)} alone (PLATFORM_PROFILE="
            f"{os.environ.get('PLATFORM_PROFILE', 'local')}): a release needs a leg on each of"
            f" {', '.join(PLATFORMS)}; make test's own profile, test, builds both"
        )
    LOG.unlink(missing_ok=True)
    registry = Registry(tmp_path / "registry").start()
    staging = f"{registry.address}/staging/"
    records = tmp_path / "records"
    try:
        for platform in PLATFORMS:
            result = leg(platform, staging, records)
            assert result.returncode == 0, f"the {platform} leg failed:\n{result.stderr[-3000:]}"
        legs = records_of(records)
        images = sorted({entry["image"] for record in legs.values() for entry in record["images"]})
        check_the_legs_pushed_what_they_tested(legs, registry)

        released = merge(staging, f"{registry.address}/prod/", records)
        assert released.returncode == 0, released.stderr
        check_the_indexes_list_the_legs_digests(registry, "prod/", legs)
        check_provenance_and_sboms(registry, "prod/", legs)

        check_a_second_release_is_a_no_op(registry, staging, records, images)
        check_the_immutable_tag_is_never_moved(registry, staging, records, tmp_path, images)
        check_a_failed_leg_releases_nothing_of_its_cell(registry, staging, records, tmp_path)
        check_a_rerun_finishes_an_interrupted_promotion(registry, staging, records, images)
    finally:
        registry.stop()
        leg_images = subprocess.run(
            [
                "docker",
                "image",
                "ls",
                "--format",
                "{{.Repository}}:{{.Tag}}",
                "--filter",
                f"reference=*:leg-{CELL}-*",
            ],
            capture_output=True,
            text=True,
        ).stdout.split()
        if leg_images:
            subprocess.run(["docker", "image", "rm", *leg_images], capture_output=True)


def check_the_legs_pushed_what_they_tested(legs: dict[str, dict], registry: Registry) -> None:
    """Each leg staged, by digest and under no tag, the index its tests tested (the engine's
    image under the leg's own tag), with one platform, the leg's."""
    for platform in PLATFORMS:
        record = legs[leg_name(platform)]
        assert record["result"] == "passed" and record["platform"] == platform, record
        assert {entry["image"] for entry in record["images"]} == {
            f"spark-k8s-{image}" for image in GROUPS.split()
        }
        for entry in record["images"]:
            local = f"{entry['image']}:leg-{leg_name(platform)}"
            tested = subprocess.run(
                ["docker", "image", "inspect", "--format", "{{.Id}}", local],
                capture_output=True,
                text=True,
            ).stdout.strip()
            assert entry["index"] == tested, f"{local}: staged {entry['index']}, tested {tested}"
            digest, index = registry.manifest(f"staging/{entry['image']}", entry["index"])
            assert digest == entry["index"]
            platforms = [
                f"{m['platform']['os']}/{m['platform']['architecture']}"
                for m in index["manifests"]
                if m["platform"]["os"] != "unknown"
            ]
            assert platforms == [platform], f"{entry['image']} staged with {platforms}"
            tags = registry.tags(f"staging/{entry['image']}")
            assert all(tag.startswith("sha256-") for tag in tags), (
                f"staging/{entry['image']} has tags {tags}: a leg pushes by digest only (the"
                " sha256- tags are oras's referrers index, where the registry has no referrers API)"
            )


def check_the_indexes_list_the_legs_digests(
    registry: Registry, namespace: str, legs: dict[str, dict]
) -> None:
    by_image: dict[str, dict[str, str]] = {}
    for record in legs.values():
        for entry in record["images"]:
            by_image.setdefault(entry["image"], {})[record["platform"]] = entry["manifest"]
    for image, tested in by_image.items():
        repository = f"{namespace}{image}"
        digests = {tag: registry.manifest(repository, tag)[0] for tag in expected_tags()}
        assert len(set(digests.values())) == 1, f"{repository}: the tags differ: {digests}"
        _, index = registry.manifest(repository, expected_tags()[0])
        listed = {
            f"{m['platform']['os']}/{m['platform']['architecture']}": m["digest"]
            for m in index["manifests"]
            if m["platform"]["os"] != "unknown"
        }
        assert listed == tested, f"{repository}: lists {listed}, the legs tested {tested}"


def check_provenance_and_sboms(registry: Registry, namespace: str, legs: dict[str, dict]) -> None:
    """Each platform's manifest has its provenance attestation in the index and its tested SBOM
    as its one CycloneDX referrer, in the production repository."""
    for record in legs.values():
        for entry in record["images"]:
            repository = f"{namespace}{entry['image']}"
            _, index = registry.manifest(repository, expected_tags()[0])
            attestations = [
                m["digest"]
                for m in index["manifests"]
                if m.get("annotations", {}).get("vnd.docker.reference.digest") == entry["manifest"]
            ]
            assert attestations == [entry["provenance"]], f"{repository}: {attestations}"
            _, attestation = registry.manifest(repository, entry["provenance"])
            predicates = [
                layer.get("annotations", {}).get("in-toto.io/predicate-type", "")
                for layer in attestation["layers"]
            ]
            assert any("slsa.dev/provenance" in p for p in predicates), predicates
            found = oras(
                "discover",
                "--format",
                "json",
                "--artifact-type",
                SBOM_TYPE,
                f"{registry.address}/{repository}@{entry['manifest']}",
                registry=registry.address,
            )
            referrers = [r["digest"] for r in json.loads(found.stdout).get("referrers") or []]
            assert referrers == [entry["sbom"]], f"{repository}@{entry['manifest']}: {referrers}"


def check_a_second_release_is_a_no_op(registry, staging, records, images) -> None:
    before, blobs = state(registry, "prod/", images), registry.blobs()
    again = merge(staging, f"{registry.address}/prod/", records)
    assert again.returncode == 0, again.stderr
    assert "copied" not in again.stdout and "->" not in again.stdout, again.stdout
    assert state(registry, "prod/", images) == before
    assert registry.blobs() == blobs, "a second release of the commit pushed something"


def check_the_immutable_tag_is_never_moved(registry, staging, records, tmp_path, images) -> None:
    """A rebuild of the same commit whose images differ (here: another source label) is
    released again: no tag of the commit moves."""
    rebuilt = tmp_path / "rebuilt"
    rebuilt.mkdir()
    other = leg_name(PLATFORMS[1])
    (rebuilt / f"{other}.json").write_text((records / f"{other}.json").read_text())
    result = leg(PLATFORMS[0], staging, rebuilt, SOURCE_URL="https://example.invalid/rebuilt")
    assert result.returncode == 0, result.stderr[-3000:]
    moved = records_of(rebuilt)[leg_name(PLATFORMS[0])]["images"]
    assert {entry["index"] for entry in moved}.isdisjoint(
        entry["index"] for entry in records_of(records)[leg_name(PLATFORMS[0])]["images"]
    ), "the rebuild gave the same images: nothing to refuse to move"
    before = state(registry, "prod/", images)
    again = merge(staging, f"{registry.address}/prod/", rebuilt)
    assert again.returncode == 0, again.stderr
    assert "an immutable tag is never moved" in again.stdout, again.stdout
    assert state(registry, "prod/", images) == before


def check_a_failed_leg_releases_nothing_of_its_cell(registry, staging, records, tmp_path) -> None:
    """The arm64 leg, made to fail by a test that fails (the harness's options loaded as a
    plugin: the file is outside tests/), pushes nothing; the merge of its record with the green
    amd64 one releases nothing of the cell, in one line naming the leg."""
    failing = tmp_path / "failing"
    failing.mkdir()
    (failing / "test_failure.py").write_text(
        "def test_fails_on_purpose():\n    assert False, 'a leg made to fail'\n"
    )
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    green = leg_name(PLATFORMS[0])
    (mixed / f"{green}.json").write_text((records / f"{green}.json").read_text())
    failed = leg(PLATFORMS[1], staging, mixed, f"-p no:cacheprovider -p conftest {failing}")
    assert failed.returncode != 0 and "its tests failed" in failed.stderr, failed.stderr
    record = records_of(mixed)[leg_name(PLATFORMS[1])]
    assert record["result"] == "failed" and record["images"] == [], record
    assert record["tests"]["failed"] == 1, record
    assert "@sha256:" not in failed.stdout, f"the failed leg pushed: {failed.stdout}"

    production = f"{registry.address}/prod-failed/"
    refused = merge(staging, production, mixed)
    lines = refused.stderr.strip().splitlines()
    assert refused.returncode == 1 and len(lines) == 1, refused.stderr
    assert lines[0].startswith(
        f"python-deps release merge: {CELL}: not released, nothing tagged: leg "
    )
    assert f"leg {leg_name(PLATFORMS[1])} failed" in lines[0], lines[0]
    catalog = json.loads(registry.get("_catalog")[0])["repositories"]
    assert not [name for name in catalog if name.startswith("prod-failed/")], catalog


def check_a_rerun_finishes_an_interrupted_promotion(registry, staging, records, images) -> None:
    """A merge killed after its first copy leaves the production repository partial; the next
    run finishes it, to the same tags and digests as an uninterrupted one."""
    production = f"{registry.address}/prod-interrupted/"
    interrupted = subprocess.Popen(
        release_command(*merge_arguments(staging, production, records)),
        env={**os.environ, "REVISION": REVISION, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    first = interrupted.stdout.readline()
    interrupted.send_signal(signal.SIGKILL)
    interrupted.communicate()
    with LOG.open("a") as log:
        log.write(f"$ release merge ... (killed after its first line)\n{first}\n")
    assert "copied" in first, f"the merge's first step was: {first!r}"
    partial = state(registry, "prod-interrupted/", images)
    assert partial != state(registry, "prod/", images), "the merge finished before it was killed"

    finished = merge(staging, production, records)
    assert finished.returncode == 0, finished.stderr
    assert state(registry, "prod-interrupted/", images) == state(registry, "prod/", images)
