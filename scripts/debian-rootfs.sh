#!/usr/bin/env bash
# Write the root filesystem of the hermetic base image: Debian bookworm (minbase) with Debian's
# Python, the way the official debian images are made, for machines that cannot pull an image.
# Usage: debian-rootfs.sh OUTPUT.tar
set -euo pipefail

out=${1:?usage: $0 OUTPUT.tar}
suite=${DEBIAN_SUITE:-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

say() { echo "debian-rootfs: $*" >&2; }

if ! command -v mmdebstrap >/dev/null; then
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null ||
    { say "error: mmdebstrap is missing; install it (apt-get install mmdebstrap) and run again"; exit 1; }
  say "installing mmdebstrap"
  apt-get -qq update && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y mmdebstrap >/dev/null
fi

# Pinning the clock to the suite's release makes two runs on the same archive state give the
# same tarball byte for byte.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date -d 2023-06-10 +%s)}
say "building $suite rootfs with python3 into $out"
mmdebstrap --quiet --format=tar --variant=minbase --include=python3,python3-venv,ca-certificates \
  --aptopt='Acquire::Languages "none"' \
  --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
  "$suite" "$out.partial" "$mirror"
mv "$out.partial" "$out"
