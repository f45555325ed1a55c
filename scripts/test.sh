#!/usr/bin/env bash
# Quick start, second command (and what .ci/run executes): install what is missing, build,
# run every test, and end with exactly one line "N passed, N failed".
#
#   unit tests         meson test (Catch2 executables); counted per Catch2 test case
#   integration tests  /usr/bin/python3 -m pytest tests/integration (needs root: namespaces);
#                      counted per pytest test (skips are reported but count as neither)
#
# Afterwards it checks that the integration tests left no namespace (umit-*), no umigamed
# process and no DPDK runtime directory behind; each leak counts as a failure.
#
# Environment: UMIGAME_SKIP_DEPS=1 skips scripts/setup-deps.sh; UMIGAME_BUILD_DIR picks the
# build directory (default: build); PYTEST_ADDOPTS is honoured by pytest as usual.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${repo}" || exit 1
builddir=${UMIGAME_BUILD_DIR:-build}
[[ ${builddir} == /* ]] || builddir=${repo}/${builddir}
python=/usr/bin/python3 # Debian's python3 has pytest and scapy; the one on PATH may not

passed=0
failed=0
skipped=0
work=$(mktemp -d /tmp/umigame-test.XXXXXX)
trap 'rm -rf -- "${work}"' EXIT

say() { printf '\n=== %s\n' "$*"; }

finish() {
  say "summary: unit ${unit_passed:-0} passed, ${unit_failed:-0} failed; integration" \
    "${int_passed:-0} passed, ${int_failed:-0} failed, ${skipped} skipped; other failures ${other_failed:-0}"
  echo "${passed} passed, ${failed} failed"
  ((failed == 0))
  exit
}

# --- dependencies and build -------------------------------------------------------------------
other_failed=0
if [[ ${UMIGAME_SKIP_DEPS:-0} == 1 ]]; then
  say "deps: skipped (UMIGAME_SKIP_DEPS=1)"
elif [[ ${EUID} -ne 0 ]]; then
  say "deps: skipped (not root); integration tests will be skipped too"
else
  say "deps: scripts/setup-deps.sh"
  if ! bash scripts/setup-deps.sh; then
    echo "test.sh: installing dependencies failed" >&2
    other_failed=1 failed=1
    finish
  fi
fi

say "build: scripts/build.sh (${builddir})"
if ! UMIGAME_BUILD_DIR=${builddir} bash scripts/build.sh; then
  echo "test.sh: the build failed" >&2
  other_failed=1 failed=1
  finish
fi

# --- unit tests (Catch2 via meson test) ---------------------------------------------------------
say "unit: meson test -C ${builddir}"
testlog=${builddir}/meson-logs/testlog.json
rm -f -- "${testlog}"
meson test -C "${builddir}" --print-errorlogs
meson_rc=$?
# One JSON object per test in testlog.json. A Catch2 executable is counted by its test cases
# (from its summary line); anything else (or a Catch2 binary that crashed before its summary)
# counts as one test with meson's verdict.
read -r unit_passed unit_failed < <(
  "${python}" - "${testlog}" <<'PY'
import json, os, re, sys
path = sys.argv[1]
passed = failed = 0
if os.path.exists(path):
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.strip()
        if not line:
            continue
        t = json.loads(line)
        out = t.get("stdout") or ""
        ok = t.get("result") in ("OK", "EXPECTEDFAIL")
        if t.get("result") == "SKIP":
            continue
        m = re.search(r"All tests passed \(\d+ assertions? in (\d+) test cases?\)", out)
        rows = re.findall(r"^test cases:.*$", out, re.M)
        if m and ok:
            passed += int(m.group(1))
        elif rows:
            row = rows[-1]
            p = sum(int(x) for x in re.findall(r"(\d+) passed", row))
            p += sum(int(x) for x in re.findall(r"(\d+) failed as expected", row))
            f = sum(int(x) for x in re.findall(r"(\d+) failed(?! as expected)", row))
            if not ok and f == 0:
                f = 1  # e.g. crashed after printing, or a timeout
            passed += p
            failed += f
        elif ok:
            passed += 1
        else:
            failed += 1
print(passed, failed)
PY
)
unit_passed=${unit_passed:-0}
unit_failed=${unit_failed:-0}
if ((meson_rc != 0 && unit_failed == 0)); then
  echo "test.sh: meson test exited with ${meson_rc} but no failed test was recorded" >&2
  unit_failed=1
fi
passed=$((passed + unit_passed))
failed=$((failed + unit_failed))
say "unit: ${unit_passed} passed, ${unit_failed} failed"

# --- integration tests (pytest, Linux namespaces as peers) --------------------------------------
say "integration: ${python} -m pytest -q tests/integration"
junit=${work}/integration.xml
# A foreground subshell that execs pytest: Ctrl-C still reaches pytest (so its finalizers
# run), and we learn its pid, which names everything the harness makes (umit-<pid>-<n>).
(
  echo "${BASHPID}" >"${work}/pytest.pid"
  UMIGAME_BUILD_DIR=${builddir} exec "${python}" -m pytest -q -rfEs -p no:cacheprovider \
    --junitxml="${junit}" tests/integration
)
pytest_rc=$?
run_id=$(cat "${work}/pytest.pid")
int_passed=0
int_failed=0
if ((pytest_rc == 5)); then
  echo "test.sh: pytest collected no tests"
elif [[ -f ${junit} ]]; then
  read -r int_passed int_failed int_skipped < <(
    "${python}" - "${junit}" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
tests = failures = errors = skipped = 0
for s in suites:
    tests += int(s.get("tests", 0))
    failures += int(s.get("failures", 0))
    errors += int(s.get("errors", 0))
    skipped += int(s.get("skipped", 0))
print(max(tests - failures - errors - skipped, 0), failures + errors, skipped)
PY
  )
  skipped=$((skipped + ${int_skipped:-0}))
fi
if ((pytest_rc != 0 && pytest_rc != 5 && int_failed == 0)); then
  echo "test.sh: pytest exited with ${pytest_rc} without a recorded failure (usage or internal error?)" >&2
  int_failed=1
fi

# Leak checks: the harness promises to remove everything it made, even when a test fails.
# Only this run's resources are looked at (a demo or another test run may be going on).
leaks=0
tag="umit-${run_id}-"
mapfile -t leaked_ns < <(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${tag}")
if ((${#leaked_ns[@]} > 0)); then
  echo "test.sh: LEAK: integration tests left network namespaces behind: ${leaked_ns[*]}" >&2
  leaks=$((leaks + 1))
fi
leaked_pids=()
for pid in $(pgrep -x umigamed); do
  cmdline=$(tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null || true)
  [[ ${cmdline} == *"${tag}"* ]] && leaked_pids+=("${pid}")
done
if ((${#leaked_pids[@]} > 0)); then
  echo "test.sh: LEAK: integration tests left umigamed running:" >&2
  for pid in "${leaked_pids[@]}"; do
    echo "  ${pid} $(tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null)" >&2
  done
  kill -KILL "${leaked_pids[@]}" 2>/dev/null || true
  leaks=$((leaks + 1))
fi
for ns in "${leaked_ns[@]}"; do ip netns del "${ns}" 2>/dev/null || true; done
mapfile -t leaked_dpdk < <(find /var/run/dpdk -maxdepth 1 -name "${tag}*" 2>/dev/null)
if ((${#leaked_dpdk[@]} > 0)); then
  echo "test.sh: LEAK: integration tests left DPDK runtime directories: ${leaked_dpdk[*]}" >&2
  rm -rf -- "${leaked_dpdk[@]}"
  leaks=$((leaks + 1))
fi
int_failed=$((int_failed + leaks))
passed=$((passed + int_passed))
failed=$((failed + int_failed))
say "integration: ${int_passed} passed, ${int_failed} failed (${leaks} leak checks failed), ${skipped} skipped"

finish
