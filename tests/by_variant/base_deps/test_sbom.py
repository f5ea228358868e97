"""Each image's SBOM (`make sbom`) says what is in the image: every Python distribution installed,
at its version, with the hashes its locks pin; the Debian packages of its base; and it is a valid
CycloneDX 1.6 document. One per platform: a foreign platform's is checked against its locks."""

import json

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from python_deps.declaration import declaration
from python_deps.sbom import debian_components, lock_hashes, python_components
from tests.utils.containers import installed_versions


def test_sbom_lists_every_python_distribution_installed(image, sbom):
    components = python_components(sbom())
    assert {
        name: component["version"] for name, component in components.items()
    } == installed_versions(image)


def test_sbom_carries_each_locked_distribution_with_the_locks_hashes(variant, sbom):
    for platform in variant.platforms:
        components = python_components(sbom(platform))
        for kind in declaration().lineage(variant.name):
            lock = variant.lock_folder(platform.removeprefix("linux/")) / f"{kind.requirements}.txt"
            for name, (version, hashes) in lock_hashes(lock).items():
                assert name in components, (
                    f"{platform}: {name}=={version} ({lock.name}) is not in the SBOM"
                )
                assert components[name]["version"] == version, f"{platform}: {name}"
                assert {
                    entry["content"] for entry in components[name].get("hashes", [])
                } == hashes, f"{platform}: {name}'s hashes differ from {lock.name}'s"


def test_sbom_lists_the_debian_packages_of_the_base(run, sbom):
    listing = run(
        "dpkg-query", "--show", "--showformat=${db:Status-Status} ${Package} ${Version}\\n"
    )
    installed = {
        package: version
        for status, package, version in (line.split(" ") for line in listing.splitlines())
        if status == "installed"
    }
    assert debian_components(sbom()) == installed


def test_sbom_is_valid_cyclonedx_naming_the_image(variant, sbom):
    document = sbom()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(document)) is None
    assert document["metadata"]["component"]["name"].endswith(variant.name)
    assert document["metadata"]["component"]["version"] == str(variant.cell)
