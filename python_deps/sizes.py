"""What an image is made of, layer by layer, read by streaming `docker image save`: the files
each layer writes or deletes, its compressed and uncompressed bytes, and the instruction that
made it. Works with any engine and buildx driver, and needs no disk.

Used by the layer tests, and on its own as the size report (`make sizes`, `python-deps sizes`),
of the images named or by default those of BAKE_GROUP (ci unless set).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import zstandard

from python_deps import cli
from python_deps.bake import bake_group
from python_deps.matrix import variants
from python_deps.runner import engine_arch

# Files whose content is hashed while listing, to find a CA bundle that leaked into a layer.
CERTIFICATE = re.compile(r"\.(pem|crt|cer)$")
SITE_PACKAGES = re.compile(r"/site-packages/([^/]+)")
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


@dataclass
class Layer:
    digest: str
    compressed: int
    instruction: str
    files: dict[str, int]  # path: bytes; a deletion (whiteout) is the deleted path with -1
    certificates: dict[str, str]  # path: sha256, for CERTIFICATE files

    @property
    def size(self) -> int:
        return sum(size for size in self.files.values() if size > 0)

    def largest_entries(self, count: int = 5) -> list[tuple[str, int]]:
        """The site-packages entries (packages, their .dist-info) that weigh most in this layer."""
        totals: dict[str, int] = {}
        for path, size in self.files.items():
            match = SITE_PACKAGES.search("/" + path)
            if match and size > 0:
                totals[match.group(1)] = totals.get(match.group(1), 0) + size
        return sorted(totals.items(), key=lambda item: -item[1])[:count]


def read_layers(image: str) -> list[Layer]:
    """The layers of an image's variant for the engine's platform, bottom first (a
    multi-platform image saved whole would have every platform's layers read)."""
    save = subprocess.Popen(
        ["docker", "image", "save", f"--platform=linux/{engine_arch()}", image],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    listings, small_blobs, manifest = {}, {}, None
    try:
        archive = tarfile.open(fileobj=save.stdout, mode="r|")
    except tarfile.ReadError:
        save.wait()
        raise RuntimeError(
            f"`docker image save {image}` failed: {save.stderr.read().decode().strip()}"
        ) from None
    with archive:
        for member in archive:
            if member.name == "manifest.json":
                manifest = json.load(archive.extractfile(member))
            elif member.isfile() and member.name.startswith("blobs/"):
                blob = archive.extractfile(member)
                if (
                    member.size < 1 << 20
                ):  # configs and manifests are JSON; keep them, they are small
                    small_blobs[member.name] = blob.read()
                    blob = io.BytesIO(small_blobs[member.name])
                try:
                    files, certificates = list_tar(blob)
                except tarfile.ReadError:
                    continue  # not a layer
                listings[member.name] = (member.size, files, certificates)
    if save.wait() != 0 or manifest is None:
        raise RuntimeError(f"`docker image save {image}` failed (exit {save.returncode})")
    config = json.loads(small_blobs[manifest[0]["Config"]])
    instructions = [
        short(entry.get("created_by", ""))
        for entry in config["history"]
        if not entry.get("empty_layer")
    ]
    layers = []
    # Not strict: the config's history is optional (OCI image spec) and some tools write it
    # incomplete, so it may name fewer non-empty steps than there are layers; pair what pairs.
    for name, instruction in zip(manifest[0]["Layers"], instructions, strict=False):
        compressed, files, certificates = listings[name]
        layers.append(Layer(name.rsplit("/", 1)[-1], compressed, instruction, files, certificates))
    return layers


class Prefixed(io.RawIOBase):
    """A stream whose first bytes were read already, to look at them: those bytes, then the rest."""

    def __init__(self, head: bytes, rest):
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.head:
            data, self.head = self.head[: len(buffer)], self.head[len(buffer) :]
        else:
            data = self.rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def layer_tar(blob):
    """A layer blob as a tar stream: tarfile reads gzip itself, zstandard reads zstd."""
    head = blob.read(len(ZSTD_MAGIC))
    stream = io.BufferedReader(Prefixed(head, blob))
    return (
        zstandard.ZstdDecompressor().stream_reader(stream, read_across_frames=True)
        if head == ZSTD_MAGIC
        else stream
    )


def list_tar(blob) -> tuple[dict[str, int], dict[str, str]]:
    files, certificates = {}, {}
    with tarfile.open(fileobj=layer_tar(blob), mode="r|*") as layer:
        for entry in layer:
            if entry.isdir():
                continue
            name = entry.name.replace(".wh.", "")
            files[name] = -1 if ".wh." in entry.name else entry.size
            if entry.isfile() and CERTIFICATE.search(name):
                certificates[name] = hashlib.sha256(layer.extractfile(entry).read()).hexdigest()
    return files, certificates


def short(created_by: str) -> str:
    """The Dockerfile instruction, without BuildKit's build-arg prefix and shell wrapper."""
    # The build args' values may hold spaces (LOCKS): the command starts after the shell.
    text = re.sub(r"^RUN \|\d+ .*?/bin/sh -c ", "RUN ", created_by)
    return re.sub(r"/bin/sh -c |\s*# buildkit$", "", text).strip()


def report(images: list[str]) -> list[dict]:
    return [
        {
            "image": image,
            "layers": [
                {
                    "digest": layer.digest,
                    "bytes": layer.size,
                    "compressed_bytes": layer.compressed,
                    "instruction": layer.instruction,
                    "largest_site_packages_entries": dict(layer.largest_entries()),
                }
                for layer in read_layers(image)
            ],
        }
        for image in images
    ]


def main(argv: list[str] | None = None) -> None:
    parser = cli.parser("sizes", __doc__)
    parser.add_argument("--json", metavar="FILE", help="Also write the report as JSON to FILE.")
    parser.add_argument(
        "images",
        nargs="*",
        metavar="IMAGE",
        help="An image to report (default: the images of the bake group BAKE_GROUP, ci).",
    )
    args = parser.parse_args(argv)
    try:
        result = report(args.images or [variant.image for variant in variants(bake_group())])
    except RuntimeError as error:
        cli.fail("sizes", " ".join(str(error).split()))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))
    for image in result:
        print(f"\n{image['image']}")
        print(f"  {'MB':>8} {'MB comp':>8}  instruction / largest site-packages entries (MB)")
        for layer in image["layers"]:
            print(
                f"  {layer['bytes'] / 1e6:8.1f} {layer['compressed_bytes'] / 1e6:8.1f}"
                f"  {layer['instruction'][:90]}"
            )
            entries = ", ".join(
                f"{name} {size / 1e6:.0f}"
                for name, size in layer["largest_site_packages_entries"].items()
            )
            if entries:
                print(f"  {'':8} {'':8}    {entries}")


if __name__ == "__main__":
    main()
