"""Malformed and hostile frames sent with scapy from the Linux side straight to the router's
MAC. Every frame must be refused and counted under its reason (exact counter deltas per
case), the ICMPv6 errors RFC 8200/4443 ask for must come back, nothing else may move, and
the router must keep answering ping and `ndp -a` afterwards."""

from __future__ import annotations

import socket
import struct
import time
from typing import Callable, NamedTuple

import pytest

import umitest
from umitest import describe, wait_until

pytest.importorskip("scapy")
from scapy.layers.inet import UDP  # noqa: E402
from scapy.layers.inet6 import (  # noqa: E402
    HBHOptUnknown, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, IPv6,
    IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop, Pad1, PadN)
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

OURS = "2001:db8:1::ff"
LINUX = "2001:db8:1::1"

# Counters that record a refused frame; together they must account for every bad frame.
DISCARD = ["ip6.toosmall", "ip6.tooshort", "ip6.badvers", "ip6.badsrc", "ip6.badoptions", "ip6.toomanyhdr",
           "ip6.nxthdr_unknown", "icmp6.tooshort", "icmp6.checksum", "icmp6.nd_badhlim", "icmp6.nd_badopt",
           "icmp6.nd_invalid"]
# Counters Linux's own background traffic (MLD reports, RS, NS/NA) may move meanwhile.
NOISE = {"ip6.total", "ip6.delivered", "ip6.localout", "ip6.notmember", "drop.ip6_not_member"}


class Peer(NamedTuple):
    r: umitest.Router
    h1: umitest.LinuxHost
    sock: umitest.PacketSocket
    our_mac: str
    linux_mac: str


class Case(NamedTuple):
    name: str
    build: Callable[[Peer, int], bytes]  # (peer, flow label) -> frame
    counts: dict[str, int]               # exact deltas of every non-noise counter
    icmp: tuple[int, int, int | None] | None = None  # (type, code, pointer) expected back


def counters(r: umitest.Router) -> dict[str, int]:
    st = r.request("stats")
    out = {f"ip6.{k}": v for k, v in st["ip6"].items()}
    out.update({f"icmp6.{k}": v for k, v in st["icmp6"].items()})
    for d in st["drops"]:
        out[f"drop.{d['reason']}"] = out.get(f"drop.{d['reason']}", 0) + d["count"]
    return out


def deltas(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in after
            if k not in NOISE and after.get(k, 0) != before.get(k, 0)}


def eth(p: Peer, dst_mac: str | None = None) -> Ether:
    return Ether(src=p.linux_mac, dst=dst_mac or p.our_mac)


def ip(p: Peer, fl: int, **kw) -> IPv6:
    return IPv6(**{"src": LINUX, "dst": OURS, "fl": fl, **kw})


def echo(p: Peer, fl: int, *ext, **kw) -> bytes:
    pkt = eth(p) / ip(p, fl, **kw)
    for h in ext:
        pkt = pkt / h
    return bytes(pkt / ICMPv6EchoRequest(id=0x5151, seq=fl & 0xFFFF, data=b"umitest!"))


def bad_checksum_echo(p: Peer, fl: int) -> bytes:
    good = Ether(echo(p, fl))
    good[ICMPv6EchoRequest].cksum = good[ICMPv6EchoRequest].cksum ^ 0x5A5A
    return bytes(good)


def ns(p: Peer, fl: int, *, hlim: int = 255, code: int = 0, opts: bytes | None = None, src: str = LINUX,
       dst: str = OURS, dst_mac: str | None = None) -> bytes:
    body = ICMPv6ND_NS(tgt=OURS, code=code)
    tail = Raw(opts) if opts is not None else ICMPv6NDOptSrcLLAddr(lladdr=p.linux_mac)
    return bytes(eth(p, dst_mac) / ip(p, fl, src=src, dst=dst, hlim=hlim) / body / tail)


SOLICITED_OURS = "ff02::1:ff00:ff"
CASES = [
    Case("ipv6-header-truncated", lambda p, fl: bytes(eth(p) / ip(p, fl))[:14 + 30],
         {"ip6.toosmall": 1, "drop.ip6_too_short": 1}),
    Case("payload-length-beyond-frame", lambda p, fl: echo(p, fl, plen=200),
         {"ip6.tooshort": 1, "drop.ip6_truncated": 1}),
    Case("version-4-in-ipv6-ethertype", lambda p, fl: echo(p, fl, version=4),
         {"ip6.badvers": 1, "drop.ip6_bad_version": 1}),
    Case("multicast-source", lambda p, fl: echo(p, fl, src="ff02::1"),
         {"ip6.badsrc": 1, "drop.ip6_src_multicast": 1}),
    Case("icmp6-truncated", lambda p, fl: bytes(eth(p) / ip(p, fl, nh=58) / Raw(b"\x80\x00")),
         {"icmp6.tooshort": 1}),
    Case("echo-bad-checksum", bad_checksum_echo, {"icmp6.checksum": 1}),
    Case("ns-hop-limit-64", lambda p, fl: ns(p, fl, hlim=64), {"icmp6.nd_badhlim": 1}),
    Case("ns-code-1", lambda p, fl: ns(p, fl, code=1), {"icmp6.nd_invalid": 1}),
    Case("ns-zero-length-option", lambda p, fl: ns(p, fl, opts=b"\x01\x00" + bytes(6)), {"icmp6.nd_badopt": 1}),
    Case("dad-ns-with-source-lladdr", lambda p, fl: ns(p, fl, src="::", dst=SOLICITED_OURS, dst_mac="33:33:ff:00:00:ff"),
         {"icmp6.nd_invalid": 1}),
    Case("na-truncated-option",
         lambda p, fl: bytes(eth(p) / ip(p, fl, hlim=255) / ICMPv6ND_NA(tgt=LINUX, R=0, S=1, O=1)
                             / Raw(b"\x02\x02" + bytes.fromhex(p.linux_mac.replace(":", "")))),
         {"icmp6.nd_badopt": 1}),
    Case("twenty-destination-options-headers", lambda p, fl: echo(p, fl, *[IPv6ExtHdrDestOpt() for _ in range(20)]),
         {"ip6.toomanyhdr": 1}),
    Case("hop-by-hop-not-first", lambda p, fl: echo(p, fl, IPv6ExtHdrDestOpt(), IPv6ExtHdrHopByHop()),
         {"ip6.badoptions": 1, "icmp6.error": 1}, (4, 1, 40)),
    Case("forty-pad1-options",
         lambda p, fl: echo(p, fl, IPv6ExtHdrDestOpt(options=[Pad1()] * 40 + [PadN(optdata=bytes(4))])),
         {"ip6.badoptions": 1}),
    Case("unknown-option-action-10",
         lambda p, fl: echo(p, fl, IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x9E, optdata=bytes(4))])),
         {"ip6.badoptions": 1, "icmp6.error": 1}, (4, 2, 42)),
    Case("unknown-option-action-10-to-multicast",  # RFC 4443 §2.4 (e.3): still reported
         lambda p, fl: bytes(eth(p, "33:33:00:00:00:01") / ip(p, fl, dst="ff02::1")
                             / IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x9E, optdata=bytes(4))])
                             / ICMPv6EchoRequest(id=0x5151, seq=fl & 0xFFFF)),
         {"ip6.badoptions": 1, "icmp6.error": 1}, (4, 2, 42)),
    Case("unknown-option-action-11-to-multicast",  # discarded without an error
         lambda p, fl: bytes(eth(p, "33:33:00:00:00:01") / ip(p, fl, dst="ff02::1")
                             / IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0xDE, optdata=bytes(4))])
                             / ICMPv6EchoRequest(id=0x5151, seq=fl & 0xFFFF)),
         {"ip6.badoptions": 1}),
    Case("unknown-next-header-253", lambda p, fl: bytes(eth(p) / ip(p, fl, nh=253) / Raw(bytes(8))),
         {"ip6.nxthdr_unknown": 1, "icmp6.error": 1}, (4, 1, 6)),
    Case("udp-to-us", lambda p, fl: bytes(eth(p) / ip(p, fl) / UDP(sport=40000, dport=9) / Raw(b"umitest")),
         {"icmp6.error": 1}, (1, 4, None)),
]
MALFORMED = [c for c in CASES if c.name != "udp-to-us"]


def error_matcher(fl: int, icmp: tuple[int, int, int | None]):
    """Matches an ICMPv6 error to LINUX quoting the packet we sent with flow label fl."""
    want_type, want_code, want_ptr = icmp

    def match(frame: bytes) -> bool:
        if len(frame) < 14 + 40 + 8 + 40 or frame[12:14] != b"\x86\xdd" or frame[14 + 6] != 58:
            return False
        if frame[14 + 24:14 + 40] != socket.inet_pton(socket.AF_INET6, LINUX):
            return False
        icmp6 = frame[54:]
        quoted_fl = struct.unpack("!I", icmp6[8:12])[0] & 0xFFFFF
        if quoted_fl != fl or icmp6[0] != want_type or icmp6[1] != want_code:
            return False
        return want_ptr is None or struct.unpack("!I", icmp6[4:8])[0] == want_ptr

    return match


@pytest.fixture
def peer(router_pair) -> Peer:
    r, h1 = router_pair.r, router_pair.h1
    h1.wait_link_ready("eth0")
    cp = r.tool("ifconfig", "de0", "inet6", OURS, "prefixlen", "64", "alias")
    assert cp.returncode == 0, describe(cp)

    def preferred():
        ifc = r.request("interfaces", {"name": "de0"})["interfaces"][0]
        return ifc if all(not a["flags"] for a in ifc["inet6"]) and len(ifc["inet6"]) == 2 else None

    ifc = wait_until(preferred, 15, "our addresses to be preferred")
    assert h1.ping(OURS).returncode == 0  # both neighbour caches filled
    return Peer(r, h1, h1.packet_socket("eth0"), ifc["ether"].lower(), h1.mac("eth0"))


def still_alive(p: Peer) -> None:
    cp = p.h1.ping(OURS, count=1)
    assert cp.returncode == 0, describe(cp)
    ndp = p.r.tool("ndp", "-a")
    assert ndp.returncode == 0 and LINUX in ndp.stdout, describe(ndp)
    ifc = p.r.request("interfaces", {"name": "de0"})["interfaces"][0]
    assert {a["addr"]: a["flags"] for a in ifc["inet6"]}[OURS] == [], ifc  # not made duplicated


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_frame_is_counted_and_answered_as_the_rfcs_say(peer, case):
    fl = 0xB0000 + CASES.index(case)
    frame = case.build(peer, fl)
    before = counters(peer.r)
    peer.sock.send(frame)
    if case.icmp is not None:
        peer.sock.recv_until(error_matcher(fl, case.icmp), 5, f"ICMPv6 {case.icmp} for {case.name}")
    seen: dict[str, int] = {}

    def accounted():
        seen.clear()
        seen.update(deltas(before, counters(peer.r)))
        return all(seen.get(k, 0) >= v for k, v in case.counts.items())

    try:
        wait_until(accounted, 5, f"counters {case.counts}")
    except umitest.WaitTimeout:
        pytest.fail(f"{case.name}: expected counter deltas {case.counts}, observed {seen}")
    assert seen == case.counts, f"{case.name}: expected exactly {case.counts}, observed {seen}"
    still_alive(peer)


def test_battery_back_to_back_is_fully_accounted_and_the_router_survives(peer):
    before = counters(peer.r)
    t0 = time.monotonic()
    for rounds in range(3):
        for i, case in enumerate(CASES):
            peer.sock.send(case.build(peer, 0xC0000 + 0x100 * rounds + i))
    want: dict[str, int] = {}
    for case in CASES:
        for k, v in case.counts.items():
            want[k] = want.get(k, 0) + 3 * v
    n_bad = 3 * len(MALFORMED)
    seen: dict[str, int] = {}

    def all_counted():
        seen.clear()
        seen.update(deltas(before, counters(peer.r)))
        return sum(seen.get(k, 0) for k in DISCARD) >= n_bad and seen.get("icmp6.error", 0) >= want["icmp6.error"]

    try:
        wait_until(all_counted, 10, f"{n_bad} refusals to be counted")
    except umitest.WaitTimeout:
        pytest.fail(f"after {3 * len(CASES)} frames: expected {want}, observed {seen}")
    assert sum(seen.get(k, 0) for k in DISCARD) == n_bad, seen
    still_alive(peer)

    # netstat prints the same numbers the stats request returned.
    st = peer.r.request("stats")
    out = peer.r.tool("netstat", "-s", "-p", "ip6", check=True).stdout
    for key, text in (("badvers", "with incorrect version number"), ("toosmall", "with size smaller than minimum"),
                      ("badoptions", "with bad options"), ("toomanyhdr", "packets discarded due to too may headers")):
        assert f"\t{st['ip6'][key]} {text}\n" in out, (key, out)
    # Last, because it names the reason of every refusal: each counter moved exactly as expected.
    assert seen == want, f"expected {want}, observed {seen} ({time.monotonic() - t0:.1f} s)"
