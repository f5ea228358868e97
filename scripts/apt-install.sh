#!/usr/bin/env bash
# Install the Debian packages given that are not installed yet, from the system's apt sources.
# Usage: apt-install.sh PURPOSE PACKAGE...     e.g. apt-install.sh "the test registry" docker-registry skopeo
set -euo pipefail

purpose=$1
shift
missing=()
for package in "$@"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

say() { echo "apt-install: $*" >&2; }
command -v apt-get >/dev/null || { say "error: $purpose needs ${missing[*]}, and this is not a Debian machine: install them and run again"; exit 1; }
sudo=()
if [ "$(id -u)" != 0 ]; then
  sudo -n true 2>/dev/null || { say "error: $purpose needs ${missing[*]}: install them (sudo apt-get install ${missing[*]}) and run again"; exit 1; }
  sudo=(sudo -n)
fi
say "installing for $purpose: ${missing[*]}"
"${sudo[@]}" apt-get -qq update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends "${missing[@]}" >/dev/null
