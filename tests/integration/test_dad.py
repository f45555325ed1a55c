"""Duplicate Address Detection and interface up/down against a Linux peer: an address Linux
holds ends `duplicated` on our side, Linux's DAD fails for one of ours, `ifconfig down/up`
stops and restarts the interface (DAD again), and a deleted link-local address is assigned
again when the interface comes up (KAME in6_if_up)."""

from __future__ import annotations

import ipaddress
import re

import pytest

import umitest
from umitest import describe, wait_until

OURS = "2001:db8:1::ff"
LINUX = "2001:db8:1::1"

INET6 = re.compile(r"^\tinet6 (\S+) prefixlen (\d+)((?: [a-z]+)*?)(?: scopeid (0x[0-9a-f]+))?$", re.M)
FLAGS = re.compile(r"^de0: flags=([0-9a-f]+)<([A-Z0-9,]*)> mtu (\d+)$", re.M)
IFF_BITS = {"UP": 0x1, "BROADCAST": 0x2, "RUNNING": 0x40, "SIMPLEX": 0x800, "MULTICAST": 0x8000}


def ifconfig(r: umitest.Router) -> str:
    return r.tool("ifconfig", "de0", check=True).stdout


def inet6_flags(r: umitest.Router) -> dict[str, set[str]]:
    return {m[1]: set(m[3].split()) for m in INET6.finditer(ifconfig(r))}


def if_flags(r: umitest.Router) -> tuple[int, list[str]]:
    out = ifconfig(r)
    m = FLAGS.search(out)
    assert m, out
    value, names = int(m[1], 16), m[2].split(",") if m[2] else []
    # The %b rendering must agree with the number.
    assert value == sum(IFF_BITS[n] for n in names), out
    return value, names


def wait_all_preferred(r: umitest.Router, timeout: float = 15.0) -> dict[str, set[str]]:
    def settled():
        flags = inet6_flags(r)
        assert not any("duplicated" in f for f in flags.values()), f"unexpected duplicate: {flags}"
        return flags if flags and not any("tentative" in f for f in flags.values()) else None

    return wait_until(settled, timeout, "every inet6 address on de0 to leave tentative")


def eui64_link_local(mac: str) -> str:
    b = [int(x, 16) for x in mac.split(":")]
    iid = bytes([b[0] ^ 0x02, b[1], b[2], 0xFF, 0xFE, b[3], b[4], b[5]])
    return str(ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + iid))


def link_local(flags: dict[str, set[str]]) -> str:
    lls = [a for a in flags if a.startswith("fe80:")]
    assert len(lls) == 1 and lls[0].endswith("%de0"), flags
    return lls[0].split("%")[0]


@pytest.fixture
def pair(router_pair):
    """router_pair with Linux's link ready (so it hears and answers DAD probes)."""
    router_pair.h1.wait_link_ready("eth0")
    router_pair.h1.wait_address_ready("eth0", LINUX)
    return router_pair


def test_address_linux_already_holds_ends_duplicated(pair):
    r = pair.r
    wait_all_preferred(r)
    before = r.request("stats")["icmp6"]["dad_duplicated"]
    cp = r.tool("ifconfig", "de0", "inet6", LINUX, "prefixlen", "64", "alias")
    assert cp.returncode == 0, describe(cp)

    def settled():
        f = inet6_flags(r).get(LINUX)
        assert f is not None, ifconfig(r)
        return f if "tentative" not in f else None

    flags = wait_until(settled, 10, f"DAD for {LINUX} to finish")
    assert flags == {"duplicated"}, ifconfig(r)
    assert f"\tinet6 {LINUX} prefixlen 64 duplicated\n" in ifconfig(r)
    assert r.request("stats")["icmp6"]["dad_duplicated"] == before + 1
    # A duplicated address is not used: ping6 from it is refused and Linux keeps its own.
    ping = r.tool("ping6", "-c", "1", "-S", LINUX, f"{pair.h1.link_local('eth0')['local']}%de0", timeout=30)
    assert ping.returncode != 0, describe(ping)
    assert "bytes from" not in ping.stdout, describe(ping)
    assert re.search(r"^ping6: .*(invalid source address|Can't assign requested address)", ping.stderr, re.M), \
        describe(ping)
    assert not (pair.h1.address("eth0", LINUX) or {}).get("dadfailed")


def test_linux_dad_fails_for_our_address(pair):
    r, h1 = pair.r, pair.h1
    assert r.tool("ifconfig", "de0", "inet6", OURS, "prefixlen", "64", "alias").returncode == 0
    wait_all_preferred(r)
    h1.add_address("eth0", f"{OURS}/64", nodad=False)
    a = wait_until(lambda: (h1.address("eth0", OURS) or {}).get("dadfailed") and h1.address("eth0", OURS),
                   10, f"Linux's DAD for {OURS} to fail")
    assert a.get("dadfailed") is True, a
    # We keep the address: still preferred, and Linux reaches us at it.
    assert inet6_flags(r)[OURS] == set(), ifconfig(r)
    h1.run(["ip", "-6", "addr", "del", f"{OURS}/64", "dev", "eth0"])
    assert h1.ping(OURS).returncode == 0


def test_ifconfig_down_and_up(pair):
    r, h1 = pair.r, pair.h1
    assert r.tool("ifconfig", "de0", "inet6", OURS, "prefixlen", "64", "alias").returncode == 0
    ll = link_local(wait_all_preferred(r))
    assert if_flags(r) == (0x8843, ["UP", "BROADCAST", "RUNNING", "SIMPLEX", "MULTICAST"])
    assert h1.ping(OURS).returncode == 0

    cp = r.tool("ifconfig", "de0", "down")
    assert cp.returncode == 0 and cp.stdout == "" and cp.stderr == "", describe(cp)
    value, names = if_flags(r)
    assert "UP" not in names and not value & 0x1, ifconfig(r)
    # The addresses stay configured while down (KAME keeps them).
    assert {OURS, f"{ll}%de0"} <= set(inet6_flags(r)), ifconfig(r)
    down_ping = h1.ping(OURS, count=2, wait=1)
    assert down_ping.returncode != 0 and " 0 received" in down_ping.stdout, describe(down_ping)
    assert h1.ping(f"{ll}%eth0", count=1, wait=1).returncode != 0

    cp = r.tool("ifconfig", "de0", "up")
    assert cp.returncode == 0, describe(cp)
    assert if_flags(r) == (0x8843, ["UP", "BROADCAST", "RUNNING", "SIMPLEX", "MULTICAST"])
    # DAD runs again for every address: tentative first (probing takes >= 1 s) ...
    flags = inet6_flags(r)
    assert "tentative" in flags[OURS] and "tentative" in flags[f"{ll}%de0"], ifconfig(r)
    # ... then preferred, and reachable again.
    assert set(wait_all_preferred(r)) == {OURS, f"{ll}%de0"}
    cp = h1.ping(OURS, count=1)
    assert cp.returncode == 0, describe(cp)
    assert h1.ping(f"{ll}%eth0").returncode == 0


def test_deleted_link_local_is_assigned_again_on_up(pair):
    r, h1 = pair.r, pair.h1
    ll = link_local(wait_all_preferred(r))
    mac = r.request("interfaces", {"name": "de0"})["interfaces"][0]["ether"]
    assert ll == eui64_link_local(mac), (ll, mac)  # RFC 4291 App. A

    cp = r.tool("ifconfig", "de0", "inet6", f"{ll}%de0", "-alias")
    assert cp.returncode == 0, describe(cp)
    assert not [a for a in inet6_flags(r) if a.startswith("fe80:")], ifconfig(r)
    assert h1.ping(f"{ll}%eth0", count=1, wait=1).returncode != 0

    assert r.tool("ifconfig", "de0", "down").returncode == 0
    assert not [a for a in inet6_flags(r) if a.startswith("fe80:")], ifconfig(r)
    assert r.tool("ifconfig", "de0", "up").returncode == 0
    assert link_local(inet6_flags(r)) == ll, ifconfig(r)
    assert f"\tinet6 {ll}%de0 prefixlen 64" in ifconfig(r)
    assert link_local(wait_all_preferred(r)) == ll
    assert re.search(rf"^\tinet6 {re.escape(ll)}%de0 prefixlen 64 scopeid 0x1$", ifconfig(r), re.M), ifconfig(r)
    assert h1.ping(f"{ll}%eth0").returncode == 0
