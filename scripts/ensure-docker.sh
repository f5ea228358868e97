#!/usr/bin/env bash
# Make sure a Docker engine with BuildKit and the buildx plugin answers on this machine. On Debian
# without one, it installs one beside the system: bookworm's docker.io is too old for named contexts
# and RUN --mount, so newer suites' packages go under ENGINE_DIR. Safe to run again.
set -euo pipefail

ENGINE_DIR=${ENGINE_DIR:-/opt/python-deps-engine}
ROOT="$ENGINE_DIR/root"
LOG="$ENGINE_DIR/dockerd.log"
NEW_PACKAGES=(docker.io/sid docker-buildx/sid containerd/trixie)
# The rest of what dockerd needs is in bookworm itself.
SYSTEM_PACKAGES=(runc iptables tini ca-certificates)

say() { echo "ensure-docker: $*" >&2; }
die() { say "error: $*"; exit 1; }

engine_ready() { docker info >/dev/null 2>&1 && docker buildx version >/dev/null 2>&1; }

if engine_ready; then
  say "engine ready: $(docker version --format 'dockerd {{.Server.Version}}'), $(docker buildx version)"
  exit 0
fi

if ! { [ -r /etc/debian_version ] && command -v apt-get >/dev/null; }; then
  die "no Docker engine answers and this is not a Debian machine; install Docker Engine >= 23 with the buildx plugin (https://docs.docker.com/engine/install/) and run again"
fi
[ "$(id -u)" = 0 ] || die "no Docker engine answers; run this script as root (sudo $0) to install and start one"

install_engine() {
  say "installing dockerd, containerd and buildx under $ENGINE_DIR"
  "$(dirname "$0")/debian-fetch.sh" "$ENGINE_DIR/apt" "$ROOT" "${NEW_PACKAGES[@]}"
}

link_buildx_plugin() {
  # The docker client already on PATH looks for CLI plugins here.
  mkdir -p /usr/local/lib/docker/cli-plugins
  ln -sf "$ROOT/usr/libexec/docker/cli-plugins/docker-buildx" /usr/local/lib/docker/cli-plugins/docker-buildx
}

start_dockerd() {
  # The containerd image store lets BuildKit export cache to a local directory or a registry,
  # which the classic store cannot. The GPU stage's rebuilds leave a large build cache: bound it.
  cat >"$ENGINE_DIR/daemon.json" <<'JSON'
{
  "features": { "containerd-snapshotter": true },
  "builder": { "gc": { "enabled": true, "defaultKeepStorage": "40GB" } }
}
JSON
  say "starting dockerd (log: $LOG)"
  PATH="$ROOT/usr/sbin:$ROOT/usr/bin:$PATH" setsid dockerd --config-file "$ENGINE_DIR/daemon.json" \
    >"$LOG" 2>&1 </dev/null &
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && return
    sleep 1
  done
  tail -n 20 "$LOG" >&2
  die "dockerd did not answer within 60 s; its log is $LOG"
}

[ -x "$ROOT/usr/sbin/dockerd" ] || install_engine
"$(dirname "$0")/apt-install.sh" "the Docker engine" "${SYSTEM_PACKAGES[@]}"
link_buildx_plugin
pgrep -x dockerd >/dev/null || start_dockerd
for _ in $(seq 30); do engine_ready && break; sleep 1; done
engine_ready || die "the engine under $ENGINE_DIR does not answer; its log is $LOG"
say "engine ready: $(docker version --format 'dockerd {{.Server.Version}}'), $(docker buildx version)"
