"""Neighbour Discovery between umigame and a Linux host: both caches learn each other, Linux's
ndisc6 resolves our addresses, and KAME `ndp` shows, adds, deletes and flushes entries in the
guide-era layout. Linux's interface has MAC 02:00:00:00:00:01 so that the BSD %x form
(`2:0:0:0:0:1`, no zero padding) is visible."""

from __future__ import annotations

import re
from typing import NamedTuple

import pytest

import umitest
from umitest import describe, wait_until

OURS = "2001:db8:1::ff"
LINUX = "2001:db8:1::1"
LINUX_MAC = "02:00:00:00:00:01"
LINUX_MAC_BSD = "2:0:0:0:0:1"
LINUX_LL = "fe80::ff:fe00:1"  # EUI-64 of LINUX_MAC

# Guide-era `ndp -a` (KAME 2000): "%-31.31s %-17.17s %6.6s %-9.9s %2s %4s %4s"
HEADER = "%-31.31s %-17.17s %6.6s %-9.9s %2s %4s %4s" % (
    "Neighbor", "Linklayer Address", "Netif", "Expire", "St", "Flgs", "Prbs")
EXPIRE = re.compile(r"^(permanent|expired|(\d+d)?(\d+h)?(\d+m)?\d+s)$")


class Row(NamedTuple):
    addr: str
    lladdr: str
    netif: str
    expire: str
    state: str
    flags: str


def parse_rows(out: str) -> list[Row]:
    """Rows of `ndp -a` / `ndp ADDR` cut at the guide-era column positions."""
    rows = []
    for line in out.splitlines():
        if line.startswith("Neighbor ") or not line.strip():
            continue
        assert len(line) >= 68 and line[31] == " " and line[49] == " " and line[56] == " ", f"bad row: {line!r}"
        rows.append(Row(line[:31].rstrip(), line[32:49].rstrip(), line[50:56].strip(), line[57:66].rstrip(),
                        line[67], line[69:73].strip() if len(line) > 69 else ""))
    return rows


def ndp_rows(r: umitest.Router, *args: str) -> list[Row]:
    cp = r.tool("ndp", *args, check=True)
    return parse_rows(cp.stdout)


class Net(NamedTuple):
    r: umitest.Router
    h1: umitest.LinuxHost
    our_mac: str
    our_ll: str


@pytest.fixture
def net(lab, umigamed_bin) -> Net:
    r = lab.router("r1")
    h1 = lab.host("h1")
    r.add_port("de0", h1, "eth0")
    # A MAC with zero octets, set while the link is down so its link-local follows it.
    h1.run(["ip", "link", "set", "eth0", "down"])
    h1.run(["ip", "link", "set", "eth0", "address", LINUX_MAC])
    h1.run(["ip", "link", "set", "eth0", "up"])
    h1.add_address("eth0", f"{LINUX}/64")
    r.start()
    assert h1.wait_link_ready("eth0") == LINUX_LL
    cp = r.tool("ifconfig", "de0", "inet6", OURS, "prefixlen", "64", "alias")
    assert cp.returncode == 0, describe(cp)

    def preferred():
        ifc = r.request("interfaces", {"name": "de0"})["interfaces"][0]
        flags = {a["addr"]: a["flags"] for a in ifc["inet6"]}
        assert not any("duplicated" in f for f in flags.values()), flags
        return ifc if OURS in flags and not any("tentative" in f for f in flags.values()) else None

    ifc = wait_until(preferred, 15, "our addresses to be preferred")
    our_ll = next(a["addr"] for a in ifc["inet6"] if a["addr"].startswith("fe80:")).split("%")[0]
    return Net(r, h1, ifc["ether"].lower(), our_ll)


def linux_neighbour(h1: umitest.LinuxHost, addr: str) -> dict | None:
    return next((n for n in h1.neighbors("eth0") if n.get("dst") == addr), None)


def test_caches_learn_each_other_after_traffic(net):
    r, h1 = net.r, net.h1
    assert h1.ping(OURS, count=2).returncode == 0
    assert h1.ping(f"{net.our_ll}%eth0").returncode == 0

    cp = r.tool("ndp", "-a", check=True)
    lines = cp.stdout.splitlines()
    assert lines[0] == HEADER, f"{lines[0]!r} != {HEADER!r}"
    rows = {row.addr: row for row in parse_rows(cp.stdout)}
    assert set(rows) == {LINUX, f"{LINUX_LL}%de0"}, cp.stdout
    for row in rows.values():
        assert row.lladdr == LINUX_MAC_BSD, cp.stdout
        assert row.netif == "de0", cp.stdout
        assert EXPIRE.match(row.expire) and row.expire not in ("permanent", "expired"), cp.stdout
        assert row.state in "RSDP", cp.stdout  # learnt from traffic: a live NUD state
    # -n is accepted (numeric output is the default here anyway) and prints the same rows.
    assert [r_.addr for r_ in ndp_rows(r, "-n", "-a")] == [r_.addr for r_ in parse_rows(cp.stdout)]

    for addr in (OURS, net.our_ll):
        n = linux_neighbour(h1, addr)
        assert n is not None, h1.neighbors()
        assert n.get("lladdr") == net.our_mac, n
        assert set(n.get("state", [])) & {"REACHABLE", "STALE", "DELAY", "PROBE"}, n
        assert not set(n.get("state", [])) & {"FAILED", "INCOMPLETE"}, n


def test_our_ping_makes_linux_learn_us_without_linux_sending_first(net):
    r, h1 = net.r, net.h1
    assert linux_neighbour(h1, OURS) is None, h1.neighbors()
    assert r.tool("ping6", "-c", "1", LINUX, timeout=30).returncode == 0
    row = next(row for row in ndp_rows(r, "-a") if row.addr == LINUX)
    assert (row.lladdr, row.state) == (LINUX_MAC_BSD, "R")  # resolved and confirmed by the reply

    def learnt():
        n = linux_neighbour(h1, OURS)
        return n if n and n.get("lladdr") == net.our_mac else None

    n = wait_until(learnt, 5, "Linux to have our MAC for our global address")
    assert not set(n["state"]) & {"FAILED", "INCOMPLETE"}, n


def test_ndisc6_resolves_our_addresses(net):
    mac = net.our_mac.upper()
    for target in (OURS, net.our_ll):
        cp = net.h1.run(["ndisc6", "-1", "-r", "3", "-w", "1000", target, "eth0"], check=False)
        assert cp.returncode == 0, describe(cp)
        assert f"Target link-layer address: {mac}" in cp.stdout, cp.stdout
        assert re.search(rf"^ from {re.escape(target)}$", cp.stdout, re.M), cp.stdout


def test_ndp_static_and_temporary_entries(net):
    r = net.r
    cp = r.tool("ndp", "-s", "2001:db8:1::99", "0:1:2:3:4:5")
    assert cp.returncode == 0 and cp.stdout == "" and cp.stderr == "", describe(cp)
    row = next((x for x in ndp_rows(r, "-a") if x.addr == "2001:db8:1::99"), None)
    assert row == Row("2001:db8:1::99", "0:1:2:3:4:5", "de0", "permanent", "R", ""), row

    one = r.tool("ndp", "2001:db8:1::99")
    assert one.returncode == 0, describe(one)
    assert parse_rows(one.stdout) == [row], one.stdout

    cp = r.tool("ndp", "-s", "2001:db8:1::98", "0:1:2:3:4:6", "temp")
    assert cp.returncode == 0, describe(cp)
    temp = next(x for x in ndp_rows(r, "-a") if x.addr == "2001:db8:1::98")
    assert temp.lladdr == "0:1:2:3:4:6", temp
    assert re.match(r"^(19m[0-9]+s|20m0s)$", temp.expire), temp  # temp = 20 minutes

    cp = r.tool("ndp", "-d", "2001:db8:1::99")
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout == "2001:db8:1::99 (2001:db8:1::99) deleted\n", describe(cp)
    assert "2001:db8:1::99" not in [x.addr for x in ndp_rows(r, "-a")]

    again = r.tool("ndp", "-d", "2001:db8:1::99")
    assert again.returncode == 1, describe(again)
    assert "cannot locate 2001:db8:1::99" in again.stdout + again.stderr, describe(again)


def test_ndp_c_flushes_dynamic_entries_only(net):
    r, h1 = net.r, net.h1
    assert h1.ping(OURS).returncode == 0
    assert h1.ping(f"{net.our_ll}%eth0").returncode == 0
    assert r.tool("ndp", "-s", "2001:db8:1::99", "0:1:2:3:4:5").returncode == 0
    assert {x.addr for x in ndp_rows(r, "-a")} == {LINUX, f"{LINUX_LL}%de0", "2001:db8:1::99"}

    cp = r.tool("ndp", "-c")
    assert cp.returncode == 0, describe(cp)
    deleted = sorted(cp.stdout.splitlines())
    assert deleted == sorted([f"{LINUX} ({LINUX}) deleted", f"{LINUX_LL}%de0 ({LINUX_LL}%de0) deleted"]), describe(cp)
    assert [x.addr for x in ndp_rows(r, "-a")] == ["2001:db8:1::99"]

    # The cache still works after a flush.
    assert h1.ping(OURS).returncode == 0
    assert LINUX in [x.addr for x in ndp_rows(r, "-a")]


def test_ndp_for_a_missing_entry(net):
    cp = net.r.tool("ndp", "2001:db8:1::77")
    assert cp.returncode == 1, describe(cp)
    assert cp.stdout == "2001:db8:1::77 (2001:db8:1::77) -- no entry\n", describe(cp)
