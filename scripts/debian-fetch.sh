#!/usr/bin/env bash
# Fetch packages of Debian suites newer than the machine's (docker.io/sid) with an apt state of
# their own and unpack them under DEST: the system's apt sources and dpkg database stay untouched.
# Usage: debian-fetch.sh STATE_DIR DEST PACKAGE...
set -euo pipefail

state=$1 dest=$2
shift 2
mkdir -p "$state/lists/partial" "$state/debs"
printf 'deb http://deb.debian.org/debian %s main\n' trixie sid >"$state/sources.list"
apt_private=(-o "Dir::State::Lists=$state/lists" -o "Dir::Etc::SourceList=$state/sources.list"
  -o Dir::Etc::SourceParts=/dev/null -o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root)
apt-get "${apt_private[@]}" -qq update
rm -f "$state/debs"/*.deb
(cd "$state/debs" && apt-get "${apt_private[@]}" -qq download "$@")
rm -rf "$dest.new" && mkdir -p "$dest.new"
for deb in "$state/debs"/*.deb; do dpkg -x "$deb" "$dest.new"; done
rm -rf "$dest" && mv "$dest.new" "$dest"
