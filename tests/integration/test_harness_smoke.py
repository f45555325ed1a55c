"""Smoke tests: the harness itself against plain Linux, then the basics of umigamed's life
cycle (start, hello, refusals, shutdown). The daemon tests skip until
build/tools/umigamed/umigamed exists."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
from pathlib import Path

import pytest

import umitest
from umitest import describe, wait_until

# --- the harness with plain Linux ---------------------------------------------------------------


def test_harness_wait_until_returns_the_value_or_names_what_timed_out():
    answers = iter([0, None, "done"])
    assert wait_until(lambda: next(answers), 5, "the third answer") == "done"
    with pytest.raises(umitest.WaitTimeout, match="waiting for the impossible"):
        wait_until(lambda: False, 0.05, "the impossible")


def test_harness_two_namespaces_ping_each_other_over_a_veth(lab):
    a, b = lab.host("a"), lab.host("b")
    lab.veth(a, "a0", b, "b0")
    a.setup_interface("a0", "2001:db8:1::a/64")
    b.setup_interface("b0", "2001:db8:1::b/64")

    ping = a.ping("2001:db8:1::b", count=1)
    assert ping.returncode == 0, describe(ping)
    assert " 0% packet loss" in ping.stdout

    b_mac = b.mac("b0")
    assert any(n["dst"] == "2001:db8:1::b" and n.get("lladdr") == b_mac for n in a.neighbors("a0")), a.neighbors()


def test_harness_linux_host_runs_dad_when_asked(lab):
    a, b = lab.host("a"), lab.host("b")
    lab.veth(a, "a0", b, "b0")
    a.setup_interface("a0", "2001:db8:1::a/64")  # nodad by default, but a still defends it
    b.setup_interface("b0")

    b.add_address("b0", "2001:db8:1::b/64", nodad=False)
    assert not b.wait_address_ready("b0", "2001:db8:1::b").get("dadfailed")

    b.add_address("b0", "2001:db8:1::a/64", nodad=False)
    wait_until(lambda: (b.address("b0", "2001:db8:1::a") or {}).get("dadfailed"), 10,
               "b's DAD for a's address to fail")


def test_harness_lab_cleanup_leaves_nothing_even_when_the_test_fails(need_root, tmp_path):
    made = {}
    with pytest.raises(RuntimeError, match="deliberate"):
        with umitest.Lab(tmp_path) as lab:
            a, b = lab.host("a"), lab.host("b")
            lab.veth(a, "a0", b, "b0")
            a.setup_interface("a0", "2001:db8:1::a/64")
            b.setup_interface("b0", "2001:db8:1::b/64")
            registered = a.spawn(["ping", "-n", "-i", "0.5", "2001:db8:1::b"], name="ping")
            # A process the test forgot to register: deleting its namespace must still end it.
            forgotten = subprocess.Popen(["ip", "netns", "exec", b.ns.name, "tail", "-f", "/dev/null"],
                                         stdin=subprocess.DEVNULL)
            made = {"ns": [a.ns.name, b.ns.name], "registered": registered.proc, "forgotten": forgotten}
            assert set(made["ns"]) <= set(umitest.list_netns())
            raise RuntimeError("deliberate failure inside the lab")

    assert not set(made["ns"]) & set(umitest.list_netns())
    assert made["registered"].poll() is not None
    assert made["forgotten"].wait(timeout=5) is not None
    for ifname in ("a0", "b0"):
        assert umitest.run(["ip", "link", "show", "dev", ifname], check=False).returncode != 0


# --- umigamed: life cycle -------------------------------------------------------------------------


def test_daemon_starts_and_answers_hello(router_pair):
    r = router_pair.r
    hello = r.hello()
    assert hello["version"] == 1
    assert hello["daemon"] == "umigamed"
    assert hello["hostname"] == "r1.example.test"
    assert isinstance(hello.get("daemon_version"), str) and hello["daemon_version"]
    assert umitest.READY_LINE in r.stderr_text()


def test_daemon_lists_the_configured_port(router_pair):
    ifaces = router_pair.r.request("interfaces")["interfaces"]
    assert [i["name"] for i in ifaces] == ["de0"]
    assert ifaces[0]["ether"] == router_pair.r.ns.run(["cat", "/sys/class/net/de0/address"]).stdout.strip()


def test_control_socket_refuses_requests_before_hello(router_pair):
    with umitest.ControlClient(router_pair.r.socket, hello=False) as c:
        reply = c.call_raw("interfaces")
    assert reply["ok"] is False
    assert reply["error"]["code"] == "version"


def test_daemon_tells_systemd_it_is_ready(lab, umigamed_bin):
    r = lab.router()
    r.add_port("de0", lab.host("h1"), "eth0", "2001:db8:1::1/64")
    notify_path = r.rundir / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(str(notify_path))
        notify.setblocking(False)
        r.start(env={"NOTIFY_SOCKET": str(notify_path)})
        messages: list[str] = []

        def ready_notified() -> bool:
            try:
                messages.append(notify.recv(4096).decode(errors="replace"))
            except BlockingIOError:
                return False
            return any("READY=1" in m.splitlines() for m in messages)

        wait_until(ready_notified, 10, f"READY=1 on NOTIFY_SOCKET (got {messages})")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_daemon_exits_cleanly_on_signal_and_removes_its_socket(router_pair, sig):
    r = router_pair.r
    assert r.socket.exists()
    rc = r.stop(sig)
    assert not r.killed, f"umigamed ignored {sig.name}"
    assert rc == 0, r.stderr_text()
    assert not r.socket.exists()


# --- umigamed: refusals -------------------------------------------------------------------------


def test_tool_reports_a_missing_daemon_plainly(kame_bin, tmp_path):
    ndp = kame_bin("ndp")
    missing = tmp_path / "no-daemon-here.sock"
    cp = umitest.run([ndp, "-a"], check=False, env={"UMIGAME_SOCKET": str(missing)}, timeout=10)
    assert cp.returncode != 0, describe(cp)
    message = (cp.stderr + cp.stdout).strip()
    assert "umigamed" in message, describe(cp)
    assert len(message.splitlines()) == 1, describe(cp)
    assert "Traceback" not in message and "terminate called" not in message


def _error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _names_line(line: str, lineno: int) -> bool:
    return re.search(rf"(:{lineno}\b|line {lineno}\b)", line) is not None


def _check_refused_cleanly(r: umitest.Router, cp: subprocess.CompletedProcess) -> None:
    assert cp.returncode not in (0, None), describe(cp)
    assert cp.returncode > 0, f"umigamed died of signal {-cp.returncode}\n{describe(cp)}"
    assert not r.socket.exists(), "a daemon that refused to start left its socket"


def test_config_syntax_error_is_one_line_naming_file_and_line(lab, umigamed_bin):
    r = lab.router()
    r.add_port("de0", lab.host("h1"), "eth0", "2001:db8:1::1/64")
    lines = r.config_text().splitlines()
    broken_at = next(i for i, line in enumerate(lines, 1) if line.startswith("memory_mb"))
    lines[broken_at - 1] = "memory_mb = = 256"
    cp = r.start_expect_failure(config_text="\n".join(lines) + "\n")

    _check_refused_cleanly(r, cp)
    errors = _error_lines(cp.stderr)
    assert len(errors) == 1, f"expected one line of error, got:\n{cp.stderr}"
    assert r.config_path.name in errors[0], errors[0]
    assert _names_line(errors[0], broken_at), f"line {broken_at} not named in: {errors[0]}"
    assert not (umitest.DPDK_RUNTIME / r.file_prefix).exists(), "EAL ran for a config that does not parse"


def test_config_bad_value_names_file_line_and_key(lab, umigamed_bin):
    r = lab.router(hugepages="sometimes")
    r.add_port("de0", lab.host("h1"), "eth0", "2001:db8:1::1/64")
    lines = r.config_text().splitlines()
    bad_at = next(i for i, line in enumerate(lines, 1) if line.startswith("hugepages"))
    cp = r.start_expect_failure()

    _check_refused_cleanly(r, cp)
    errors = _error_lines(cp.stderr)
    assert len(errors) == 1, f"expected one line of error, got:\n{cp.stderr}"
    assert r.config_path.name in errors[0] and "hugepages" in errors[0], errors[0]
    assert _names_line(errors[0], bad_at), f"line {bad_at} not named in: {errors[0]}"


def test_vdev_on_a_missing_interface_is_refused_clearly(lab, umigamed_bin):
    r = lab.router()
    r.add_port("de0", vdev="net_af_packet0,iface=umitnope0")  # no such interface in r's namespace
    cp = r.start_expect_failure(timeout=60)

    _check_refused_cleanly(r, cp)
    mentions = [line for line in cp.stderr.splitlines() if "umitnope0" in line]
    assert mentions, f"the missing interface is not named:\n{cp.stderr}"
    assert any(re.search(r"does not exist|no such|not found|missing", line, re.I) for line in mentions), \
        f"no clear reason given:\n{cp.stderr}"


def test_second_daemon_with_the_same_socket_refuses_to_start(router_pair):
    first, lab = router_pair.r, router_pair.lab
    second = lab.router("r2", socket_path=first.socket)
    second.add_port("de0", lab.host("h9"), "eth0", "2001:db8:9::1/64")
    cp = second.start_expect_failure(timeout=60)

    assert cp.returncode > 0, describe(cp)
    assert str(first.socket) in cp.stderr or "already" in cp.stderr, cp.stderr
    assert first.running() and first.socket.exists()
    assert first.hello()["daemon"] == "umigamed"


def test_second_daemon_with_the_same_file_prefix_refuses_to_start(router_pair):
    first, lab = router_pair.r, router_pair.lab
    second = lab.router("r2", file_prefix=first.file_prefix)
    second.add_port("de0", lab.host("h9"), "eth0", "2001:db8:9::1/64")
    cp = second.start_expect_failure(timeout=60)

    assert cp.returncode > 0, describe(cp)
    assert first.file_prefix in cp.stderr, cp.stderr
    assert not second.socket.exists()
    assert first.running() and first.hello()["daemon"] == "umigamed"


def test_harness_router_config_is_isolated_per_instance(lab):
    # No daemon needed: two routers in one test never share a namespace, socket or prefix.
    r1, r2 = lab.router("r1"), lab.router("r2")
    assert r1.ns.name != r2.ns.name and r1.socket != r2.socket and r1.file_prefix != r2.file_prefix
    assert len(str(r1.socket)) < 100
    text = r1.config_text()
    for needle in ('hugepages = "off"', "memory_mb = 256", "workers = 1", 'idle = "adaptive"',
                   f'file_prefix = "{r1.file_prefix}"', f'socket = "{r1.socket}"'):
        assert needle in text
    assert Path(r1.rundir).stat().st_mode & 0o777 == 0o755
