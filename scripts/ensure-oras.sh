#!/usr/bin/env bash
# Make sure `oras` is on PATH: make publish attaches each image's SBOM to it with `oras attach`.
# On Debian without it, a newer suite's package is fetched beside the system (debian-fetch.sh)
# and linked into /usr/local/bin. Safe to run again.
set -euo pipefail

TOOLS_DIR=${TOOLS_DIR:-/opt/python-deps-tools}
say() { echo "ensure-oras: $*" >&2; }

command -v oras >/dev/null && exit 0
if ! { [ -r /etc/debian_version ] && command -v apt-get >/dev/null; }; then
  say "error: oras is not installed and this is not a Debian machine: install it (https://oras.land/docs/installation) and run again"
  exit 1
fi
sudo=()
if [ "$(id -u)" != 0 ]; then
  sudo -n true 2>/dev/null || { say "error: oras is not installed: install it, or run this script as root (sudo $0), and run again"; exit 1; }
  sudo=(sudo -n)
fi
say "installing oras under $TOOLS_DIR"
"${sudo[@]}" "$(dirname "$0")/debian-fetch.sh" "$TOOLS_DIR/apt" "$TOOLS_DIR/oras" oras
"${sudo[@]}" ln -sf "$TOOLS_DIR/oras/usr/bin/oras" /usr/local/bin/oras
say "$(oras version | head -n 1)"
