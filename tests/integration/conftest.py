"""pytest fixtures for umigame's integration tests (the harness itself is umitest.py).

Fixtures:
  lab               a umitest.Lab: namespaces, veths, hosts, routers; all removed after the
                    test, pass or fail. Skips the test when not root.
  umigamed_bin      path of build/tools/umigamed/umigamed; skips the test when it is not built.
  kame_bin          function name -> path of build/tools/kame/<name>; skips when not built.
  router_pair       umigamed with one port de0 on a veth facing Linux host h1
                    (2001:db8:1::1/64 on h1's eth0), started. Fields: r, h1, lab.
  router_two_ports  the same with a second port de1 facing host h2 (2001:db8:2::1/64 on
                    eth0). Fields: r, h1, h2, lab.

When a test fails, the stderr/stdout logs of every umigamed it started are attached to the
report.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Callable, NamedTuple

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import umitest  # noqa: E402

NEED_ROOT = ("integration tests need root: they create network namespaces and veths "
             "(run: sudo scripts/test.sh)")


def _raise_keyboard_interrupt(signum, frame):  # noqa: ARG001
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    # SIGTERM (e.g. CI cancelling the job) behaves like Ctrl-C, so fixture finalizers run and
    # remove namespaces and daemons instead of leaking them.
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)


def pytest_sessionstart(session: pytest.Session) -> None:
    if umitest.is_root():
        removed = umitest.reap_stale()
        if removed:
            print(f"\numitest: removed leftovers of earlier killed runs: {', '.join(removed)}", file=sys.stderr)


def pytest_runtest_setup(item: pytest.Item) -> None:
    umitest.clear_logs()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for title, text in umitest.logs_for_report():
            report.sections.append((f"{title} ({report.when})", text))


def _shown(path: Path) -> str:
    return str(path.relative_to(umitest.REPO)) if path.is_relative_to(umitest.REPO) else str(path)


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def need_root() -> None:
    if not umitest.is_root():
        pytest.skip(NEED_ROOT)


@pytest.fixture
def lab(need_root, tmp_path: Path):
    with umitest.Lab(tmp_path) as the_lab:
        yield the_lab


@pytest.fixture
def umigamed_bin() -> Path:
    if not umitest.UMIGAMED.exists():
        pytest.skip(f"{_shown(umitest.UMIGAMED)} is not built yet (run scripts/build.sh)")
    return umitest.UMIGAMED


@pytest.fixture
def kame_bin() -> Callable[[str], Path]:
    def find(name: str) -> Path:
        path = umitest.KAME_DIR / name
        if not path.exists():
            pytest.skip(f"{_shown(path)} is not built yet (run scripts/build.sh)")
        return path

    return find


class RouterPair(NamedTuple):
    r: umitest.Router
    h1: umitest.LinuxHost
    lab: umitest.Lab


class RouterTwoPorts(NamedTuple):
    r: umitest.Router
    h1: umitest.LinuxHost
    h2: umitest.LinuxHost
    lab: umitest.Lab


@pytest.fixture
def router_pair(lab: umitest.Lab, umigamed_bin: Path) -> RouterPair:
    r = lab.router("r1")
    h1 = lab.host("h1")
    r.add_port("de0", h1, "eth0", "2001:db8:1::1/64")
    r.start()
    return RouterPair(r, h1, lab)


@pytest.fixture
def router_two_ports(lab: umitest.Lab, umigamed_bin: Path) -> RouterTwoPorts:
    r = lab.router("r1")
    h1 = lab.host("h1")
    h2 = lab.host("h2")
    r.add_port("de0", h1, "eth0", "2001:db8:1::1/64")
    r.add_port("de1", h2, "eth0", "2001:db8:2::1/64")
    r.start()
    return RouterTwoPorts(r, h1, h2, lab)
