#!/usr/bin/env bash
# Quick start: install what is missing, build, and run umigamed on the default topology.
#
#   sudo ./scripts/demo.sh          start the demo in the foreground; Ctrl-C stops it and
#                                   removes everything it made
#   sudo ./scripts/demo.sh --down   remove what an interrupted demo left behind
#
# Topology (documentation prefixes only):
#
#   umi-h1 [eth0] <--veth--> [de0] umi-r [de1] <--veth--> [eth0] umi-h2
#   2001:db8:1::1/64    2001:db8:1::ff/64    2001:db8:2::ff/64    2001:db8:2::1/64
#
# umigamed runs inside the namespace umi-r and owns de0 and de1 through DPDK net_af_packet
# vdevs (the EAL gets --no-pci; hugepages are used when present, --no-huge otherwise). The
# kernel of umi-r keeps out of the way (disable_ipv6=1, no addresses); umi-h1 and umi-h2 are
# ordinary Linux hosts. The router's addresses come from a KAME-style rc.net6.
#
# Environment: UMIGAME_SKIP_DEPS=1 skips scripts/setup-deps.sh; UMIGAME_BUILD_DIR picks the
# build directory (default: build).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${UMIGAME_BUILD_DIR:-build}
[[ ${builddir} == /* ]] || builddir=${repo}/${builddir}
umigamed=${builddir}/tools/umigamed/umigamed
kame=${builddir}/tools/kame

ns_r=umi-r
ns_h1=umi-h1
ns_h2=umi-h2
all_ns=("${ns_r}" "${ns_h1}" "${ns_h2}")
file_prefix=umigame-demo
tmp_pattern=umigame-demo.
ready_timeout=60 # seconds for umigamed to print "umigamed: ready"
stop_timeout=15  # seconds between SIGTERM and SIGKILL

log() { printf 'demo: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

# Poll until the process is gone; SIGKILL after the deadline. $1 = pid.
wait_gone() {
  local pid=$1 deadline=$((SECONDS + stop_timeout))
  while kill -0 "${pid}" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "pid ${pid} ignored SIGTERM for ${stop_timeout}s; sending SIGKILL"
      kill -KILL "${pid}" 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
}

# --down: remove whatever an earlier demo left behind (only things with the demo's names).
down() {
  local ns pid
  if ip netns list | awk '{print $1}' | grep -qx "${ns_r}"; then
    for pid in $(ip netns pids "${ns_r}" 2>/dev/null); do
      log "stopping pid ${pid} ($(tr '\0' ' ' </proc/"${pid}"/cmdline 2>/dev/null | cut -c1-60)) in ${ns_r}"
      kill -TERM "${pid}" 2>/dev/null || true
      wait_gone "${pid}"
    done
  fi
  for ns in "${all_ns[@]}"; do
    if ip netns list | awk '{print $1}' | grep -qx "${ns}"; then
      ip netns del "${ns}" && log "deleted namespace ${ns} (and its veths)"
    fi
  done
  rm -rf -- "/var/run/dpdk/${file_prefix}"
  find /tmp -maxdepth 1 -type d -name "${tmp_pattern}*" -exec rm -rf -- {} + 2>/dev/null || true
  log "nothing of the demo is left"
}

case ${1:-} in
  --down)
    [[ ${EUID} -eq 0 ]] || die "must run as root (sudo $0 --down)"
    down
    exit 0
    ;;
  -h | --help)
    usage
    exit 0
    ;;
  "") ;;
  *)
    usage >&2
    exit 2
    ;;
esac

[[ ${EUID} -eq 0 ]] || die "must run as root: it installs packages and creates network namespaces (sudo $0)"

if [[ ${UMIGAME_SKIP_DEPS:-0} == 1 ]]; then
  log "UMIGAME_SKIP_DEPS=1: not running scripts/setup-deps.sh"
else
  bash "${repo}/scripts/setup-deps.sh"
fi
UMIGAME_BUILD_DIR=${builddir} bash "${repo}/scripts/build.sh"
[[ -x ${umigamed} ]] || die "${umigamed} was not built"
[[ -x ${kame}/ifconfig ]] || die "${kame}/ifconfig was not built"

for ns in "${all_ns[@]}"; do
  if ip netns list | awk '{print $1}' | grep -qx "${ns}"; then
    die "namespace ${ns} already exists (an earlier demo still running or interrupted?); run: sudo $0 --down"
  fi
done

# ---------------------------------------------------------------------------------------------
# From here on, everything made is recorded and removed by cleanup() on any exit.
created_ns=()
tmpdir=
daemon_pid=

# shellcheck disable=SC2317  # invoked through the EXIT trap
cleanup() {
  local rc=$? ns
  trap - EXIT INT TERM
  set +e
  if [[ -n ${daemon_pid} ]] && kill -0 "${daemon_pid}" 2>/dev/null; then
    log "stopping umigamed (pid ${daemon_pid})"
    kill -TERM "${daemon_pid}" 2>/dev/null
    wait_gone "${daemon_pid}"
    wait "${daemon_pid}" 2>/dev/null
  fi
  for ((i = ${#created_ns[@]} - 1; i >= 0; i--)); do
    ns=${created_ns[i]}
    ip netns del "${ns}" 2>/dev/null && log "deleted namespace ${ns} (and its veths)"
  done
  rm -rf -- "/var/run/dpdk/${file_prefix}"
  [[ -n ${tmpdir} ]] && rm -rf -- "${tmpdir}" && log "removed ${tmpdir}"
  exit "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tmpdir=$(mktemp -d "/tmp/${tmp_pattern}XXXXXX")
chmod 0755 "${tmpdir}"
socket=${tmpdir}/umigamed.sock
config=${tmpdir}/umigamed.toml
startup=${tmpdir}/rc.net6
daemon_log=${tmpdir}/umigamed.log

for ns in "${all_ns[@]}"; do
  ip netns add "${ns}"
  created_ns+=("${ns}")
  ip -n "${ns}" link set lo up
done

# Router side: the kernel of umi-r must not speak on the DPDK-owned veths.
ip link add de0 netns "${ns_r}" type veth peer name eth0 netns "${ns_h1}"
ip link add de1 netns "${ns_r}" type veth peer name eth0 netns "${ns_h2}"
ip netns exec "${ns_r}" sysctl -qw net.ipv6.conf.de0.disable_ipv6=1 net.ipv6.conf.de1.disable_ipv6=1
ip -n "${ns_r}" addr flush dev de0
ip -n "${ns_r}" addr flush dev de1
ip -n "${ns_r}" link set de0 up
ip -n "${ns_r}" link set de1 up

# Linux hosts: checksum offload and TSO/GSO off so DPDK sees finished, MTU-sized frames.
host_setup() { # ns addr gateway
  ip netns exec "$1" ethtool -K eth0 tx off tso off gso off >/dev/null
  ip -n "$1" addr add "$2" dev eth0 nodad
  ip -n "$1" link set eth0 up
  ip -n "$1" -6 route add default via "$3" dev eth0
}
host_setup "${ns_h1}" 2001:db8:1::1/64 2001:db8:1::ff
host_setup "${ns_h2}" 2001:db8:2::1/64 2001:db8:2::ff

cat >"${startup}" <<'RC'
# rc.net6 for the umigame demo: KAME commands run by umigamed once its socket is up.
ifconfig de0 up
ifconfig de0 inet6 2001:db8:1::ff prefixlen 64 alias
ifconfig de1 up
ifconfig de1 inet6 2001:db8:2::ff prefixlen 64 alias
RC

cat >"${config}" <<TOML
# umigamed configuration written by scripts/demo.sh (see config/umigamed.toml.example)
[daemon]
socket = "${socket}"
file_prefix = "${file_prefix}"
hugepages = "auto"
memory_mb = 512
workers = 1
idle = "adaptive"
hostname = "r1.example.test"
startup = "${startup}"
log_level = "info"

[[port]]
name = "de0"
vdev = "net_af_packet0,iface=de0"
queues = 1

[[port]]
name = "de1"
vdev = "net_af_packet1,iface=de1"
queues = 1
TOML

log "starting umigamed in namespace ${ns_r} (config ${config})"
: >"${daemon_log}"
ip netns exec "${ns_r}" "${umigamed}" --config "${config}" 2> >(tee -a "${daemon_log}" >&2) &
daemon_pid=$!

deadline=$((SECONDS + ready_timeout))
until grep -q 'umigamed: ready' "${daemon_log}"; do
  if ! kill -0 "${daemon_pid}" 2>/dev/null; then
    wait "${daemon_pid}" && rc=0 || rc=$?
    daemon_pid=
    die "umigamed exited with status ${rc} before it was ready (its messages are above)"
  fi
  ((SECONDS < deadline)) || die "umigamed was not ready after ${ready_timeout}s"
  sleep 0.1
done

# rc.net6 runs after the socket is up, and every address then runs DAD (about a second):
# wait until both addresses exist and none is tentative, so the commands below work at once.
addresses_ready() {
  local out
  out=$(ip netns exec "${ns_r}" env UMIGAME_SOCKET="${socket}" "${kame}/ifconfig" -a 2>/dev/null || true)
  [[ ${out} == *"2001:db8:1::ff "* && ${out} == *"2001:db8:2::ff "* && ${out} != *tentative* ]]
}
deadline=$((SECONDS + 20))
until addresses_ready; do
  kill -0 "${daemon_pid}" 2>/dev/null || die "umigamed exited during start-up (its messages are above)"
  if ((SECONDS >= deadline)); then
    log "note: the rc.net6 addresses are not all configured and past DAD yet; check ifconfig -a"
    break
  fi
  sleep 0.2
done

tools="ip netns exec ${ns_r} env UMIGAME_SOCKET=${socket} ${kame}"
cat <<EOF

umigame demo is up: umigamed (pid ${daemon_pid}) runs in namespace ${ns_r}.

  umi-h1 [eth0] 2001:db8:1::1 <--> de0 2001:db8:1::ff  umigamed  2001:db8:2::ff de1 <--> 2001:db8:2::1 [eth0] umi-h2

In another terminal, as root, drive it with the KAME tools:

  ${tools}/ifconfig -a
  ${tools}/ndp -a
  ${tools}/ping6 -c 3 2001:db8:1::1
  ${tools}/netstat -s -p icmp6

and reach it from the Linux hosts:

  ip netns exec ${ns_h1} ping -c 3 2001:db8:1::ff
  ip netns exec ${ns_h2} ping -c 3 2001:db8:2::ff
  ip netns exec ${ns_h1} ip -6 neigh

Config ${config}, startup script ${startup}.
Press Ctrl-C to stop umigamed; that deletes ${ns_r}, ${ns_h1}, ${ns_h2}, their veths and ${tmpdir}.

EOF

set +e
wait "${daemon_pid}"
rc=$?
set -e
daemon_pid=
log "umigamed exited with status ${rc}"
exit "${rc}"
