#!/usr/bin/env bash
# Write the root filesystem of a hermetic base image, for machines that cannot pull one: a Debian
# suite (minbase) with Debian's Python, as the official images are made; a foreign ARCH needs QEMU.
# Usage: debian-rootfs.sh SUITE ARCH OUTPUT.tar, or --install-tools alone (before parallel jobs)
set -euo pipefail

# mmdebstrap, and arch-test, which it needs for a foreign architecture (a Recommends of it that
# a fresh machine lacks: "E: install arch-test for foreign architecture support").
"$(dirname "$0")/apt-install.sh" "the hermetic bases' root filesystems" mmdebstrap arch-test
[ "${1:-}" = --install-tools ] && exit 0

usage="usage: $0 SUITE ARCH OUTPUT.tar"
suite=${1:?$usage}
arch=${2:?$usage}
out=${3:?$usage}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

say() { echo "debian-rootfs: $*" >&2; }

# Written beside the target and renamed when whole: an interrupted run leaves no tarball that
# looks made, and its leftover goes at the next run (or at once, on an error or a signal).
partial=$out.partial
rm -f "$partial"
trap 'rm -f "$partial"' EXIT

# Pinning the clock (to bookworm's release, for every suite) makes two runs on the same archive
# state give the same tarball byte for byte. docker-bake.hcl gives the base images this time too.
export SOURCE_DATE_EPOCH=1686355200  # 2023-06-10
# Testing, unstable and backports sign their Release files briefly (Valid-Until), so a frozen mirror
# is refused as expired; the option stays in the rootfs's apt configuration, for apt-get in images
# built on it. Stable suites carry no Valid-Until: their tarballs do not change.
valid_until=()
case "$suite" in
  bookworm | trixie | oldstable | stable) ;;
  *) valid_until=(--aptopt='Acquire::Check-Valid-Until "false"') ;;
esac
# Under emulation this is the longest step of make build, while the native images build beside it
# with time to spare: it goes first for the CPU (root may raise a priority; others keep theirs).
priority=()
[ "$arch" = "$(dpkg --print-architecture)" ] || priority=(nice -n -10)
say "building $suite $arch rootfs with python3 into $out"
# shellcheck disable=SC2016 # the hook's "$1" (the rootfs being written) is for mmdebstrap's shell to expand
"${priority[@]}" mmdebstrap --quiet --format=tar --variant=minbase --architectures="$arch" --include=python3,python3-venv,ca-certificates \
  --aptopt='Acquire::Languages "none"' "${valid_until[@]}" \
  --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
  "$suite" "$partial" "$mirror"
mv "$partial" "$out"
