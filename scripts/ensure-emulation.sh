#!/usr/bin/env bash
# Make sure this machine runs binaries of each given platform, natively or through QEMU registered
# with binfmt_misc: a foreign platform's RUN steps and the tests of its images need it.
# Usage: ensure-emulation.sh PLATFORM...     e.g. ensure-emulation.sh linux/amd64,linux/arm64
set -euo pipefail

say() { echo "ensure-emulation: $*" >&2; }
die() { say "error: $*"; exit 1; }

# Debian architecture names, as TARGETARCH and `dpkg --print-architecture` give them.
native=$(dpkg --print-architecture 2>/dev/null || uname -m)
declare -A qemu_of=([arm64]=aarch64 [amd64]=x86_64 [ppc64el]=ppc64le [s390x]=s390x [riscv64]=riscv64)

# Whether the kernel hands binaries of this QEMU name to an interpreter: registered, enabled,
# and with F (the interpreter opened at registration) so that it works inside containers.
registered() { grep -qs '^flags: .*F' "/proc/sys/fs/binfmt_misc/qemu-$1" && grep -qsx enabled "/proc/sys/fs/binfmt_misc/qemu-$1"; }

for platform in $(tr ',' ' ' <<<"$*"); do
  arch=${platform#linux/}
  arch=${arch%%/*}
  [ "$arch" = "$native" ] && continue
  qemu=${qemu_of[$arch]:-}
  [ -n "$qemu" ] || die "no QEMU emulation known for $platform; build it on a $platform machine"
  registered "$qemu" && continue
  [ "$(id -u)" = 0 ] || die "$platform binaries cannot run here: run this script as root (sudo $0 $*) to register QEMU (or docker run --privileged --rm tonistiigi/binfmt --install $arch), or build on a $platform machine"
  "$(dirname "$0")/apt-install.sh" "emulating $platform" qemu-user-static binfmt-support
  mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  update-binfmts --enable "qemu-$qemu" >/dev/null 2>&1 || update-binfmts --enable >/dev/null 2>&1 || true
  registered "$qemu" || die "QEMU for $platform did not register with binfmt_misc (see update-binfmts --display qemu-$qemu)"
  say "emulating $platform with QEMU"
done
