#!/usr/bin/env bash
# Install every Debian 12 package umigame needs to build, run and test.
#
# Idempotent: it always runs `apt-get update` and `apt-get install` (a no-op for packages that
# are already installed), so CI and fresh machines take the same path. Run as root.
set -euo pipefail

packages=(
  # build
  g++ meson ninja-build pkg-config
  libdpdk-dev dpdk dpdk-dev
  libssl-dev libboost1.81-dev libboost-json1.81-dev
  libtomlplusplus-dev libsystemd-dev libpcap-dev
  catch2 clang-format
  # run and test (integration tests use the Linux kernel in namespaces as the peer)
  systemd iproute2 iputils-ping ndisc6 ethtool tshark radvd
  python3-pytest python3-scapy
)

log() { printf 'setup-deps: %s\n' "$*" >&2; }

if [[ ${EUID} -ne 0 ]]; then
  log "must run as root (it installs Debian packages); try: sudo $0"
  exit 1
fi

missing() {
  local p status out=()
  for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ ${status} == installed ]] || out+=("$p")
  done
  printf '%s\n' "${out[@]}"
}

export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer "no" without a prompt.
echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections

log "apt-get update"
if ! apt-get update -q; then
  log "warning: apt-get update failed; trying to install from the cached package lists"
fi

log "apt-get install ${#packages[@]} packages (--no-upgrade: a no-op for those already installed)"
if ! apt-get install -y -q --no-install-recommends --no-upgrade "${packages[@]}"; then
  still_missing=$(missing)
  if [[ -n ${still_missing} ]]; then
    log "error: could not install: ${still_missing//$'\n'/ }"
    exit 1
  fi
  log "warning: apt-get install failed, but every required package is already installed"
fi

still_missing=$(missing)
if [[ -n ${still_missing} ]]; then
  log "error: still missing after install: ${still_missing//$'\n'/ }"
  exit 1
fi
log "all ${#packages[@]} packages present"
