"""umigame as a router between two Linux hosts, in both families:

    Linux h1 [eth0] -- [de0] umigame r1 [de1] -- [eth0] Linux h2
    2001:db8:1::1    2001:db8:1::ff | 2001:db8:2::ff    2001:db8:2::1
    198.51.100.1     198.51.100.254 | 203.0.113.254     203.0.113.1

(umitest.forwarding_net; the Linux hosts' default routes point at the router). The Linux
kernels are the judges: their ping prints what the router's ICMP errors said, their route
cache shows the path MTU and redirects they accepted, their traceroute6 lists the hops.
Chained routers (umitest.router_chain: h1 -- r1 -- r2 -- h2) check umigame's own
traceroute6/traceroute."""

from __future__ import annotations

import re

import pytest

import umitest
from umitest import (H1_IP4, H1_IP6, H2_IP4, H2_IP6, R_H1_IP4, R_H1_IP6, R2_MID_IP4, R2_MID_IP6,
                     describe, stats_delta, stats_flat, wait_until)

REPLY = re.compile(r"^64 bytes from (\S+): icmp_seq=(\d+) ttl=(\d+) ", re.M)
NO_ROUTE6, NO_ROUTE4 = "2001:db8:99::1", "192.0.2.99"  # documentation addresses nobody routes


@pytest.fixture
def net(lab, umigamed_bin) -> umitest.ForwardingNet:
    return umitest.forwarding_net(lab)


@pytest.fixture
def net1400(lab, umigamed_bin) -> umitest.ForwardingNet:
    """The same, with the r1-h2 veth at MTU 1400 on both ends before the router starts."""
    return umitest.forwarding_net(lab, h2_mtu=1400)


@pytest.fixture
def chain(lab, umigamed_bin) -> umitest.RouterChain:
    return umitest.router_chain(lab)


def quiet_linux_errors(*hosts: umitest.LinuxHost) -> None:
    """Lift Linux's ICMP error rate limits, so a traceroute's every probe gets its answer."""
    for h in hosts:
        h.ns.sysctl("net.ipv6.icmp.ratelimit", 0)
        h.ns.sysctl("net.ipv4.icmp_ratelimit", 0)


def ping_lines(cp) -> list[tuple[str, int, int]]:
    return [(m[1], int(m[2]), int(m[3])) for m in REPLY.finditer(cp.stdout)]


# --- plain forwarding ---------------------------------------------------------------------------


@pytest.mark.parametrize("dst", [H2_IP6, H2_IP4], ids=["ipv6", "ipv4"])
def test_h1_pings_h2_through_the_router(net, dst):
    cp = net.h1.ping(dst, count=3, args=["-i", "0.2"])
    assert cp.returncode == 0, describe(cp)
    # h2 answers with 64; the router takes one off on the way back.
    assert ping_lines(cp) == [(dst, n, 63) for n in (1, 2, 3)], cp.stdout
    assert " 3 received, 0% packet loss" in cp.stdout, cp.stdout
    # ... and h2 answers h1 the same way (the router forwards in both directions).
    back = net.h2.ping(H1_IP6 if ":" in dst else H1_IP4, count=2, args=["-i", "0.2"])
    assert back.returncode == 0 and " 2 received" in back.stdout, describe(back)


def test_ipv6_hop_limit_is_decremented_by_one_on_the_wire(net):
    from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6
    from scapy.layers.l2 import Ether

    sock = net.h2.packet_socket("eth0")

    def request(frame: bytes):
        p = Ether(frame)
        return p if IPv6 in p and ICMPv6EchoRequest in p and p[IPv6].src == H1_IP6 else None

    cp = net.h1.ping(H2_IP6, args=["-t", "20"])
    assert cp.returncode == 0, describe(cp)
    p = Ether(sock.recv_until(request, 5, "h1's echo request on h2"))
    assert p[IPv6].hlim == 19, p.show(dump=True)
    assert p[IPv6].dst == H2_IP6 and p.dst == net.h2.mac("eth0"), p.show(dump=True)


def test_ipv4_ttl_is_decremented_by_one_with_a_valid_checksum(net):
    from scapy.layers.inet import ICMP, IP
    from scapy.layers.l2 import Ether

    sock = net.h2.packet_socket("eth0")

    def request(frame: bytes):
        p = Ether(frame)
        return p if IP in p and ICMP in p and p[ICMP].type == 8 and p[IP].src == H1_IP4 else None

    cp = net.h1.ping(H2_IP4, args=["-t", "20"])
    assert cp.returncode == 0, describe(cp)
    p = Ether(sock.recv_until(request, 5, "h1's echo request on h2"))
    assert p[IP].ttl == 19, p.show(dump=True)
    got = p[IP].chksum
    fresh = IP(bytes(p[IP]))
    del fresh.chksum
    assert IP(bytes(fresh)).chksum == got, f"header checksum {got:#06x} is not the header's checksum"


@pytest.mark.parametrize("family", ["inet6", "inet"])
def test_forwarded_packets_are_counted_as_forwarded_not_as_our_own(net, family):
    """Every forwarded packet counts under ip(6).forward; the router itself originates no echo
    traffic here, so its ICMP output histogram must not move for echo types. The first request
    waits for h2's address resolution: it is still a forwarded packet."""
    r = net.r
    v6 = family == "inet6"
    before = stats_flat(r)
    cp = net.h1.ping(H2_IP6 if v6 else H2_IP4, count=3, args=["-i", "0.2"])
    assert cp.returncode == 0 and " 3 received" in cp.stdout, describe(cp)
    d = stats_delta(before, stats_flat(r))
    fwd = "ip6.forward" if v6 else "ip.forward"
    echo = ["icmp6_out.128", "icmp6_out.129"] if v6 else ["icmp_out.8", "icmp_out.0"]
    assert {k: d.get(k, 0) for k in echo} == {k: 0 for k in echo}, f"echo counted as our own output: {d}"
    assert d.get(fwd, 0) == 6, f"expected {fwd} +6 (3 requests, 3 replies), observed {d}"
    # The route's Use column counts them too (netstat -nrl).
    routes = r.request("routes", {"family": family})["routes"]
    to_h2 = next(x for x in routes if x["dest"] == ("2001:db8:2::" if v6 else "203.0.113.0"))
    assert to_h2["use"] >= 3, to_h2


# --- ICMP errors the Linux sender sees ----------------------------------------------------------


def test_hop_limit_1_yields_time_exceeded_from_the_router(net):
    before = stats_flat(net.r)
    cp = net.h1.ping(H2_IP6, args=["-t", "1"], wait=3)
    assert cp.returncode != 0, describe(cp)
    assert f"From {R_H1_IP6} icmp_seq=1 Time exceeded: Hop limit" in cp.stdout, describe(cp)
    d = stats_delta(before, stats_flat(net.r))
    assert d.get("icmp6_out.3") == 1 and d.get("icmp6.error") == 1, d
    assert d.get("ip6.forward", 0) == 0, d


def test_ttl_1_yields_time_exceeded_from_the_router(net):
    before = stats_flat(net.r)
    cp = net.h1.ping(H2_IP4, args=["-t", "1"], wait=3)
    assert cp.returncode != 0, describe(cp)
    assert f"From {R_H1_IP4} icmp_seq=1 Time to live exceeded" in cp.stdout, describe(cp)
    d = stats_delta(before, stats_flat(net.r))
    assert d.get("icmp_out.11") == 1, d
    assert d.get("ip.forward", 0) == 0, d


def test_no_route_yields_destination_unreachable_no_route(net):
    before = stats_flat(net.r)
    cp = net.h1.ping(NO_ROUTE6, wait=3)
    assert cp.returncode != 0, describe(cp)
    assert f"From {R_H1_IP6} icmp_seq=1 Destination unreachable: No route" in cp.stdout, describe(cp)
    d = stats_delta(before, stats_flat(net.r))
    assert d.get("ip6.noroute") == 1 and d.get("icmp6_out.1") == 1, d


def test_no_route_yields_net_unreachable(net):
    before = stats_flat(net.r)
    cp = net.h1.ping(NO_ROUTE4, wait=3)
    assert cp.returncode != 0, describe(cp)
    assert f"From {R_H1_IP4} icmp_seq=1 Destination Net Unreachable" in cp.stdout, describe(cp)
    d = stats_delta(before, stats_flat(net.r))
    assert d.get("ip.noroute") == 1 and d.get("icmp_out.3") == 1, d


def test_reject_route_yields_administratively_prohibited(net):
    cp = net.r.tool("route", "add", "-inet6", "2001:db8:98::", "-prefixlen", "48", "::1", "-reject")
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout == "add net 2001:db8:98::: gateway ::1\n", describe(cp)
    ping = net.h1.ping("2001:db8:98::1", wait=3)
    assert ping.returncode != 0, describe(ping)
    assert f"From {R_H1_IP6} icmp_seq=1 Destination unreachable: Administratively prohibited" in ping.stdout, \
        describe(ping)
    # Deleting the reject route turns it back into "no route".
    assert net.r.tool("route", "delete", "-inet6", "2001:db8:98::", "-prefixlen", "48").returncode == 0
    again = net.h1.ping("2001:db8:98::1", wait=3)
    assert "Destination unreachable: No route" in again.stdout, describe(again)


def test_ipv4_reject_route_is_refused_with_an_icmp_error(net):
    cp = net.r.tool("route", "add", "-inet", "192.0.2.0/24", "127.0.0.1", "-reject")
    assert cp.returncode == 0, describe(cp)
    ping = net.h1.ping("192.0.2.5", wait=3)
    assert ping.returncode != 0, describe(ping)
    # RFC 1812 §5.2.7.1: communication administratively prohibited (code 13, iputils "Packet
    # filtered"); BSD's reject route answered host unreachable (code 1). Either, from the router.
    assert re.search(rf"^From {re.escape(R_H1_IP4)} icmp_seq=1 (Packet filtered|Destination Host Unreachable)$",
                     ping.stdout, re.M), describe(ping)


@pytest.mark.parametrize("family", ["inet6", "inet"])
def test_blackhole_route_drops_silently_and_counts(net, family):
    v6 = family == "inet6"
    cp = (net.r.tool("route", "add", "-inet6", "2001:db8:97::", "-prefixlen", "48", "::1", "-blackhole") if v6
          else net.r.tool("route", "add", "-inet", "192.0.2.0/24", "127.0.0.1", "-blackhole"))
    assert cp.returncode == 0, describe(cp)
    before = stats_flat(net.r)
    ping = net.h1.ping("2001:db8:97::1" if v6 else "192.0.2.5", count=2, wait=1, args=["-i", "0.2"])
    assert ping.returncode != 0, describe(ping)
    assert "From " not in ping.stdout, describe(ping)  # no ICMP error
    reason = "drop.ip6_blackhole" if v6 else "drop.ip4_blackhole"
    d: dict[str, int] = {}

    def counted() -> bool:
        d.clear()
        d.update(stats_delta(before, stats_flat(net.r)))
        return d.get(reason, 0) >= 2

    wait_until(counted, 5, f"{reason} to count 2")
    assert d[reason] == 2, d
    errors = {"icmp6_out.1", "icmp6_out.2", "icmp6_out.3", "icmp6_out.4", "icmp_out.3", "icmp_out.11", "icmp_out.12"}
    assert not set(d) & errors, f"an ICMP error was sent: {d}"


# --- path MTU ---------------------------------------------------------------------------------


def test_port_mtu_is_read_from_the_link(net1400):
    """The DPDK port's MTU is the veth's (1400, set before the router started)."""
    cp = net1400.r.tool("ifconfig", "de1", check=True)
    first = cp.stdout.splitlines()[0]
    assert first == "de1: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1400", cp.stdout
    assert net1400.r.tool("ifconfig", "de0", check=True).stdout.splitlines()[0].endswith(" mtu 1500")


def test_packet_too_big_lowers_linux_path_mtu(net1400):
    h1 = net1400.h1
    before = stats_flat(net1400.r)
    cp = h1.ping(H2_IP6, args=["-s", "1450", "-M", "do"], wait=3)
    assert f"From {R_H1_IP6} icmp_seq=1 Packet too big: mtu=1400" in cp.stdout, \
        f"{describe(cp)}\nrouter counters that moved: {stats_delta(before, stats_flat(net1400.r))}"

    def cached_mtu():
        out = h1.run(["ip", "-6", "route", "get", H2_IP6]).stdout
        return out if re.search(r"\bmtu 1400\b", out) else None

    wait_until(cached_mtu, 5, "h1's route to h2 to carry mtu 1400")
    # Now Linux fragments at the source and the big ping goes through.
    big = h1.ping(H2_IP6, args=["-s", "1450"], wait=3)
    assert big.returncode == 0, describe(big)
    assert net1400.h1.ping(H2_IP6, args=["-s", "1300", "-M", "do"]).returncode == 0


def test_fragmentation_needed_lowers_linux_path_mtu(net1400):
    h1 = net1400.h1
    cp = h1.ping(H2_IP4, args=["-s", "1450", "-M", "do"], wait=3)
    assert f"From {R_H1_IP4} icmp_seq=1 Frag needed and DF set (mtu = 1400)" in cp.stdout, describe(cp)

    def cached_mtu():
        out = h1.run(["ip", "-4", "route", "get", H2_IP4]).stdout
        return out if re.search(r"\bmtu 1400\b", out) else None

    wait_until(cached_mtu, 5, "h1's route to h2 to carry mtu 1400")


def test_ipv4_without_df_is_fragmented_by_the_router(net1400):
    before = stats_flat(net1400.r)
    cp = net1400.h1.ping(H2_IP4, args=["-s", "1450", "-M", "dont"], wait=3)
    assert cp.returncode == 0, describe(cp)
    assert re.search(rf"^1458 bytes from {re.escape(H2_IP4)}: icmp_seq=1 ttl=63 ", cp.stdout, re.M), cp.stdout
    d = stats_delta(before, stats_flat(net1400.r))
    assert d.get("ip.fragmented", 0) >= 1 and d.get("ip.ofragments", 0) >= 2, d


def test_fragmented_ipv4_ping_to_the_router_is_answered_with_fragments(net):
    """Linux fragments a 1800-byte echo request to the router; the router answers and
    fragments its reply to the 1500-byte link MTU, which Linux reassembles.

    On net_af_packet ports the kernel itself reassembles IPv4 before the router sees it
    (DPDK opens its sockets with PACKET_FANOUT_FLAG_DEFRAG), so the router's own
    reassembly (RFC 791 §3.2) is proven by the node's unit tests; datagrams larger than
    the af_packet frame (2048 bytes) cannot arrive whole on such ports at all."""
    before = stats_flat(net.r)
    cp = net.h1.ping(R_H1_IP4, args=["-s", "1800", "-M", "dont"], wait=3)
    assert cp.returncode == 0, describe(cp)
    assert re.search(rf"^1808 bytes from {re.escape(R_H1_IP4)}: icmp_seq=1 ttl=64 ", cp.stdout, re.M), cp.stdout
    d = stats_delta(before, stats_flat(net.r))
    assert d.get("ip.fragmented", 0) == 1 and d.get("ip.ofragments", 0) == 2, d


# --- traceroute -----------------------------------------------------------------------------------

HOP = re.compile(r"^ ?(\d+)  (\S+)  ", re.M)


def hops(out: str) -> dict[int, str]:
    """hop number -> first responder, from a traceroute listing (numeric)."""
    return {int(m[1]): m[2] for m in HOP.finditer(out)}


def test_linux_traceroute6_shows_the_router_then_h2(net):
    quiet_linux_errors(net.h2)
    cp = net.h1.run(["rltraceroute6", "-n", "-w", "2", H2_IP6], check=False, timeout=60)
    assert cp.returncode == 0, describe(cp)
    assert hops(cp.stdout) == {1: R_H1_IP6, 2: H2_IP6}, describe(cp)
    assert " * " not in cp.stdout and not cp.stdout.rstrip().endswith("*"), describe(cp)


def test_linux_icmp_traceroute6_shows_the_router_then_h2(net):
    quiet_linux_errors(net.h2)
    cp = net.h1.run(["rltraceroute6", "-I", "-n", "-w", "2", H2_IP6], check=False, timeout=60)
    assert cp.returncode == 0, describe(cp)
    assert hops(cp.stdout) == {1: R_H1_IP6, 2: H2_IP6}, describe(cp)


TR_ROW = re.compile(r"^ ?(\d+)  (\S+)((?:  [0-9.]+ ms)+)$")


def test_umigame_traceroute6_through_a_second_router(chain):
    quiet_linux_errors(chain.h2)
    cp = chain.r1.tool("traceroute6", "-n", "-w", "2", H2_IP6, timeout=60)
    assert cp.returncode == 0, describe(cp)
    assert cp.stderr == f"traceroute6 to {H2_IP6} ({H2_IP6}), 30 hops max, 12 byte packets\n", describe(cp)
    rows = [TR_ROW.match(line) for line in cp.stdout.splitlines()]
    assert all(rows), describe(cp)
    assert [(int(m[1]), m[2], m[3].count(" ms")) for m in rows] == [(1, R2_MID_IP6, 3), (2, H2_IP6, 3)], cp.stdout


def test_umigame_traceroute6_l_prints_name_and_address(chain):
    quiet_linux_errors(chain.h2)
    cp = chain.r1.tool("traceroute6", "-l", "-q", "1", "-w", "2", H2_IP6, timeout=60)
    assert cp.returncode == 0, describe(cp)
    lines = cp.stdout.splitlines()
    assert len(lines) == 2, cp.stdout
    # No names resolve for documentation addresses: the name column falls back to the number.
    assert re.match(rf"^ 1  {re.escape(R2_MID_IP6)} \({re.escape(R2_MID_IP6)}\)  [0-9.]+ ms$", lines[0]), cp.stdout
    assert re.match(rf"^ 2  {re.escape(H2_IP6)} \({re.escape(H2_IP6)}\)  [0-9.]+ ms$", lines[1]), cp.stdout


def test_umigame_traceroute6_icmp_probes(chain):
    cp = chain.r1.tool("traceroute6", "-n", "-I", "-q", "1", "-w", "2", H2_IP6, timeout=60)
    assert cp.returncode == 0, describe(cp)
    assert hops(cp.stdout) == {1: R2_MID_IP6, 2: H2_IP6}, describe(cp)


def test_umigame_traceroute_ipv4_through_a_second_router(chain):
    quiet_linux_errors(chain.h2)
    cp = chain.r1.tool("traceroute", "-n", "-w", "2", H2_IP4, timeout=60)
    assert cp.returncode == 0, describe(cp)
    assert cp.stderr == f"traceroute to {H2_IP4} ({H2_IP4}), 30 hops max, 40 byte packets\n", describe(cp)
    rows = [TR_ROW.match(line) for line in cp.stdout.splitlines()]
    assert all(rows), describe(cp)
    assert [(int(m[1]), m[2], m[3].count(" ms")) for m in rows] == [(1, R2_MID_IP4, 3), (2, H2_IP4, 3)], cp.stdout


def test_umigame_traceroute6_marks_unreachable_hops(chain):
    """r1 sends 2001:db8:99::/48 to r2, which has no route (!N); 2001:db8:98::/48 to r2, which
    rejects it (!P). As in KAME's ip6_forward, r2 checks the hop limit before the route: hop 1
    is its Time Exceeded, hop 2 its unreachable, where traceroute6 stops."""
    r1, r2 = chain.r1, chain.r2
    for p in ("2001:db8:99::", "2001:db8:98::"):
        assert r1.tool("route", "add", "-inet6", p, "-prefixlen", "48", R2_MID_IP6).returncode == 0
    assert r2.tool("route", "add", "-inet6", "2001:db8:98::", "-prefixlen", "48", "::1", "-reject").returncode == 0
    for dst, mark in (("2001:db8:99::1", "!N"), ("2001:db8:98::1", "!P")):
        cp = r1.tool("traceroute6", "-n", "-q", "1", "-w", "2", "-m", "4", dst, timeout=60)
        assert cp.returncode == 0, describe(cp)
        want = rf" 1  {re.escape(R2_MID_IP6)}  [0-9.]+ ms\n 2  {re.escape(R2_MID_IP6)}  [0-9.]+ ms {mark}\n"
        assert re.fullmatch(want, cp.stdout), describe(cp)


def test_linux_traceroute6_through_two_umigame_routers(chain):
    quiet_linux_errors(chain.h2)
    cp = chain.h1.run(["rltraceroute6", "-n", "-w", "2", H2_IP6], check=False, timeout=60)
    assert cp.returncode == 0, describe(cp)
    assert hops(cp.stdout) == {1: R_H1_IP6, 2: R2_MID_IP6, 3: H2_IP6}, describe(cp)


# --- redirects ------------------------------------------------------------------------------------

BETTER_ROUTER = "2001:db8:1::3"  # h3, a Linux router on h1's link
BEHIND_H3 = "2001:db8:77::1"
BETTER_ROUTER4, BEHIND_H3_4 = "198.51.100.3", "192.0.2.77"


@pytest.fixture
def redirect_net(lab, umigamed_bin):
    """h1 and a Linux router h3 share r1's de0 link (a bridge). h1's default route is r1's
    link-local address (as if learned from an RA); r1 routes 2001:db8:77::/64 via h3's
    link-local address, so h1's packets for it come in and go out on de0. In IPv4, r1 routes
    192.0.2.77 (on h3's loopback) via h3's 198.51.100.3."""
    r = lab.router("r1")
    h1, h3 = lab.host("h1"), lab.host("h3")
    umitest.shared_link(lab, r, "de0", [h1, h3])
    r.start()
    h1.add_address("eth0", f"{H1_IP6}/64")
    h3.add_address("eth0", f"{BETTER_ROUTER}/64")
    h3.ns.sysctl("net.ipv6.conf.all.forwarding", 1)
    h3.run(["ip", "-6", "addr", "add", f"{BEHIND_H3}/128", "dev", "lo"])
    h1.add_address("eth0", f"{H1_IP4}/24")
    h3.add_address("eth0", f"{BETTER_ROUTER4}/24")
    h3.ns.sysctl("net.ipv4.ip_forward", 1)
    h3.run(["ip", "-4", "addr", "add", f"{BEHIND_H3_4}/32", "dev", "lo"])
    h1.run(["ip", "-4", "route", "add", "default", "via", R_H1_IP4, "dev", "eth0"])
    # Linux takes IPv4 redirects only to known gateways unless secure_redirects is off.
    h1.ns.sysctl("net.ipv4.conf.all.secure_redirects", 0)
    h1.ns.sysctl("net.ipv4.conf.eth0.secure_redirects", 0)
    umitest.configure_address(r, "de0", R_H1_IP6, 64)
    umitest.configure_address(r, "de0", R_H1_IP4, 24)
    umitest.enable_forwarding(r)
    h1.wait_link_ready("eth0")
    h3_ll = h3.wait_link_ready("eth0")
    umitest.wait_addresses_preferred(r, ["de0"])
    r_ll = umitest.link_local_of(r, "de0")
    h1.run(["ip", "-6", "route", "add", "default", "via", r_ll, "dev", "eth0"])
    cp = r.tool("route", "add", "-inet6", "2001:db8:77::", "-prefixlen", "64", f"{h3_ll}%de0")
    assert cp.returncode == 0, describe(cp)
    cp = r.tool("route", "add", "-host", BEHIND_H3_4, BETTER_ROUTER4)
    assert cp.returncode == 0, describe(cp)
    return r, h1, h3, r_ll, h3_ll


def redirected_via(h1: umitest.LinuxHost, gateway: str):
    def check():
        out = h1.run(["ip", "-6", "route", "get", BEHIND_H3]).stdout
        return out if f"via {gateway} dev eth0" in out else None

    return check


def test_redirect_reaches_linux_and_linux_uses_the_better_first_hop(redirect_net):
    r, h1, h3, r_ll, h3_ll = redirect_net
    assert f"via {r_ll} dev eth0" in h1.run(["ip", "-6", "route", "get", BEHIND_H3]).stdout
    before = stats_flat(r)
    cp = h1.ping(BEHIND_H3, count=3, args=["-i", "0.2"])
    assert cp.returncode == 0, describe(cp)
    wait_until(redirected_via(h1, h3_ll), 5, f"h1 to route {BEHIND_H3} via h3 ({h3_ll})")
    cache = h1.run(["ip", "-6", "route", "show", "cache"]).stdout
    assert re.search(rf"^{re.escape(BEHIND_H3)} via {re.escape(h3_ll)} dev eth0 ", cache, re.M), cache
    d = stats_delta(before, stats_flat(r))
    assert d.get("icmp6_out.137") == 1, d  # once: h1 listened

    # The redirect appears in netstat -s -p icmp6's output histogram.
    st = r.tool("netstat", "-s", "-p", "icmp6", check=True).stdout
    out_hist = re.search(r"^\tOutput histogram:\n((?:\t\t.*\n)*)", st, re.M)
    assert out_hist and "\t\tredirect: 1\n" in out_hist[1], st

    # Later packets go straight to h3: the router forwards none of them.
    before = stats_flat(r)
    cp = h1.ping(BEHIND_H3, count=3, args=["-i", "0.2"])
    assert cp.returncode == 0, describe(cp)
    d = stats_delta(before, stats_flat(r))
    assert d.get("ip6.forward", 0) == 0 and d.get("icmp6_out.137", 0) == 0, d


def test_redirect_is_sent_for_the_first_packet(redirect_net):
    """RFC 4861 §8.2 asks for a redirect for any packet the router forwards back onto the link
    it came from, including the first one, which waits for the next hop's address
    resolution."""
    r, h1, h3, r_ll, h3_ll = redirect_net
    before = stats_flat(r)
    cp = h1.ping(BEHIND_H3, count=1)
    assert cp.returncode == 0, describe(cp)
    try:
        wait_until(redirected_via(h1, h3_ll), 5, f"h1 to route {BEHIND_H3} via h3 after one packet")
    except umitest.WaitTimeout as e:
        pytest.fail(f"{e}; router counters that moved: {stats_delta(before, stats_flat(r))}")


def test_no_redirect_when_sysctl_redirect_is_0(redirect_net):
    r, h1, h3, r_ll, h3_ll = redirect_net
    cp = r.tool("sysctl", "-w", "net.inet6.ip6.redirect=0")
    assert cp.returncode == 0 and cp.stdout == "net.inet6.ip6.redirect: 1 -> 0\n", describe(cp)
    before = stats_flat(r)
    cp = h1.ping(BEHIND_H3, count=3, args=["-i", "0.2"])
    assert cp.returncode == 0, describe(cp)  # still forwarded, just not redirected
    d = stats_delta(before, stats_flat(r))
    assert d.get("icmp6_out.137", 0) == 0, d
    assert f"via {r_ll} dev eth0" in h1.run(["ip", "-6", "route", "get", BEHIND_H3]).stdout


def test_ipv4_host_redirect_reaches_linux(redirect_net):
    """RFC 1812 §5.2.7.2: a packet forwarded back onto the link it came from, for a source on
    that link, gets a host redirect (type 5 code 1) to the better first hop."""
    r, h1, h3, r_ll, h3_ll = redirect_net
    before = stats_flat(r)
    cp = h1.ping(BEHIND_H3_4, count=3, args=["-i", "0.2"])
    assert cp.returncode == 0, describe(cp)

    def redirected():
        out = h1.run(["ip", "-4", "route", "get", BEHIND_H3_4]).stdout
        return out if f"via {BETTER_ROUTER4} dev eth0" in out else None

    try:
        wait_until(redirected, 5, f"h1 to route {BEHIND_H3_4} via h3")
    except umitest.WaitTimeout as e:
        pytest.fail(f"{e}; router counters that moved: {stats_delta(before, stats_flat(r))}")
    d = stats_delta(before, stats_flat(r))
    # Linux applies an IPv4 redirect only once it has the new gateway's MAC (it ARPs for it on
    # the first one), so a second redirect may be needed.
    assert d.get("icmp_out.5", 0) >= 1 and d.get("ip.redirectsent") == d.get("icmp_out.5"), d
