"""Push exactly the images the last green test run tested, by digest, to a registry.

`make test` records in reports/tested.json the digest of every image it tested (the image index,
all platforms and the provenance attestation in it) and the source revision. This pushes each of
those indexes under every tag it was tested with, below REGISTRY, and checks that the registry
holds the tested digest. Nothing is built. It refuses, before pushing anything, when no green run
is recorded, when the run tested another revision, or when a local tag no longer points at the
digest tested (an image rebuilt since).

A push is all or nothing per tag: the registry names the index only after every blob and
manifest under it arrived, so a push cut off midway leaves no tag at a partial image; the local
alias made for the push is removed again. Running again finishes it.

Each platform's image then gets its SBOM, the one the green run tested (make test records it), as
an OCI referrer of its manifest (`oras attach`, artifact type application/vnd.cyclonedx+json):
`oras discover REGISTRY/NAME@DIGEST` finds it, on a registry with the referrers API or one with
only the tag scheme that oras falls back to. An SBOM already attached is not attached again, so
a run cut off after the image's push finishes the attachments when run again.

REGISTRY is the prefix of the pushed names, e.g. ghcr.io/acme/.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from python_deps import REPORTS, ROOT, cli
from python_deps.record import Record, RecordedImage
from python_deps.runner import Refusal, docker, last_line, oras, registry_host, revision

# A push that has not finished by then has stalled (a registry that takes the connection and
# never answers leaves docker push waiting for ever): it is stopped and reported as broken off.
PUSH_TIMEOUT_SECONDS = int(os.environ.get("PUBLISH_PUSH_TIMEOUT", "3600"))
SBOM_TYPE = "application/vnd.cyclonedx+json"


def local_digest(image: str) -> str | None:
    inspected = docker("image", "inspect", "--format={{.Id}}", image)
    return inspected.stdout.strip() if inspected.returncode == 0 else None


def explain_push_failure(registry: str, output: str) -> str:
    host = registry_host(registry)
    last = next(
        (line.strip() for line in reversed(output.splitlines()) if line.strip()), "no output"
    )
    # Matched on the words alone: the quoted URLs of docker's errors carry upload tokens and
    # digests in which "401" or "denied" can occur by chance.
    words = re.sub(r'"[^"]*"', "", output)
    if re.search(
        r"\bunauthorized\b|authentication required|\bdenied\b|\bforbidden\b|\b40[13]\b", words, re.I
    ):
        return (
            f"{host} refused the credentials ({last}): docker login {host} with an account"
            f" that may push to {registry}, then run again"
        )
    if re.search(
        r"connection refused|no such host|i/o timeout|dial tcp|connection reset"
        r"|closed network connection|EOF|server misbehaving|TLS handshake",
        words,
        re.I,
    ):
        return (
            f"the push to {host} broke off ({last}): no tag there points at a partial image;"
            f" once {host} answers, run again to finish"
        )
    return f"the push to {host} failed ({last})"


def check_reachable(registry: str) -> None:
    """One request to the registry's API root: any HTTP answer (401 included) means it is up."""
    host = registry_host(registry)
    probe = subprocess.run(
        ["docker", "buildx", "imagetools", "inspect", f"{registry}publish-probe:none"],
        capture_output=True,
        text=True,
    )
    if re.search(
        r"connection refused|no such host|i/o timeout|dial tcp|server misbehaving"
        r"|network is unreachable",
        probe.stderr,
        re.I,
    ):
        raise Refusal(
            f"cannot reach the registry {host} ({probe.stderr.strip().splitlines()[-1]}):"
            f" check REGISTRY={registry} and that it is up; nothing was pushed"
        )


def planned_pushes(tested: Record, registry: str) -> list[tuple[str, str, RecordedImage]]:
    """(local tag, remote tag, tested image) for every tag tested; refuses if any no longer
    matches."""
    if not tested.revision:
        raise Refusal(
            "the test run recorded no revision (run make test in a git checkout):"
            " nothing was pushed"
        )
    if tested.revision != revision():
        raise Refusal(
            f"the tests ran on revision {tested.revision}, the tree is at {revision()}:"
            " run make test again, then publish; nothing was pushed"
        )
    pushes = []
    for image in tested.images:
        missing = [path for path in image.sboms.values() if not (ROOT / path).is_file()]
        if not image.sboms or missing:
            raise Refusal(
                f"the test run recorded no SBOM for {image.target}"
                f" ({', '.join(missing) or 'none recorded'}):"
                " run make test again, then publish; nothing was pushed"
            )
        for tag in image.tags:
            have = local_digest(tag)
            if have != image.digest:
                raise Refusal(
                    f"{tag} is {have or 'not on this engine'}, the tests tested {image.digest}:"
                    " run make test again, then publish; nothing was pushed"
                )
            pushes.append((tag, f"{registry}{tag.split('/')[-1]}", image))
    return pushes


def pushed_digest(remote: str) -> str:
    raw = docker("buildx", "imagetools", "inspect", "--raw", remote)
    return (
        f"sha256:{hashlib.sha256(raw.stdout.encode()).hexdigest()}" if raw.returncode == 0 else ""
    )


def push(local: str, remote: str, digest: str, registry: str) -> None:
    """Push one tested index under one tag; a failed push leaves no local alias behind it."""
    previous = local_digest(remote)
    docker("tag", local, remote)
    try:
        pushed = docker("push", "--quiet", remote, timeout=PUSH_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        pushed = subprocess.CompletedProcess(
            [],
            1,
            "",
            f"i/o timeout: no answer within {PUSH_TIMEOUT_SECONDS} s (PUBLISH_PUSH_TIMEOUT)",
        )
    if pushed.returncode != 0:
        if previous:
            docker("tag", previous, remote)
        else:
            docker("image", "rm", remote)
        raise Refusal(explain_push_failure(registry, pushed.stdout + pushed.stderr))
    held = pushed_digest(remote)
    if held != digest:
        raise Refusal(
            f"{remote} holds {held or 'nothing readable'} after the push, not the tested {digest}:"
            " the engine rewrote the image on push (is the containerd image store on?)"
        )
    print(f"{cli.prefix('publish')} {remote}@{digest}")


def sbom_referrer(subject: str, registry: str) -> str | None:
    """The digest of the CycloneDX SBOM a manifest has as its referrer, or None."""
    found = oras(
        "discover", "--format", "json", "--artifact-type", SBOM_TYPE, subject, registry=registry
    )
    referrers = json.loads(found.stdout).get("referrers") if found.returncode == 0 else None
    return referrers[0]["digest"] if referrers else None


def attach_sbom(subject: str, sbom: Path, registry: str) -> str:
    """The digest of the subject's SBOM referrer: the one it has, else this SBOM, attached now (a
    run cut off between a push and its attachments finishes them when run again)."""
    found = sbom_referrer(subject, registry)
    if found:
        return found
    attached = oras(
        "attach",
        "--format",
        "json",
        "--artifact-type",
        SBOM_TYPE,
        subject,
        f"{sbom.name}:{SBOM_TYPE}",
        registry=registry,
        cwd=sbom.parent,
    )
    if attached.returncode != 0:
        raise Refusal(f"attaching the SBOM to {subject} failed ({last_line(attached)})")
    return json.loads(attached.stdout)["digest"]


def attach_sboms(remote: str, image: RecordedImage, registry: str) -> None:
    """Each platform manifest of the pushed index gets its tested SBOM as a referrer, unless it
    has one already."""
    raw = docker("buildx", "imagetools", "inspect", "--raw", remote).stdout
    index = json.loads(raw)
    if "manifests" not in index:  # one platform's manifest, not an index
        config = json.loads(
            docker("buildx", "imagetools", "inspect", "--format={{json .Image}}", remote).stdout
        )
        index = {
            "manifests": [
                {"digest": f"sha256:{hashlib.sha256(raw.encode()).hexdigest()}", "platform": config}
            ]
        }
    repository = remote.rsplit(":", 1)[0]
    for entry in index["manifests"]:
        platform = f"{entry['platform']['os']}/{entry['platform']['architecture']}"
        if platform == "unknown/unknown":
            continue  # a provenance attestation's manifest
        if platform not in image.sboms:
            raise Refusal(
                f"the test run recorded no SBOM of {remote} for {platform}:"
                " run make test again, then publish"
            )
        subject = f"{repository}@{entry['digest']}"
        try:
            attach_sbom(subject, ROOT / image.sboms[platform], registry)
        except Refusal as refusal:
            raise Refusal(
                f"{refusal}: the image {remote} ({platform}) is pushed; run again to attach it"
            ) from None
        print(f"{cli.prefix('publish')} {subject} has the SBOM {image.sboms[platform]}")


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("publish", __doc__)
    parser.add_argument(
        "registry",
        nargs="?",
        default=cli.from_make("REGISTRY"),
        help="The prefix of the pushed names, with its trailing slash: ghcr.io/acme/ (REGISTRY).",
    )
    parser.add_argument(
        "--tested",
        type=Path,
        default=REPORTS / "tested.json",
        help="The record of a green test run (make test writes it to reports/tested.json).",
    )
    options = parser.parse_args(argv)
    cli.require(parser, options, "make publish REGISTRY=ghcr.io/acme/", registry="REGISTRY")
    registry = options.registry if options.registry.endswith("/") else f"{options.registry}/"
    try:
        if not options.tested.exists():
            raise Refusal(
                f"no green test run is recorded ({options.tested}):"
                " run make test, then publish; nothing was pushed"
            )
        try:
            tested = Record.read(options.tested)
        except ValueError as error:
            raise Refusal(
                f"{error}: run make test again, then publish; nothing was pushed"
            ) from None
        pushes = planned_pushes(tested, registry)
        if not shutil.which("oras"):
            raise Refusal(
                "oras, which attaches the SBOMs, is not on PATH: run scripts/ensure-oras.sh"
                " (make publish does), then publish; nothing was pushed"
            )
        check_reachable(registry)
        attached = set()
        for local, remote, image in pushes:
            push(local, remote, image.digest, registry)
            # Referrers point at the manifests, which every tag of an image shares: once per image.
            if image.digest not in attached:
                attach_sboms(remote, image, registry)
                attached.add(image.digest)
    except Refusal as refusal:
        print(f"{cli.prefix('publish')} error: {refusal}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
