#!/usr/bin/env bash
# Ready a GitHub-hosted runner for make test, as root: room for TEST_DISK_GB (unused toolchains go,
# only there, as elsewhere they may be someone's; the engine's data moves to a larger /mnt), and the
# containerd image store that a registry build cache and multi-platform images need.
set -euo pipefail

say() { echo "prepare-runner: $*" >&2; }
free_gb() { df --output=avail -B1G "$1" | tail -n 1 | tr -d ' '; }

[ "$(id -u)" = 0 ] || { say "error: run as root (sudo $0)"; exit 1; }
[ "${RUNNER_ENVIRONMENT:-}" = github-hosted ] ||
  { say "error: this is not a GitHub-hosted runner (RUNNER_ENVIRONMENT=${RUNNER_ENVIRONMENT:-unset}): it deletes its toolchains; on your own machine, free space your way"; exit 1; }
say "before: $(free_gb /) GB free on /$(mountpoint -q /mnt && echo ", $(free_gb /mnt) GB on /mnt")"

TOOLCHAINS=(
  /usr/local/lib/android /usr/share/dotnet /opt/ghc /usr/local/.ghcup /opt/hostedtoolcache/CodeQL
  /usr/share/swift /usr/local/julia* /usr/local/share/powershell /usr/local/share/chromium /opt/microsoft
)
rm -rf "${TOOLCHAINS[@]}"
docker system prune --all --force >/dev/null

systemctl stop docker.socket docker.service containerd.service
if mountpoint -q /mnt && [ "$(stat -c %d /mnt)" != "$(stat -c %d /)" ] && [ "$(free_gb /mnt)" -gt "$(free_gb /)" ]; then
  for root in /var/lib/docker /var/lib/containerd; do
    moved=/mnt/engine${root}
    mkdir -p "$moved" "$root"
    cp -a "$root/." "$moved/"
    rm -rf "${root:?}"/*
    mount --bind "$moved" "$root"
  done
  mkdir -p /mnt/tmp && chmod 1777 /mnt/tmp
  # The tests' registry and second engine (pytest's temporary folders) go there too.
  [ -z "${GITHUB_ENV:-}" ] || echo "TMPDIR=/mnt/tmp" >>"$GITHUB_ENV"
  say "the engine's data and TMPDIR are on /mnt"
else
  say "the engine's data stays on /: /mnt is not a larger filesystem of its own"
fi

config=/etc/docker/daemon.json
mkdir -p "$(dirname "$config")"
[ -s "$config" ] || echo '{}' >"$config"
jq '.features["containerd-snapshotter"] = true' "$config" >"$config.new"
mv "$config.new" "$config"
systemctl start containerd.service docker.service
docker info --format '{{json .DriverStatus}}' | grep -q 'io.containerd.snapshotter' ||
  { say "error: the engine still uses the classic image store; see $config"; exit 1; }
say "after: $(free_gb /) GB free on /$(mountpoint -q /mnt && echo ", $(free_gb /mnt) GB on /mnt"); engine data in $(docker info --format '{{.DockerRootDir}}')"
