#!/usr/bin/env bash
# The one door through which the project installs Debian packages, those not yet installed. Runs
# queue under one lock: make's jobs run it in parallel, and apt's own locks refuse, not wait.
# Usage: apt-install.sh PURPOSE PACKAGE...   e.g. apt-install.sh "the test registry" docker-registry
set -euo pipefail

purpose=$1
shift
# Held across update and install: a flock on apt's own folder, which every user can open (the
# caller may be a user with sudo) and apt never locks this way (its locks are fcntl's).
LOCK=/var/lib/apt

missing_packages() {
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || echo "$package"
  done
}

mapfile -t missing < <(missing_packages "$@")
[ ${#missing[@]} -eq 0 ] && exit 0

say() { echo "apt-install: $*" >&2; }
command -v apt-get >/dev/null || { say "error: $purpose needs ${missing[*]}, and this is not a Debian machine: install them and run again"; exit 1; }
sudo=()
if [ "$(id -u)" != 0 ]; then
  sudo -n true 2>/dev/null || { say "error: $purpose needs ${missing[*]}: install them (sudo apt-get install ${missing[*]}) and run again"; exit 1; }
  sudo=(sudo -n)
fi

exec {lock_fd}<"$LOCK"
flock "$lock_fd"
# Another run may have installed them while this one waited.
mapfile -t missing < <(missing_packages "${missing[@]}")
[ ${#missing[@]} -eq 0 ] && exit 0
say "installing for $purpose: ${missing[*]}"
# Someone else's apt (unattended-upgrades on a CI runner) holds dpkg's lock a while: wait for it.
apt_options=(-qq -o DPkg::Lock::Timeout=600)
"${sudo[@]}" apt-get "${apt_options[@]}" update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_options[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
