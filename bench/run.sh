#!/usr/bin/env bash
# umigame benchmark: the one command (issue 5). As root, from anywhere:
#
#   bench/run.sh            # full run (~12-15 min on a 2-core machine)
#   bench/run.sh --quick    # smoke run: 64 B only, one repetition (~2-4 min)
#
# Installs what it needs (Debian packages), reserves hugepages and gives them back at exit,
# builds umigame in release mode in build-release/, then runs bench/harness.py, which writes
# bench/out/{report.txt,results.csv,control.csv,results.json,results.png}. Any other
# argument goes to the harness (bench/harness.py --help). Environment:
#   UMIGAME_SKIP_DEPS=1         do not run apt-get
#   UMIGAME_BENCH_BUILD=DIR     build directory (default build-release)
#   UMIGAME_BENCH_HUGEPAGES=N   2 MB hugepages to reserve (default 1024)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${UMIGAME_BENCH_BUILD:-build-release}"
PAGES="${UMIGAME_BENCH_HUGEPAGES:-1024}"
NR=/proc/sys/vm/nr_hugepages

if [[ $(id -u) -ne 0 ]]; then
  echo "bench/run.sh: run as root (DPDK, hugepages, apt-get)" >&2
  exit 2
fi

say() { printf '[bench] %s\n' "$*"; }

# --- packages ---
if [[ "${UMIGAME_SKIP_DEPS:-0}" != 1 ]]; then
  # The project's build dependencies (apt-get update + install; a no-op when present) ...
  say "installing packages (scripts/setup-deps.sh, then the benchmark's own)"
  if ! "$REPO/scripts/setup-deps.sh" >/tmp/umibench-deps.log 2>&1; then
    cat /tmp/umibench-deps.log >&2
    exit 1
  fi
  # ... and the benchmark's: testpmd (dpdk), the l3fwd sources (dpdk-doc), scapy, matplotlib,
  # make/gcc to build l3fwd, and perf for --profile.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends --no-upgrade \
    dpdk dpdk-doc python3-scapy python3-matplotlib make gcc linux-perf valgrind >>/tmp/umibench-deps.log 2>&1 || {
    tail -20 /tmp/umibench-deps.log >&2
    say "warning: could not install every benchmark package (see above); going on with what is there"
  }
fi

# --- hugepages: reserve now, give back what we added at exit (also on Ctrl-C) ---
# Only our own addition is taken back, so a reservation someone else made meanwhile survives.
PREV_PAGES="$(cat "$NR")"
ADDED=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "${HARNESS_PID:-}" ]] && kill -0 "$HARNESS_PID" 2>/dev/null; then
    kill -TERM "$HARNESS_PID" 2>/dev/null || true
    wait "$HARNESS_PID" 2>/dev/null || true
  fi
  # Our DPDK runtime directories (the harness removes them; this catches a killed harness).
  [[ -n "${HPID:-}" ]] && rm -rf /var/run/dpdk/umibench-"$HPID"-* /run/umigame/umibench-"$HPID"-*.lock 2>/dev/null
  true
  if [[ -n "${MOUNTED:-}" ]]; then umount /dev/hugepages 2>/dev/null || true; fi
  if ((ADDED > 0)); then
    local now
    now="$(cat "$NR")"
    echo $((now > ADDED ? now - ADDED : 0)) >"$NR" 2>/dev/null || true
  fi
  say "hugepages: $(cat "$NR") reserved now ($PREV_PAGES before the run, $ADDED added by it)"
  exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted (SIGINT)"; exit 130' INT
trap 'say "terminated (SIGTERM)"; exit 143' TERM
if ((PREV_PAGES < PAGES)); then
  echo "$PAGES" >"$NR" || true
  ADDED=$(($(cat "$NR") - PREV_PAGES))
  ((ADDED >= 0)) || ADDED=0
fi
if ! mountpoint -q /dev/hugepages; then
  mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages && MOUNTED=1 || true
fi
say "hugepages: $(awk '/HugePages_Free/ {print $2}' /proc/meminfo) free of $(cat "$NR") (2 MB)"

# --- release build in its own tree ---
cd "$REPO"
if [[ ! -f "$BUILD/build.ninja" ]]; then
  say "meson setup $BUILD --buildtype=release"
  meson setup "$BUILD" --buildtype=release -Dtests=false >/dev/null
fi
say "building ($BUILD)"
ninja -C "$BUILD" >/dev/null

# --- the harness (its own cleanup stops every process it started) ---
UMIGAME_BENCH_BUILD="$BUILD" /usr/bin/python3 "$REPO/bench/harness.py" "$@" &
HARNESS_PID=$!
HPID=$HARNESS_PID
set +e
wait "$HARNESS_PID"
rc=$?
set -e
HARNESS_PID=
exit "$rc"
