"""Echo in both directions between umigame and a Linux host on one link: Linux pings our
link-local and global addresses; our ping6 (KAME output, guide-era formats) reaches Linux by
unicast, scoped link-local and all-nodes multicast, with -s/-h/-p; unprivileged users may
look (ndp -a, ifconfig -a) and ping, but not configure."""

from __future__ import annotations

import re
from typing import NamedTuple

import pytest

import umitest
from umitest import describe, wait_until

OURS = "2001:db8:1::ff"
LINUX = "2001:db8:1::1"
UNUSED = "2001:db8:1::42"  # on-link, nobody holds it

# "\tinet6 ADDR prefixlen N [flags...] [scopeid 0xN]" (guide-era ifconfig)
INET6 = re.compile(r"^\tinet6 (\S+) prefixlen (\d+)((?: [a-z]+)*?)(?: scopeid (0x[0-9a-f]+))?$", re.M)
REPLY = re.compile(r"^(\d+) bytes from (\S+), icmp_seq=(\d+) hlim=(\d+) time=([0-9.]+) ms(\(DUP!\))?$", re.M)
RTT = re.compile(r"^round-trip min/avg/max = [0-9.]+/[0-9.]+/[0-9.]+ ms$", re.M)


def inet6_flags(r: umitest.Router, ifname: str = "de0") -> dict[str, set[str]]:
    """address (zone kept as printed) -> its flag words, from `ifconfig IF`."""
    cp = r.tool("ifconfig", ifname, check=True)
    return {m[1]: set(m[3].split()) for m in INET6.finditer(cp.stdout)}


def wait_all_preferred(r: umitest.Router, ifname: str = "de0", timeout: float = 15.0) -> dict[str, set[str]]:
    def settled():
        flags = inet6_flags(r, ifname)
        assert not any("duplicated" in f for f in flags.values()), f"unexpected duplicate: {flags}"
        return flags if flags and not any("tentative" in f for f in flags.values()) else None

    return wait_until(settled, timeout, f"every inet6 address on {ifname} to leave tentative")


class Net(NamedTuple):
    r: umitest.Router
    h1: umitest.LinuxHost
    our_ll: str  # without zone
    linux_ll: str


@pytest.fixture
def net(router_pair) -> Net:
    r, h1 = router_pair.r, router_pair.h1
    linux_ll = h1.wait_link_ready("eth0")
    cp = r.tool("ifconfig", "de0", "inet6", OURS, "prefixlen", "64", "alias")
    assert cp.returncode == 0 and cp.stdout == "" and cp.stderr == "", describe(cp)
    flags = wait_all_preferred(r)
    assert OURS in flags, flags
    lls = [a for a in flags if a.startswith("fe80:")]
    assert len(lls) == 1 and lls[0].endswith("%de0"), flags
    return Net(r, h1, lls[0].split("%")[0], linux_ll)


def replies(out: str) -> list[tuple[int, str, int, int, bool]]:
    """(bytes, from, seq, hlim, dup) per reply line."""
    return [(int(m[1]), m[2], int(m[3]), int(m[4]), bool(m[6])) for m in REPLY.finditer(out)]


def check_summary(out: str, host: str, sent: int, received: int, dups: int = 0) -> None:
    dup = f"+{dups} duplicates, " if dups else ""
    loss = 100 * (sent - received) // sent
    assert f"\n--- {host} ping6 statistics ---\n" in out, out
    assert f"\n{sent} packets transmitted, {received} packets received, {dup}{loss}% packet loss\n" in out, out
    assert bool(RTT.search(out)) == (received > 0), out


# --- Linux pings us -----------------------------------------------------------------------------


def test_linux_pings_our_link_local_address(net):
    cp = net.h1.ping(f"{net.our_ll}%eth0", count=2)
    assert cp.returncode == 0, describe(cp)
    assert re.search(rf"^64 bytes from {re.escape(net.our_ll)}%eth0: icmp_seq=2 ttl=64 ", cp.stdout, re.M), cp.stdout
    assert " 2 received, 0% packet loss" in cp.stdout, cp.stdout


def test_linux_pings_our_global_address(net):
    cp = net.h1.ping(OURS, count=2)
    assert cp.returncode == 0, describe(cp)
    assert re.search(rf"^64 bytes from {re.escape(OURS)}: icmp_seq=1 ttl=64 ", cp.stdout, re.M), cp.stdout
    assert " 2 received, 0% packet loss" in cp.stdout, cp.stdout


# --- our ping6 ------------------------------------------------------------------------------------


def test_ping6_reaches_linux_with_kame_output(net):
    cp = net.r.tool("ping6", "-c", "3", LINUX, timeout=30)
    assert cp.returncode == 0, describe(cp)
    lines = cp.stdout.splitlines()
    assert lines[0] == f"PING6(56=40+8+8 bytes) {OURS} --> {LINUX}", cp.stdout
    got = replies(cp.stdout)
    assert [(b, f, s, h, d) for b, f, s, h, d in got] == [(56, LINUX, n, 64, False) for n in range(3)], cp.stdout
    assert len([line for line in lines if "bytes from" in line]) == 3, cp.stdout
    check_summary(cp.stdout, LINUX, 3, 3)
    assert cp.stderr == "", describe(cp)


def test_ping6_all_nodes_shows_linux_and_marks_the_second_responder_dup(net):
    cp = net.r.tool("ping6", "-c", "2", "-I", "de0", "ff02::1", timeout=30)
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout.splitlines()[0] == f"PING6(56=40+8+8 bytes) {net.our_ll} --> ff02::1", cp.stdout
    got = replies(cp.stdout)
    # Every reply carries no zone (guide-era ping6) and is 56 bytes at hop limit 64.
    assert all(b == 56 and h == 64 for b, _, _, h, _ in got), cp.stdout
    seq0 = [(f, d) for _, f, s, _, d in got if s == 0]
    # Both nodes on the link answer seq 0 (the router answers its own multicast ping, as
    # KAME did): the first reply counts, the second is a duplicate.
    assert sorted(f for f, _ in seq0) == sorted([net.our_ll, net.linux_ll]), cp.stdout
    assert [d for _, d in seq0] == [False, True], cp.stdout
    assert any(f == net.linux_ll for _, f, _, _, _ in got), cp.stdout
    dups = sum(d for *_, d in got)
    # ping6 -c stops at the first reply to the last request (as KAME's did), so a late
    # duplicate for seq 1 may or may not be printed; the summary must agree with the lines.
    check_summary(cp.stdout, "ff02::1", 2, 2, dups)
    assert [s for _, _, s, _, d in got if not d] == [0, 1], cp.stdout


def test_ping6_to_an_unused_address_fails_with_total_loss(net):
    cp = net.r.tool("ping6", "-c", "1", UNUSED, timeout=40)
    assert cp.returncode == 1, describe(cp)
    assert cp.stdout.splitlines()[0] == f"PING6(56=40+8+8 bytes) {OURS} --> {UNUSED}", cp.stdout
    assert replies(cp.stdout) == [], cp.stdout
    check_summary(cp.stdout, UNUSED, 1, 0)


def test_ping6_data_size(net):
    cp = net.r.tool("ping6", "-c", "2", "-i", "0.2", "-s", "1000", LINUX, timeout=30)
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout.splitlines()[0] == f"PING6(1048=40+8+1000 bytes) {OURS} --> {LINUX}", cp.stdout
    assert [(b, f, s) for b, f, s, _, _ in replies(cp.stdout)] == [(1048, LINUX, 0), (1048, LINUX, 1)], cp.stdout
    assert "wrong data byte" not in cp.stdout
    check_summary(cp.stdout, LINUX, 2, 2)


def _echo_requests_to_linux(net: Net):
    """A packet socket on h1 and a matcher for echo requests from OURS to LINUX."""
    from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6
    from scapy.layers.l2 import Ether

    sock = net.h1.packet_socket("eth0")

    def match(frame: bytes):
        p = Ether(frame)
        return p if IPv6 in p and ICMPv6EchoRequest in p and p[IPv6].src == OURS and p[IPv6].dst == LINUX else None

    return sock, match


def test_ping6_hop_limit_is_used_on_the_wire(net):
    sock, match = _echo_requests_to_linux(net)
    cp = net.r.tool("ping6", "-c", "1", "-h", "5", LINUX, timeout=30)
    assert cp.returncode == 0, describe(cp)
    assert [(f, s) for _, f, s, _, _ in replies(cp.stdout)] == [(LINUX, 0)], cp.stdout
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Ether

    frame = sock.recv_until(match, 5, "our echo request")
    assert Ether(frame)[IPv6].hlim == 5


def test_ping6_pattern_fills_the_data(net):
    sock, match = _echo_requests_to_linux(net)
    cp = net.r.tool("ping6", "-c", "1", "-s", "24", "-p", "ff", LINUX, timeout=30)
    assert cp.returncode == 0, describe(cp)
    lines = cp.stdout.splitlines()
    assert lines[0] == "PATTERN: 0xff", cp.stdout
    assert lines[1] == f"PING6(72=40+8+24 bytes) {OURS} --> {LINUX}", cp.stdout
    assert [(b, f, s) for b, f, s, _, _ in replies(cp.stdout)] == [(72, LINUX, 0)], cp.stdout
    assert "wrong data byte" not in cp.stdout
    from scapy.layers.inet6 import ICMPv6EchoRequest
    from scapy.layers.l2 import Ether

    data = bytes(Ether(sock.recv_until(match, 5, "our echo request"))[ICMPv6EchoRequest].data)
    assert len(data) == 24
    assert data[8:] == b"\xff" * 16, data.hex()  # after the 8-byte timestamp


def test_ping6_scoped_link_local_target(net):
    cp = net.r.tool("ping6", "-c", "2", "-i", "0.2", f"{net.linux_ll}%de0", timeout=30)
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout.splitlines()[0] == f"PING6(56=40+8+8 bytes) {net.our_ll} --> {net.linux_ll}", cp.stdout
    assert [(b, f, s, h) for b, f, s, h, _ in replies(cp.stdout)] == [
        (56, net.linux_ll, 0, 64), (56, net.linux_ll, 1, 64)], cp.stdout
    check_summary(cp.stdout, f"{net.linux_ll}%de0", 2, 2)


# --- who may do what ------------------------------------------------------------------------------


def test_unprivileged_user_may_look_and_ping_but_not_configure(net):
    r = net.r
    assert net.h1.ping(OURS).returncode == 0  # something in the neighbour cache to show

    ndp = r.tool("ndp", "-a", user="nobody")
    assert ndp.returncode == 0, describe(ndp)
    assert ndp.stdout.startswith("Neighbor "), ndp.stdout
    assert LINUX in ndp.stdout, ndp.stdout

    ifc = r.tool("ifconfig", "-a", user="nobody")
    assert ifc.returncode == 0, describe(ifc)
    assert ifc.stdout.startswith("de0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>"), ifc.stdout
    assert f"\tinet6 {OURS} prefixlen 64\n" in ifc.stdout, ifc.stdout

    ping = r.tool("ping6", "-c", "1", LINUX, user="nobody", timeout=30)
    assert ping.returncode == 0, describe(ping)

    add = r.tool("ifconfig", "de0", "inet6", "2001:db8:1::ee", "prefixlen", "64", "alias", user="nobody")
    assert add.returncode != 0, describe(add)
    assert re.search(r"^ifconfig: .*(permission denied|not permitted|must be root|superuser)",
                     add.stderr, re.I | re.M), describe(add)
    assert "2001:db8:1::ee" not in inet6_flags(r)

    down = r.tool("ifconfig", "de0", "down", user="nobody")
    assert down.returncode != 0 and re.search(r"permission|not permitted", down.stderr, re.I), describe(down)
    assert r.tool("ifconfig", "de0", check=True).stdout.startswith("de0: flags=8843<UP,")
