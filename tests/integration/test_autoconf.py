"""Stateless autoconfiguration on the host side against Linux peers: radvd in a namespace
advertises 2001:db8:1::/64 on umigame's de0 and routes to 2001:db8:2::/64 behind it.

With net.inet6.ip6.accept_rtadv=0 (the KAME default) RAs change nothing; after
`sysctl -w net.inet6.ip6.accept_rtadv=1` and `rtsol de0`, umigame has an autoconf address, a
default route through radvd's link-local address, `ndp -p` and `ndp -r` list them in the
guide's format with lifetimes counting down, a valid lifetime of 0 is handled by the
RFC 4862 two-hour rule, radvd's final RA (router lifetime 0) withdraws the default route,
`rtsold -m` re-solicits when the link comes back, and a host beyond radvd answers ping
through the learned default route. scapy-crafted bad RAs are counted and dropped."""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import signal
import struct

import pytest

import umitest
from umitest import describe, wait_until

pytest.importorskip("scapy")
from scapy.layers.inet6 import (  # noqa: E402
    ICMPv6ND_RA, ICMPv6NDOptPrefixInfo, IPv6)
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402
from scapy.utils import checksum  # noqa: E402

PREFIX = "2001:db8:1::"
BEYOND = "2001:db8:2::1"

RADVD_CONF = """interface eth0 {
    AdvSendAdvert on; MinRtrAdvInterval 3; MaxRtrAdvInterval 4;
    AdvLinkMTU 1480; AdvCurHopLimit 64; AdvDefaultLifetime 1800;
    prefix 2001:db8:1::/64 { AdvOnLink on; AdvAutonomous on;
        AdvValidLifetime 86400; AdvPreferredLifetime 14400; };
};
"""


class Net:
    def __init__(self, lab: umitest.Lab) -> None:
        self.lab = lab
        self.rt = lab.host("rt")  # radvd, and the router to 2001:db8:2::/64
        self.h2 = lab.host("h2")  # beyond it
        self.r = lab.router("r1")
        self.r.add_port("de0", self.rt, "eth0", "2001:db8:1::1/64")
        umitest.make_veth(lab.res, self.rt.ns, "eth1", self.h2.ns, "eth0")
        self.rt.setup_interface("eth1", "2001:db8:2::ff/64")
        self.h2.setup_interface("eth0", f"{BEYOND}/64")
        self.h2.run(["ip", "-6", "route", "add", "default", "via", "2001:db8:2::ff"])
        self.rt.ns.sysctl("net.ipv6.conf.all.forwarding", 1)
        self.r.start()
        self.rt.wait_link_ready("eth0")
        self.radvd: umitest.Background | None = None

    def start_radvd(self) -> None:
        conf = self.lab.workdir / f"radvd-{self.rt.ns.name}.conf"
        conf.write_text(RADVD_CONF)
        pid = self.lab.workdir / f"radvd-{self.rt.ns.name}.pid"
        self.radvd = self.rt.spawn(["radvd", "-C", str(conf), "-p", str(pid), "-n", "-m", "stderr",
                                    "-d", "1"], name="radvd")
        umitest.register_log("radvd", self.radvd.out_path)

    def radvd_ll(self) -> str:
        ll = self.rt.link_local("eth0")
        assert ll, "radvd's eth0 has no link-local address"
        return ll["local"]


def counter(r: umitest.Router, name: str) -> int:
    return r.request("stats")["icmp6"][name]


def ifid(r: umitest.Router) -> int:
    ll = umitest.link_local_of(r, "de0")
    return int(ipaddress.IPv6Address(ll)) & ((1 << 64) - 1)


def autoconf_addr(r: umitest.Router) -> str:
    return str(ipaddress.IPv6Address(int(ipaddress.IPv6Address(PREFIX)) | ifid(r)))


def inet6(r: umitest.Router, addr: str) -> dict | None:
    ifc = r.request("interfaces", {"name": "de0"})["interfaces"][0]
    return next((a for a in ifc["inet6"] if a["addr"] == addr), None)


def flood_frame(template: bytes, i: int) -> bytes:
    """The template RA (Ethernet + IPv6 + RA + one prefix option) from router fe80::1:0 + i
    for prefix 2001:db8:100:: + (i << 64), with its checksum redone."""
    f = bytearray(template)
    src = int.from_bytes(f[22:38], "big") + i
    f[22:38] = src.to_bytes(16, "big")
    pfx_off = 54 + 16 + 16  # prefix field of the option after the 16-byte RA header
    pfx = int.from_bytes(f[pfx_off:pfx_off + 16], "big") + (i << 64)
    f[pfx_off:pfx_off + 16] = pfx.to_bytes(16, "big")
    icmp = bytearray(f[54:])
    icmp[2:4] = b"\0\0"
    pseudo = bytes(f[22:54]) + struct.pack("!I3xB", len(icmp), 58)
    f[56:58] = struct.pack("!H", checksum(pseudo + bytes(icmp)))
    return bytes(f)


def is_rs(frame: bytes) -> bool:
    """An Ethernet frame carrying an ICMPv6 Router Solicitation (no extension headers)."""
    return len(frame) > 54 and frame[12:14] == b"\x86\xdd" and frame[20] == 58 and frame[54] == 133


def sec(text: str) -> int:
    """sec2str back to seconds: 23h59m58s -> 86398."""
    total = 0
    for n, unit in re.findall(r"(\d+)([dhms])", text):
        total += int(n) * {"d": 86400, "h": 3600, "m": 60, "s": 1}[unit]
    return total


@pytest.fixture
def net(lab: umitest.Lab, umigamed_bin) -> Net:
    if not shutil.which("radvd"):
        pytest.skip("radvd is not installed (scripts/setup-deps.sh)")
    return Net(lab)


def autoconfigure(n: Net) -> str:
    """accept_rtadv=1, rtsol de0; returns the autoconf address once it passed DAD."""
    cp = n.r.tool("sysctl", "-w", "net.inet6.ip6.accept_rtadv=1")
    assert cp.returncode == 0 and cp.stdout == "net.inet6.ip6.accept_rtadv: 0 -> 1\n", describe(cp)
    cp = n.r.tool("rtsol", "de0", timeout=30)
    assert cp.returncode == 0 and cp.stdout == "" and cp.stderr == "", describe(cp)
    want = autoconf_addr(n.r)
    wait_until(lambda: (a := inet6(n.r, want)) and "tentative" not in a["flags"], 15,
               f"{want} to pass DAD")
    return want


def test_radvd_autoconfigures_umigame(net: Net) -> None:
    n, r = net, net.r
    n.start_radvd()
    # accept_rtadv=0 (KAME's default): RAs arrive and are counted as ignored, nothing else.
    wait_until(lambda: counter(r, "ra_ignored") >= 1, 20, "an RA to be received and ignored")
    assert r.tool("ndp", "-p").stdout == ""
    assert r.tool("ndp", "-r").stdout == ""
    assert "default" not in r.tool("netstat", "-rn", "-f", "inet6").stdout
    assert autoconf_addr(r) not in r.tool("ifconfig", "de0").stdout

    # rtsol warns when the node would ignore the answer, and still solicits.
    cp = r.tool("rtsol", "de0", timeout=30)
    assert cp.returncode == 0 and cp.stderr == "rtsol: kernel is configured not to accept RAs\n", \
        describe(cp)

    addr = autoconfigure(n)
    ll = n.radvd_ll()
    out = r.tool("ifconfig", "de0", check=True).stdout
    assert f"\tinet6 {addr} prefixlen 64 autoconf\n" in out, out
    a = inet6(r, addr)
    assert 14300 < a["pltime"] <= 14400 and 86300 < a["vltime"] <= 86400, a

    # ndp -r: radvd's link-local, the guide's format.
    m = re.fullmatch(rf"{re.escape(ll)} if=de0, flags=, expire=(\S+)\n", r.tool("ndp", "-r").stdout)
    assert m and 1700 < sec(m[1]) <= 1800, r.tool("ndp", "-r").stdout
    # ndp -p: the prefix with its lifetimes and radvd as the advertising router.
    p = r.tool("ndp", "-p").stdout
    m = re.fullmatch(
        rf"2001:db8:1::/64 if=de0\n"
        rf"  flags=LA, vltime=86400, pltime=14400, expire=(\S+)\n"
        rf"  advertised by\n"
        rf"    {re.escape(ll)} \((reachable|unreachable|no neighbor state)\)\n", p)
    assert m and 86300 < sec(m[1]) <= 86400, p
    # The default route is in the routing table through radvd's link-local address.
    nr = r.tool("netstat", "-rn", "-f", "inet6", check=True).stdout
    assert re.search(rf"^default\s+{re.escape(ll)}%de0\s", nr, re.M), nr
    got = r.request("route_get", {"dest": BEYOND})
    assert got["route"]["kind"] == "default_router" and got["interface"] == "de0", got
    # The RA's MTU option lowered the link MTU (ndp -i).
    cp = r.tool("ndp", "-i", "de0", check=True)
    assert cp.stdout.startswith("linkmtu=1480, curhlim=64,"), describe(cp)

    # Lifetimes count down between two RAs: stop radvd with SIGKILL (no final RA).
    n.radvd.proc.send_signal(signal.SIGKILL)
    n.radvd.proc.wait(5)
    first = sec(re.search(r"expire=(\S+)", r.tool("ndp", "-p").stdout)[1])
    wait_until(lambda: sec(re.search(r"expire=(\S+)", r.tool("ndp", "-p").stdout)[1]) <= first - 2,
               10, "the prefix lifetime to count down")
    router_left = sec(re.search(r"expire=(\S+)", r.tool("ndp", "-r").stdout)[1])
    assert router_left < 1800


def test_host_beyond_radvd_answers_through_the_default_route(net: Net) -> None:
    n, r = net, net.r
    n.start_radvd()
    addr = autoconfigure(n)
    n.h2.wait_link_ready("eth0")

    def pinged() -> bool:
        cp = r.tool("ping6", "-c", "1", BEYOND)
        return cp.returncode == 0 and f"from {BEYOND}" in cp.stdout

    wait_until(pinged, 20, f"umigame to ping {BEYOND} through radvd")
    # The reply came back to the autoconf address: the host saw it as the source.
    neigh = n.rt.run(["ip", "-6", "neigh", "show", "dev", "eth0"]).stdout
    assert addr in neigh, neigh


def test_router_withdrawal_and_two_hour_rule(net: Net) -> None:
    n, r = net, net.r
    n.start_radvd()
    addr = autoconfigure(n)
    ll = n.radvd_ll()

    # radvd's final RA on SIGTERM has router lifetime 0: the router and its route go at once,
    # the prefix and the address stay.
    n.radvd.proc.send_signal(signal.SIGTERM)
    n.radvd.proc.wait(10)
    wait_until(lambda: r.tool("ndp", "-r").stdout == "", 10, "the router to be withdrawn")
    nr = r.tool("netstat", "-rn", "-f", "inet6").stdout
    assert not re.search(r"^default", nr, re.M), nr
    assert "autoconf" in inet6(r, addr)["flags"]

    # The prefix re-advertised with valid and preferred lifetime 0: RFC 4862 §5.5.3 (e)
    # keeps the address two more hours, deprecated, instead of removing it.
    sock = n.rt.packet_socket("eth0")
    ra = (Ether(src=n.rt.mac("eth0"), dst="33:33:00:00:00:01") / IPv6(src=ll, dst="ff02::1", hlim=255)
          / ICMPv6ND_RA(routerlifetime=0)
          / ICMPv6NDOptPrefixInfo(prefix=PREFIX, prefixlen=64, L=1, A=1, validlifetime=0,
                                  preferredlifetime=0))
    sock.send(bytes(ra))
    a = wait_until(lambda: (x := inet6(r, addr)) and "deprecated" in x["flags"] and x, 10,
                   "the address to be deprecated")
    assert 7100 < a["vltime"] <= 7200 and a["pltime"] == 0, a
    out = r.tool("ifconfig", "de0").stdout
    assert f"\tinet6 {addr} prefixlen 64 deprecated autoconf\n" in out, out
    p = r.tool("ndp", "-p").stdout
    assert re.fullmatch(r"2001:db8:1::/64 if=de0\n"
                        r"  flags=LA, vltime=0, pltime=0, expire=(1h59m\d+s|2h0m0s)\n"
                        r"  advertised by\n    \S+ \(.*\)\n", p), p
    # A second one cannot shorten the remaining two hours.
    accepted = counter(r, "ra_accepted")
    sock.send(bytes(ra))
    wait_until(lambda: counter(r, "ra_accepted") == accepted + 1, 5, "the second RA")
    again = inet6(r, addr)
    assert again["vltime"] <= a["vltime"] and again["vltime"] > 7100, (a, again)


def test_rtsold_m_resolicits_when_the_link_comes_back(net: Net) -> None:
    n, r = net, net.r
    assert r.tool("sysctl", "-w", "net.inet6.ip6.accept_rtadv=1").returncode == 0
    sock = n.rt.packet_socket("eth0")

    rtsold = n.lab.spawn([str(umitest.KAME_DIR / "rtsold"), "-f", "-m", "-d", "de0"], netns=r.ns,
                         name="rtsold", env={"UMIGAME_SOCKET": str(r.socket)})
    umitest.register_log("rtsold", rtsold.out_path)
    frame = sock.recv_until(is_rs, 5, "the first RS")
    # To all-routers, hop limit 255, from our link-local address, with our lladdr (§6.3.7).
    assert frame[0:6] == bytes.fromhex("333300000002") and frame[21] == 255
    assert ipaddress.IPv6Address(frame[22:38]).is_link_local
    # No router answers: three RSs, then the log line, and quiet.
    sock.recv_until(is_rs, 6, "the second RS")
    sock.recv_until(is_rs, 6, "the third RS")
    wait_until(lambda: "No answer after sending 3 RSs" in rtsold.output(), 8, "rtsold to give up")
    sock.drain()

    # Take the link down and up (the veth peer): rtsold -m notices and solicits again.
    n.rt.run(["ip", "link", "set", "eth0", "down"])
    wait_until(lambda: "status is changed from 1 to 0" in rtsold.output(), 10, "link down seen")
    n.rt.run(["ip", "link", "set", "eth0", "up"])
    sock.close()  # it holds ENETDOWN from the link going down
    sock = n.rt.packet_socket("eth0")
    wait_until(lambda: "status is changed from 0 to 1" in rtsold.output(), 10, "link up seen")
    sock.recv_until(is_rs, 10, "an RS after the link came back")
    out = rtsold.stop()
    assert "send RS on de0, whose state is 2" in out, out
    assert "kernel is configured" not in out, out


def test_rtsol_and_rtsold_command_lines(net: Net) -> None:
    r = net.r
    cp = r.tool("rtsol")
    assert cp.returncode == 1 and cp.stderr == "usage: rtsol [-dD] interfaces\n", describe(cp)
    cp = r.tool("rtsold", "-x", "de0")
    assert cp.returncode == 1 and cp.stderr == (
        "rtsold: illegal option -- x\nusage: rtsold [-dDfm1] interfaces\n"), describe(cp)
    cp = r.tool("rtsol", "-m", "de0")  # -m is rtsold's only
    assert cp.returncode == 1 and cp.stderr.endswith("usage: rtsol [-dD] interfaces\n"), describe(cp)
    cp = r.tool("rtsol", "de9")
    assert cp.returncode == 1 and cp.stderr == (
        "rtsol: kernel is configured not to accept RAs\n"
        "failed to get link layer information for de9\n"
        "rtsol: failed to initilize de9\n"), describe(cp)
    assert r.tool("sysctl", "-w", "net.inet6.ip6.forwarding=1").returncode == 0
    assert r.tool("sysctl", "-w", "net.inet6.ip6.accept_rtadv=1").returncode == 0
    cp = r.tool("rtsold", "-f", "-1", "de0", "de0")
    assert cp.returncode == 1 and cp.stderr == (
        "rtsold: kernel is configured as a router, not a host\n"
        "interface de0 was already cofigured\n"
        "rtsold: failed to initilize de0\n"), describe(cp)
    cp = r.tool("rtsol", "de0", user="nobody")
    assert cp.returncode == 1 and "permission denied" in cp.stderr, describe(cp)


def test_bad_router_advertisements_are_counted_and_dropped(net: Net) -> None:
    n, r = net, net.r
    assert r.tool("sysctl", "-w", "net.inet6.ip6.accept_rtadv=1").returncode == 0
    ll = n.radvd_ll()
    sock = n.rt.packet_socket("eth0")
    rt_mac = n.rt.mac("eth0")

    def ra(src: str = ll, hlim: int = 255):
        return Ether(src=rt_mac, dst="33:33:00:00:00:01") / IPv6(src=src, dst="ff02::1", hlim=hlim)

    def pio(prefix: str, plen: int = 64):
        return ICMPv6NDOptPrefixInfo(prefix=prefix, prefixlen=plen, L=1, A=0, validlifetime=3600,
                                     preferredlifetime=1800)

    cases = [
        ("ra_badhlim", bytes(ra(hlim=64) / ICMPv6ND_RA())),
        ("ra_badsrc", bytes(ra(src="2001:db8:1::1") / ICMPv6ND_RA())),
        # An MTU option cut to 4 octets (length 1 claims 8): a short option.
        ("ra_badopt", bytes(ra() / ICMPv6ND_RA() / Raw(b"\x05\x01\x00\x00"))),
        ("ra_badopt", bytes(ra() / ICMPv6ND_RA() / Raw(b"\x05\x00\x00\x00\x00\x00\x05\xc8"))),
        ("ra_invalid", bytes(ra() / ICMPv6ND_RA(code=1))),
        ("ra_badprefix", bytes(ra() / ICMPv6ND_RA(routerlifetime=0) / pio("2001:db8:77::", 130))),
    ]
    for reason, frame in cases:
        before = umitest.stats_flat(r)
        sock.send(frame)
        wait_until(lambda: umitest.stats_flat(r)[f"icmp6.{reason}"] == before[f"icmp6.{reason}"] + 1,
                   5, reason)
    assert r.tool("ndp", "-p").stdout == "" and r.tool("ndp", "-r").stdout == ""

    # 10,000 distinct prefixes (and as many routers): the lists stay bounded, the overflow
    # is counted, umigame keeps answering. Sent in batches the af_packet ring can hold.
    template = bytes(ra(src="fe80::1:0") / ICMPv6ND_RA(routerlifetime=600) / pio("2001:db8:100::"))
    before = umitest.stats_flat(r)
    sent = 0
    for batch in range(0, 10000, 200):
        for i in range(batch, batch + 200):
            sock.send(flood_frame(template, i))
            sent += 1
        wait_until(lambda: counter(r, "ra_accepted") - before["icmp6.ra_accepted"] == sent, 10,
                   f"{sent} flood RAs processed")
    after = umitest.stats_flat(r)
    assert after["icmp6.ra_prefix_full"] - before["icmp6.ra_prefix_full"] == 10000 - 64
    assert after["icmp6.ra_router_full"] - before["icmp6.ra_router_full"] == 10000 - 16
    assert len(r.request("prefixes")["prefixes"]) == 64
    assert len(r.request("default_routers")["routers"]) == 16
    # Still alive: Linux pings the router and ndp works.
    n.rt.wait_link_ready("eth0")
    ours = umitest.link_local_of(r, "de0")
    cp = n.rt.run(["ping", "-c", "1", "-W", "2", f"{ours}%eth0"], check=False)
    assert cp.returncode == 0, describe(cp)
    assert r.tool("ndp", "-R").returncode == 0
    assert r.tool("ndp", "-r").stdout == ""
    assert not re.search(r"^default", r.tool("netstat", "-rn", "-f", "inet6").stdout, re.M)
    assert "2001:db8:100:" in r.tool("netstat", "-rn", "-f", "inet6").stdout  # on-link routes
    assert r.tool("ndp", "-P").returncode == 0
    assert r.tool("ndp", "-p").stdout == ""
    nr = r.tool("netstat", "-rn", "-f", "inet6").stdout
    assert "2001:db8:100:" not in nr, nr


def test_rtsold_without_f_detaches_and_keeps_soliciting(net: Net) -> None:
    n, r = net, net.r
    assert r.tool("sysctl", "-w", "net.inet6.ip6.accept_rtadv=1").returncode == 0
    sock = n.rt.packet_socket("eth0")

    # As KAME's rtsold without -f: daemon(0, 0), the shell gets its prompt back at once.
    cp = r.tool("rtsold", "de0", timeout=10)
    assert cp.returncode == 0 and cp.stdout == "" and cp.stderr == "", describe(cp)
    sock.recv_until(is_rs, 5, "an RS from the detached rtsold")

    def detached() -> list[int]:
        pids = []
        listed = umitest.run(["ip", "netns", "pids", r.ns.name], check=False).stdout.split()
        for pid in map(int, listed):
            try:
                cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
            except OSError:
                continue
            if cmd and cmd[0].endswith(b"/rtsold"):
                pids.append(pid)
        return pids

    pids = wait_until(detached, 5, "the detached rtsold")
    assert len(pids) == 1, pids
    os.kill(pids[0], signal.SIGTERM)
    wait_until(lambda: not detached(), 5, "rtsold to exit")
