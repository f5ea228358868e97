"""The images in a registry: the variants built for several platforms, pushed by `python -m
python_deps publish` (what make publish runs) to a registry on loopback as one index per tag with
every platform built, then pulled back by a second engine that holds none of their blobs. The
digests are the same at every step, the foreign platform's pulled image runs, each platform's
image carries its tested SBOM as a referrer that oras finds, and the layers variants share are
stored once."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from python_deps.bake import bake_group
from python_deps.matrix import MACHINES, parent_of, variants
from python_deps.sbom import keep_sboms
from python_deps.testing.engine import SecondEngine
from python_deps.testing.registry import Registry
from tests.utils.containers import platform_manifest
from tests.utils.publishing import publish, record_tested

NAMESPACE = "spark-k8s/"


def test_the_images_round_trip_through_a_registry(variant_images, sbom_files, tmp_path):
    """One test, so that one xdist worker pushes the images once (an image set is gigabytes); each
    check below is a function of its own."""
    built = {variant.target: variant for variant in variants(bake_group())}
    tested = keep_sboms(round_trip_images(variant_images, built), sbom_files, tmp_path / "sboms")
    with (
        Registry(tmp_path / "registry") as registry,
        SecondEngine(tmp_path / "second-engine") as second_engine,
    ):
        try:
            result = publish(f"{registry.address}/{NAMESPACE}", record_tested(tmp_path, tested))
            assert result.returncode == 0, f"publish failed: {result.stderr}"
            published = [
                {**image, "repository": NAMESPACE + image["tags"][0].split("/")[-1].split(":")[0]}
                for image in tested
            ]
            check_each_tag_names_the_tested_index_with_every_platform_built(
                published, built, registry
            )
            check_each_platform_carries_its_tested_sbom(published, registry, tmp_path)
            check_an_engine_without_their_blobs_pulls_back_the_digests_pushed(
                published, built, registry, second_engine
            )
            check_the_pulled_foreign_platform_image_runs(published, built, registry, second_engine)
            check_layers_the_variants_share_are_stored_once(published, built, registry)
        finally:
            # The aliases docker push needed, which would keep the images after the suite.
            aliases = subprocess.run(
                [
                    "docker",
                    "image",
                    "ls",
                    "--format",
                    "{{.Repository}}:{{.Tag}}",
                    f"{registry.address}/*/*",
                ],
                capture_output=True,
                text=True,
            )
            subprocess.run(["docker", "image", "rm", *aliases.stdout.split()], capture_output=True)


def round_trip_images(variant_images: list[dict], built: dict) -> list[dict]:
    """The images pushed: those built for several platforms (make test builds the default cell's
    python-deps and iceberg so), else the default cell's but the gpu one. Every other image would
    only take the same code path again, at gigabytes each on the test's disk."""
    several = [image for image in variant_images if len(built[image["target"]].platforms) > 1]
    default_cell = [
        image
        for image in variant_images
        if any(tag.endswith(":latest") for tag in image["tags"])
        and not built[image["target"]].kind.device
    ]
    return several or default_cell


def platform_manifests(index: dict) -> dict[str, str]:
    """{platform: manifest digest} of an index, attestation manifests left out."""
    return {
        f"{entry['platform']['os']}/{entry['platform']['architecture']}": entry["digest"]
        for entry in index["manifests"]
        if entry["platform"]["os"] != "unknown"
    }


def check_each_tag_names_the_tested_index_with_every_platform_built(published, built, registry):
    for image in published:
        variant = built[image["target"]]
        for tag in image["tags"]:
            digest, index = registry.manifest(image["repository"], tag.split(":")[-1])
            assert digest == image["digest"], (
                f"{tag}: the registry holds {digest}, the tests tested {image['digest']}"
            )
            manifests = platform_manifests(index)
            assert sorted(manifests) == sorted(variant.platforms), (
                f"{tag}: platforms {sorted(manifests)}"
            )
            for platform, manifest in manifests.items():
                assert manifest == platform_manifest(tag, platform), (
                    f"{tag} {platform}: pushed {manifest}, not the image tested"
                )
        attestations = [
            entry for entry in index["manifests"] if entry["platform"]["os"] == "unknown"
        ]
        assert len(attestations) == len(variant.platforms), (
            f"{image['target']}: no provenance attestation per platform: {index}"
        )


def sbom_referrers(registry, image: dict, manifest: str) -> list[dict]:
    """The CycloneDX referrers of a manifest, as `oras discover` finds them."""
    subject = f"{registry.address}/{image['repository']}@{manifest}"
    found = subprocess.run(
        [
            "oras",
            "discover",
            "--plain-http",
            "--format",
            "json",
            "--artifact-type",
            "application/vnd.cyclonedx+json",
            subject,
        ],
        capture_output=True,
        text=True,
    )
    assert found.returncode == 0, f"oras discover {subject}: {found.stderr}"
    return json.loads(found.stdout)["referrers"]


def check_each_platform_carries_its_tested_sbom(published, registry, folder: Path):
    """Every platform's manifest has one SBOM referrer, once however many tags name the image,
    and oras pulls back the SBOM the tests checked."""
    for image in published:
        _, index = registry.manifest(image["repository"], image["digest"])
        for platform, manifest in platform_manifests(index).items():
            referrers = sbom_referrers(registry, image, manifest)
            assert len(referrers) == 1, (
                f"{image['target']} {platform}: {len(referrers)} SBOM referrers"
            )
            pulled = folder / "pulled-sboms" / image["target"] / platform.replace("/", "_")
            subprocess.run(
                [
                    "oras",
                    "pull",
                    "--plain-http",
                    "--output",
                    str(pulled),
                    referrers[0]["reference"],
                ],
                check=True,
                capture_output=True,
            )
            assert (pulled / "sbom.cdx.json").read_bytes() == Path(
                image["sboms"][platform]
            ).read_bytes(), f"{image['target']} {platform}: another SBOM"


def check_an_engine_without_their_blobs_pulls_back_the_digests_pushed(
    published, built, registry, second_engine
):
    """The cold pull: a second engine with an empty store pulls each platform of the images built
    for several (the others would only repeat it, at gigabytes each), and gets the index and
    per-platform digests that were pushed and tested."""
    for image in (image for image in published if len(built[image["target"]].platforms) > 1):
        remote = f"{registry.address}/{image['repository']}:{image['tags'][0].split(':')[-1]}"
        _, index = registry.manifest(image["repository"], image["digest"])
        for platform, manifest in platform_manifests(index).items():
            second_engine.docker("pull", "--quiet", f"--platform={platform}", remote)
            assert platform_manifest(remote, platform, second_engine.env()) == manifest, (
                f"{remote} {platform}: pulled another manifest"
            )
        pulled = second_engine.docker("image", "inspect", "--format={{.Id}}", remote).stdout.strip()
        assert pulled == image["digest"], (
            f"{remote}: pulled index {pulled}, pushed {image['digest']}"
        )


def check_the_pulled_foreign_platform_image_runs(published, built, registry, second_engine):
    """The arm64 image pulled back runs, under emulation, NumPy's compiled code. Its manifest is
    the one tested (above), on which tests/test_imports.py imports every distribution: here, once
    more, would cost minutes of emulation to prove nothing new."""
    foreign = [
        image
        for image in published
        if built[image["target"]].stage == "base-deps" and built[image["target"]].foreign_platforms
    ]
    if not foreign:
        return  # built for the engine's platform only: tests/test_imports.py says so
    image = foreign[0]
    variant = built[image["target"]]
    remote = f"{registry.address}/{image['repository']}:{image['tags'][0].split(':')[-1]}"
    for platform in variant.foreign_platforms:
        second_engine.docker("pull", "--quiet", f"--platform={platform}", remote)
        ran = second_engine.docker(
            "run",
            "--rm",
            "--network=none",
            f"--platform={platform}",
            remote,
            "python3",
            "-c",
            "import platform, numpy; print(platform.machine(), int(numpy.arange(10).sum()))",
            check=False,
        )
        assert ran.returncode == 0, f"{remote} on {platform}: {ran.stderr}"
        assert ran.stdout.split() == [MACHINES[platform], "45"], (
            f"{remote} on {platform}: {ran.stdout}"
        )


def check_layers_the_variants_share_are_stored_once(published, built, registry):
    """A variant's image is its parent's layers plus its own, byte for byte, on every platform;
    the registry stores every blob the pushed indexes and their SBOMs reference once, and nothing
    else."""
    referenced, layer_uses, distinct_layers = set(), 0, set()
    layers = {}
    for image in published:
        referenced.add(image["digest"])
        _, index = registry.manifest(image["repository"], image["digest"])
        for entry in index["manifests"]:
            referenced.add(entry["digest"])
            _, manifest = registry.manifest(image["repository"], entry["digest"])
            referenced.add(manifest["config"]["digest"])
            referenced.update(layer["digest"] for layer in manifest["layers"])
            # An SBOM referrer: its manifest, empty config and document, and the index under the
            # tag sha256-DIGEST that oras keeps where the registry has no referrers API.
            for referrer in (
                sbom_referrers(registry, image, entry["digest"])
                if entry["platform"]["os"] != "unknown"
                else []
            ):
                referenced.add(referrer["digest"])
                _, artifact = registry.manifest(image["repository"], referrer["digest"])
                referenced.add(artifact["config"]["digest"])
                referenced.update(layer["digest"] for layer in artifact["layers"])
                if entry["digest"].replace(":", "-") in registry.tags(image["repository"]):
                    referenced.add(
                        registry.manifest(image["repository"], entry["digest"].replace(":", "-"))[0]
                    )
            distinct_layers.update(layer["digest"] for layer in manifest["layers"])
            layer_uses += len(manifest["layers"])
            if entry["platform"]["os"] != "unknown":
                layers[image["target"], f"linux/{entry['platform']['architecture']}"] = [
                    layer["digest"] for layer in manifest["layers"]
                ]
    for (target, platform), own in layers.items():
        variant = built[target]
        parent = parent_of(variant, list(built.values()))
        parent_target = parent.target if parent else None
        if (parent_target, platform) in layers:
            below = layers[parent_target, platform]
            assert own[: len(below)] == below, (
                f"{target} {platform} does not share the layers of {parent_target}"
            )
    stored = registry.blobs()
    assert stored == referenced, (
        f"stored {len(stored)} blobs, the indexes reference {len(referenced)}:"
        f" extra {stored - referenced}, missing {referenced - stored}"
    )
    assert len(distinct_layers) < layer_uses, (
        f"{layer_uses} layer uses, {len(distinct_layers)} distinct layers: nothing shared"
    )
    print(
        f"registry: {len(stored)} blobs, {len(distinct_layers)} distinct layers"
        f" for {layer_uses} layer uses"
    )
