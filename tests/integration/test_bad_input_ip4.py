"""Malformed and unusual IPv4 and ARP frames, crafted with scapy on h1 and sent straight to the
router's de0 MAC (umitest.forwarding_net, forwarding on). Each frame must be counted under its
reason (exact deltas of the IPv4/ICMP/ARP counters and of the data-path drop reasons), the
ICMP errors RFC 792/1812 ask for must come back, nothing else may move, and the router must
keep answering ping and forwarding afterwards.

Reference for the counters: FreeBSD ip_input() (ips_toosmall, ips_badvers, ips_badhlen,
ips_badsum, ips_badlen = total length < header length, ips_tooshort = total length > frame,
ips_badoptions from ip_dooptions()), which `netstat -s -p ip` prints."""

from __future__ import annotations

import socket
import struct
from typing import Callable, NamedTuple

import pytest

import umitest
from umitest import H1_IP4, H2_IP4, R_H1_IP4, R_H2_IP4, describe, stats_delta, stats_flat, wait_until

pytest.importorskip("scapy")
from scapy.layers.inet import ICMP, IP, IPOption_RR  # noqa: E402
from scapy.layers.l2 import ARP, Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

TRACKED = ("ip.", "icmp.", "icmp_in.", "icmp_out.", "drop.ip4_", "drop.eth_", "drop.punt", "drop.tx")
# ip.total counts every IPv4 packet received, good or bad; checked on its own below.
UNTRACKED = {"ip.total"}


class Peer(NamedTuple):
    net: umitest.ForwardingNet
    sock: umitest.PacketSocket
    our_mac: str
    h1_mac: str


class Case(NamedTuple):
    name: str
    build: Callable[[Peer, int], bytes]  # (peer, IP id) -> frame
    counts: dict[str, int]               # exact deltas of every tracked counter
    icmp: tuple[int, int] | None = None  # (type, code) expected back at h1, quoting our IP id


def counters(r: umitest.Router) -> dict[str, int]:
    return {k: v for k, v in stats_flat(r).items() if k.startswith(TRACKED)}


def eth(p: Peer, ethertype: int = 0x0800) -> Ether:
    return Ether(src=p.h1_mac, dst=p.our_mac, type=ethertype)


def echo_to(dst: str, ident: int, **ip) -> IP:
    return IP(**{"src": H1_IP4, "dst": dst, "id": ident, "ttl": 64, **ip}) / ICMP(type=8, id=0x4242, seq=ident) \
        / Raw(b"umitest-ip4!")


def echo(p: Peer, ident: int, dst: str = R_H1_IP4, **ip) -> bytes:
    return bytes(eth(p) / echo_to(dst, ident, **ip))


def patched(p: Peer, ident: int, *, at: int, value: bytes, fix_checksum: bool = True, dst: str = R_H1_IP4) -> bytes:
    """A valid echo request with bytes of its IPv4 header overwritten (checksum recomputed
    unless told not to)."""
    frame = bytearray(echo(p, ident, dst=dst))
    frame[14 + at:14 + at + len(value)] = value
    if fix_checksum:
        hl = (frame[14] & 0x0F) * 4
        frame[14 + 10:14 + 12] = b"\0\0"
        hdr = bytes(frame[14:14 + max(hl, 20)])
        frame[14 + 10:14 + 12] = struct.pack("!H", inet_checksum(hdr))
    return bytes(frame)


def inet_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def bad_checksum(p: Peer, ident: int) -> bytes:
    frame = bytearray(echo(p, ident))
    frame[14 + 10] ^= 0x5A
    return bytes(frame)


def with_options(p: Peer, ident: int, options: bytes, dst: str = R_H1_IP4) -> bytes:
    """An echo request whose IPv4 header carries `options` raw (padded to 4 bytes with EOL)."""
    options += b"\0" * (-len(options) % 4)
    payload = bytes(ICMP(type=8, id=0x4242, seq=ident) / Raw(b"umitest-ip4!"))
    hl = 20 + len(options)
    hdr = bytearray(struct.pack("!BBHHHBBH4s4s", 0x40 | (hl // 4), 0, hl + len(payload), ident, 0, 64, 1, 0,
                                socket.inet_aton(H1_IP4), socket.inet_aton(dst)) + options)
    hdr[10:12] = struct.pack("!H", inet_checksum(bytes(hdr)))
    return bytes(eth(p)) + bytes(hdr) + payload


def arp(p: Peer, *, hwlen: int = 6, plen: int = 4, op: int = 1, psrc: str = H1_IP4, pdst: str = R_H1_IP4,
        hwsrc: str | None = None, cut: int | None = None) -> bytes:
    a = bytes(ARP(hwtype=1, ptype=0x0800, hwlen=6, plen=4, op=op, hwsrc=hwsrc or p.h1_mac, psrc=psrc,
                  hwdst="00:00:00:00:00:00", pdst=pdst))
    a = a[:4] + bytes([hwlen, plen]) + a[6:]
    if cut is not None:
        a = a[:cut]
    return bytes(Ether(src=p.h1_mac, dst="ff:ff:ff:ff:ff:ff", type=0x0806)) + a


ECHO_OK = {"ip.delivered": 1, "icmp_in.8": 1, "icmp_out.0": 1, "icmp.reflect": 1, "ip.localout": 1}
CASES = [
    Case("ip-header-truncated", lambda p, i: echo(p, i)[:14 + 12], {"ip.toosmall": 1, "drop.ip4_too_short": 1}),
    Case("version-6-in-ipv4-ethertype", lambda p, i: patched(p, i, at=0, value=b"\x65"),
         {"ip.badvers": 1, "drop.ip4_bad_version": 1}),
    Case("header-length-16", lambda p, i: patched(p, i, at=0, value=b"\x44"),
         {"ip.badhlen": 1, "drop.ip4_bad_hlen": 1}),
    Case("header-length-beyond-frame", lambda p, i: echo(p, i)[:14] + bytes([0x4F]) + echo(p, i)[15:14 + 40],
         {"ip.badhlen": 1, "drop.ip4_bad_hlen": 1}),
    Case("bad-header-checksum", bad_checksum, {"ip.badsum": 1, "drop.ip4_bad_checksum": 1}),
    Case("total-length-beyond-frame", lambda p, i: patched(p, i, at=2, value=struct.pack("!H", 400)),
         {"ip.tooshort": 1, "drop.ip4_bad_length": 1}),
    # FreeBSD: ip_len < hlen is ips_badlen ("with data length < header length"), not tooshort.
    Case("total-length-below-header-length", lambda p, i: patched(p, i, at=2, value=struct.pack("!H", 12)),
         {"ip.badlen": 1, "drop.ip4_len_below_header": 1}),
    Case("multicast-source", lambda p, i: echo(p, i, src="224.0.0.5"), {"ip.badsrc": 1, "drop.ip4_bad_src": 1}),
    # Well-formed options: the packet is ours and answered.
    Case("nop-options-to-us", lambda p, i: with_options(p, i, b"\x01\x01\x01\x00"), ECHO_OK, (0, 0)),
    Case("record-route-to-us", lambda p, i: bytes(eth(p) / echo_to(R_H1_IP4, i, options=[IPOption_RR(
        routers=["0.0.0.0"] * 2)])), ECHO_OK, (0, 0)),
    # Malformed option lengths (RFC 791/1812 option format; FreeBSD ip_dooptions() answers a
    # Parameter Problem pointing at the option and counts ips_badoptions).
    Case("option-length-0", lambda p, i: with_options(p, i, b"\x07\x00\x04\x00"),
         {"ip.badoptions": 1, "icmp.error": 1, "icmp_out.12": 1, "ip.localout": 1}, (12, 0)),
    Case("option-length-beyond-header", lambda p, i: with_options(p, i, b"\x07\x27\x04\x00"),
         {"ip.badoptions": 1, "icmp.error": 1, "icmp_out.12": 1, "ip.localout": 1}, (12, 0)),
    Case("timestamp-length-3", lambda p, i: with_options(p, i, b"\x44\x03\x05\x00"),
         {"ip.badoptions": 1, "icmp.error": 1, "icmp_out.12": 1, "ip.localout": 1}, (12, 0)),
    # Source routes are not honoured (BSD's net.inet.ip.sourceroute=0 on a router): ICMP
    # "source route failed", counted as bad options, whether the packet is for us or not.
    Case("loose-source-route-to-forward",
         lambda p, i: with_options(p, i, b"\x83\x07\x04" + socket.inet_aton(H2_IP4), dst=R_H1_IP4),
         {"ip.badoptions": 1, "icmp.error": 1, "icmp_out.3": 1, "ip.localout": 1}, (3, 5)),
    Case("strict-source-route-through-us",
         lambda p, i: with_options(p, i, b"\x89\x07\x04" + socket.inet_aton(R_H1_IP4), dst=H2_IP4),
         {"ip.badoptions": 1, "icmp.error": 1, "icmp_out.3": 1, "ip.localout": 1}, (3, 5)),
    # RFC 1812 §4.2.2.9: TTL 0 or 1 is no reason to drop a packet for the router itself.
    Case("ttl-0-to-us", lambda p, i: echo(p, i, ttl=0), ECHO_OK, (0, 0)),
    Case("ttl-0-to-forward", lambda p, i: echo(p, i, dst=H2_IP4, ttl=0),
         {"ip.cantforward": 1, "icmp.error": 1, "icmp_out.11": 1, "ip.localout": 1}, (11, 0)),
    Case("udp-to-us", lambda p, i: bytes(eth(p) / IP(src=H1_IP4, dst=R_H1_IP4, id=i, proto=17)
                                         / Raw(struct.pack("!HHHH", 40000, 9, 16, 0) + b"umitest!")),
         {"ip.delivered": 1, "icmp.error": 1, "icmp_out.3": 1, "ip.localout": 1}, (3, 3)),
    Case("unknown-protocol-253", lambda p, i: bytes(eth(p) / IP(src=H1_IP4, dst=R_H1_IP4, id=i, proto=253)
                                                    / Raw(bytes(8))),
         {"ip.delivered": 1, "ip.noproto": 1, "icmp.error": 1, "icmp_out.3": 1, "ip.localout": 1}, (3, 2)),
    Case("icmp-bad-checksum", lambda p, i: (lambda f: f[:-1] + bytes([f[-1] ^ 0xFF]))(echo(p, i)),
         {"ip.delivered": 1, "icmp.checksum": 1}),
    Case("icmp-truncated", lambda p, i: bytes(eth(p) / IP(src=H1_IP4, dst=R_H1_IP4, id=i, proto=1) / Raw(b"\x08\x00")),
         {"ip.delivered": 1, "icmp.tooshort": 1}),
    # ARP (RFC 826) for Ethernet/IPv4 only: hardware length 6, protocol length 4, op 1 or 2.
    Case("arp-hardware-length-8", lambda p, i: arp(p, hwlen=8), {"icmp.arp_badlen": 1}),
    Case("arp-protocol-length-6", lambda p, i: arp(p, plen=6), {"icmp.arp_badlen": 1}),
    Case("arp-truncated", lambda p, i: arp(p, cut=20), {"icmp.arp_badlen": 1}),
    Case("arp-opcode-3", lambda p, i: arp(p, op=3), {"icmp.arp_badlen": 1}),
    Case("arp-multicast-sender", lambda p, i: arp(p, hwsrc="01:00:5e:00:00:01"), {"icmp.arp_badlen": 1}),
    Case("arp-claims-our-address", lambda p, i: arp(p, psrc=R_H1_IP4, pdst=R_H1_IP4), {"icmp.arp_conflict": 1}),
]
# Counters that record a refused frame: together they account for every bad frame once.
REFUSALS = ["ip.toosmall", "ip.badvers", "ip.badhlen", "ip.badsum", "ip.tooshort", "ip.badlen", "ip.badsrc",
            "icmp.checksum", "icmp.tooshort", "icmp.arp_badlen", "icmp.arp_conflict"]
IP_CASES = {c.name for c in CASES if not c.name.startswith("arp-")}


def icmp_matcher(ident: int, want: tuple[int, int]):
    """An ICMP message to h1 of type/code `want` about our packet with IP id `ident` (for an
    echo reply: the reply to our request, seq = ident)."""
    want_type, want_code = want

    def match(frame: bytes) -> bool:
        p = Ether(frame)
        if IP not in p or ICMP not in p or p[IP].dst != H1_IP4:
            return False
        ic = p[ICMP]
        if (ic.type, ic.code) != want:
            return False
        if want_type == 0:
            return ic.id == 0x4242 and ic.seq == ident
        if want_type == 12 and ic.ptr not in (20, 21):  # the bad option, or its length octet
            return False
        quoted = bytes(ic.payload)
        return len(quoted) >= 20 and struct.unpack("!H", quoted[4:6])[0] == ident

    return match


@pytest.fixture
def peer(lab, umigamed_bin) -> Peer:
    net = umitest.forwarding_net(lab)
    # Both neighbour caches filled, and both ways through the router work.
    assert net.h1.ping(R_H1_IP4).returncode == 0
    assert net.h1.ping(H2_IP4).returncode == 0
    our_mac = net.r.request("interfaces", {"name": "de0"})["interfaces"][0]["ether"].lower()
    return Peer(net, net.h1.packet_socket("eth0"), our_mac, net.h1.mac("eth0"))


def still_alive(p: Peer) -> None:
    r, h1 = p.net.r, p.net.h1
    assert r.running(), "umigamed died"
    cp = h1.ping(R_H1_IP4)
    assert cp.returncode == 0, describe(cp)
    cp = h1.ping(H2_IP4)
    assert cp.returncode == 0, describe(cp)
    arp_a = r.tool("arp", "-a")
    assert arp_a.returncode == 0 and f"({H1_IP4}) at " in arp_a.stdout, describe(arp_a)
    ifc = r.tool("ifconfig", "de0", check=True).stdout
    assert f"\tinet {R_H1_IP4} netmask 0xffffff00 " in ifc, ifc


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_ipv4_or_arp_frame_is_counted_and_answered(peer, case):
    ident = 0x5100 + CASES.index(case)
    frame = case.build(peer, ident)
    before = counters(peer.net.r)
    total_before = stats_flat(peer.net.r).get("ip.total", 0)
    peer.sock.drain()
    peer.sock.send(frame)
    if case.icmp is not None:
        try:
            peer.sock.recv_until(icmp_matcher(ident, case.icmp), 5, f"ICMP {case.icmp} for {case.name}")
        except umitest.WaitTimeout as e:
            pytest.fail(f"{case.name}: {e}; counters that moved: {stats_delta(before, counters(peer.net.r))}")
    seen: dict[str, int] = {}

    def accounted() -> bool:
        seen.clear()
        seen.update({k: v for k, v in stats_delta(before, counters(peer.net.r)).items() if k not in UNTRACKED})
        return all(seen.get(k, 0) >= v for k, v in case.counts.items())

    try:
        wait_until(accounted, 5, f"counters {case.counts}")
    except umitest.WaitTimeout:
        pytest.fail(f"{case.name}: expected counter deltas {case.counts}, observed {seen}")
    assert seen == case.counts, f"{case.name}: expected exactly {case.counts}, observed {seen}"
    if case.name in IP_CASES:
        assert stats_flat(peer.net.r).get("ip.total", 0) - total_before == 1, "ip.total must count every packet"
    still_alive(peer)


def test_ipv4_options_are_forwarded_and_record_route_records_the_router(peer):
    """A forwarded echo request with a Record Route option (RFC 791 §3.1): it reaches h2 with
    TTL - 1 and a valid checksum, and the router has written its outgoing address into the
    first free slot (RFC 791 "Record Route"; FreeBSD ip_dooptions() IPOPT_RR)."""
    h2_sock = peer.net.h2.packet_socket("eth0")
    ident = 0x5200
    peer.sock.send(bytes(eth(peer) / echo_to(H2_IP4, ident, ttl=9, options=[IPOption_RR(routers=["0.0.0.0"] * 3)])))

    def arrived(frame: bytes):
        p = Ether(frame)
        return p if IP in p and p[IP].id == ident and p[IP].src == H1_IP4 else None

    p = Ether(h2_sock.recv_until(arrived, 5, "the echo request with options on h2"))
    ip = p[IP]
    assert ip.ttl == 8 and ip.ihl == 9, ip.show(dump=True)  # 20 + RR (15) + EOL, in 4-byte words
    raw = bytes(ip)[:ip.ihl * 4]
    assert inet_checksum(raw) == 0, f"bad header checksum on the forwarded packet: {raw.hex()}"
    rr = raw[20:]
    assert rr[0] == 7 and rr[1] == 15, rr.hex()
    assert (rr[2], socket.inet_ntoa(rr[3:7])) == (8, R_H2_IP4), \
        f"record route not updated by the router: pointer {rr[2]}, slots {rr[3:15].hex()}"


def test_bursts_of_bad_frames_are_all_counted_and_the_router_survives(peer):
    bad = [c for c in CASES if c.icmp is None]
    before = counters(peer.net.r)
    rounds = 20
    for n in range(rounds):
        for i, case in enumerate(bad):
            peer.sock.send(case.build(peer, 0x6000 + 0x40 * n + i))
    want: dict[str, int] = {}
    for case in bad:
        for k, v in case.counts.items():
            want[k] = want.get(k, 0) + rounds * v
    n_bad = rounds * len(bad)
    seen: dict[str, int] = {}

    def counted() -> bool:
        seen.clear()
        seen.update({k: v for k, v in stats_delta(before, counters(peer.net.r)).items() if k not in UNTRACKED})
        return sum(seen.get(k, 0) for k in REFUSALS) >= n_bad

    try:
        wait_until(counted, 10, f"{n_bad} bad frames to be counted")
    except umitest.WaitTimeout:
        pytest.fail(f"expected {want}, observed {seen}")
    assert sum(seen.get(k, 0) for k in REFUSALS) == n_bad, seen
    still_alive(peer)
    # netstat -s -p ip prints the numbers the stats request returns.
    st = peer.net.r.request("stats")["ip"]
    out = peer.net.r.tool("netstat", "-s", "-p", "ip", check=True).stdout
    for key, text in (("badsum", "bad header checksums"), ("toosmall", "with size smaller than minimum"),
                      ("badhlen", "with header length < data size"), ("badvers", "with incorrect version number")):
        assert f"\t{st[key]} {text}\n" in out, (key, out)
    # Last, because it names the reason of every refusal: each counter moved exactly as expected.
    assert seen == want, f"expected exactly {want}, observed {seen}"


def test_forwarded_frames_keep_their_order_within_each_family(peer):
    """Frames the fast path forwards (through the gateway h2 of a static route) and frames
    it leaves to the full input path, which forwards them on the worker too (to h2 itself,
    on the connected link), IPv4 and IPv6 interleaved and sent back to back so that they
    share RX bursts, reach h2's link in the order h1 sent them within each family (a worker
    finishes IPv4 frames before the IPv6 frames of the same burst; within a family no frame
    may overtake another)."""
    from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6

    net = peer.net
    assert net.h1.ping(umitest.H2_IP6).returncode == 0  # IPv6 neighbours resolved both ways
    net.r.tool("route", "add", "-inet6", "2001:db8:99::", "-prefixlen", "64", umitest.H2_IP6, check=True)
    net.r.tool("route", "add", "-inet", "192.0.2.0/24", H2_IP4, check=True)
    h2_sock = net.h2.packet_socket("eth0")
    rounds = 40
    frames: list[bytes] = []
    for k in range(rounds):
        for extra, dst4, dst6 in ((0, "192.0.2.7", "2001:db8:99::7"), (0x100, H2_IP4, umitest.H2_IP6)):
            seq = 0x7000 + k + extra
            frames.append(bytes(eth(peer) / echo_to(dst4, seq)))
            frames.append(bytes(eth(peer, 0x86DD) / IPv6(src=umitest.H1_IP6, dst=dst6, hlim=64)
                                / ICMPv6EchoRequest(id=0x4343, seq=seq) / Raw(b"order")))
    got4: list[int] = []
    got6: list[int] = []

    def collect(frame: bytes) -> bool:
        p = Ether(frame)
        if IP in p and p[IP].src == H1_IP4 and ICMP in p and p[ICMP].type == 8 and p[ICMP].id == 0x4242:
            got4.append(p[IP].id)
        elif ICMPv6EchoRequest in p and p[ICMPv6EchoRequest].id == 0x4343 and p[IPv6].src == umitest.H1_IP6:
            got6.append(p[ICMPv6EchoRequest].seq)
        return len(got4) + len(got6) >= len(frames)

    for f in frames:
        peer.sock.send(f)
    try:
        h2_sock.recv_until(collect, 10, f"{len(frames)} forwarded frames")
    except umitest.WaitTimeout as e:
        pytest.fail(f"{e}: IPv4 ids {[hex(i) for i in got4]}, IPv6 seqs {[hex(s) for s in got6]}")
    sent = [0x7000 + k + extra for k in range(rounds) for extra in (0, 0x100)]
    assert got4 == sent, f"IPv4 frames reordered: {[hex(i) for i in got4]}"
    assert got6 == sent, f"IPv6 frames reordered: {[hex(s) for s in got6]}"
    still_alive(peer)
