"""The KAME routing commands against a running router with Linux hosts on both ports
(umitest.forwarding_net): route add/delete/change/get/flush/monitor with their exact BSD
outputs and errors, the guide's `route add -inet6 default fe80:2::...`, netstat -r layouts,
sysctl, arp -a, `ifconfig IF inet ADDR netmask M` and the gratuitous ARP it sends."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import threading
import time

import pytest

import umitest
from umitest import H1_IP4, H1_IP6, H2_IP6, R_H1_IP4, R_H1_IP6, describe, wait_until

USAGE = "usage: route [-dnqtv] command [[modifiers] args]\n"


@pytest.fixture
def net(lab, umigamed_bin) -> umitest.ForwardingNet:
    return umitest.forwarding_net(lab)


def route(r: umitest.Router, *args: str, **kw):
    return r.tool("route", *args, **kw)


def ifindex(r: umitest.Router, ifname: str) -> int:
    return r.request("interfaces", {"name": ifname})["interfaces"][0]["index"]


def bsd_mac(mac: str) -> str:
    """02:0a:.. -> 2:a:.. (BSD's %x, no zero padding)."""
    return ":".join(f"{int(b, 16):x}" for b in mac.split(":"))


# netstat -r layouts (kame-cli.md §5): widths of Destination/Gateway per mode.
def header(long: bool = False, numeric: bool = True) -> str:
    d, g = (39, 31) if long else ((33, 29) if numeric else (18, 18))
    if long:
        return "%-*.*s %-*.*s %-6.6s  %6.6s%8.8s%6s  %8.8s %6s\n" % (
            d, d, "Destination", g, g, "Gateway", "Flags", "Refs", "Use", "Mtu", "Netif", "Expire")
    return "%-*.*s %-*.*s %-6.6s  %8.8s %6s\n" % (d, d, "Destination", g, g, "Gateway", "Flags", "Netif", "Expire")


def row(dest: str, gw: str, flags: str, netif: str, *, numeric: bool = True) -> str:
    if numeric:
        return "%-33s %-29s %-6.6s %8.8s\n" % (dest, gw, flags, netif)
    return "%-18.18s %-18.18s %-6.6s %8.8s\n" % (dest, gw, flags, netif)


def long_row(dest: str, gw: str, flags: str, refs: str, use: str, mtu: str, netif: str) -> str:
    return "%-39s %-31s %-6.6s %6s %8s%6s %8.8s\n" % (dest, gw, flags, refs, use, mtu, netif)


def without_scoped(out: str) -> str:
    """netstat output minus link-local / multicast rows (checked on their own below)."""
    return "".join(line for line in out.splitlines(keepends=True) if not line.startswith(("fe80:", "ff0")))


# --- the guide's default route ------------------------------------------------------------------


def test_guide_default_route_with_embedded_interface_index(net):
    """`route add -inet6 default fe80:2::200:a2ff:fe0e:7543` (the guide), with the index of de1
    in the second word: the route goes via h2's link-local address on de1, shows in netstat as
    `fe80::...%de1 UGS de1`, and carries traffic."""
    r, h1, h2 = net.r, net.h1, net.h2
    h2_ll = h2.wait_link_ready("eth0")
    idx = ifindex(r, "de1")
    embedded = h2_ll.replace("fe80::", f"fe80:{idx:x}::", 1)
    cp = route(r, "add", "-inet6", "default", embedded)
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout == f"add net default: gateway {embedded}\n" and cp.stderr == "", describe(cp)

    out = r.tool("netstat", "-nr", "-f", "inet6", check=True).stdout
    assert row("default", f"{h2_ll}%de1", "UGS", "de1") in out, out
    assert out.startswith("Routing tables\n\nInternet6:\n" + header()), out
    # The default row comes first (sorted by destination, :: first).
    assert out.splitlines()[4].startswith("default "), out

    get = route(r, "get", "-inet6", "2001:db8:99::1")
    assert get.returncode == 0, describe(get)
    assert f"    gateway: {h2_ll}%de1\n" in get.stdout and "  interface: de1\n" in get.stdout, describe(get)
    assert "      flags: <UP,GATEWAY,DONE,STATIC>\n" in get.stdout, describe(get)

    # Traffic follows it: h2 holds 2001:db8:99::1 on its loopback and answers h1.
    h2.run(["ip", "-6", "addr", "add", "2001:db8:99::1/128", "dev", "lo"])
    ping = h1.ping("2001:db8:99::1", count=2, args=["-i", "0.2"])
    assert ping.returncode == 0 and " 2 received" in ping.stdout, describe(ping)

    again = route(r, "add", "-inet6", "default", embedded)
    assert again.returncode == 1, describe(again)
    assert again.stdout == f"add net default: gateway {embedded}: File exists\n", describe(again)
    assert again.stderr == "route: writing to routing socket: File exists\n", describe(again)


def test_default_route_with_scoped_gateway_text(net):
    """The post-guide form `fe80::1%de1` names the same route."""
    r, h2 = net.r, net.h2
    h2_ll = h2.wait_link_ready("eth0")
    cp = route(r, "add", "-inet6", "default", f"{h2_ll}%de1")
    assert cp.returncode == 0 and cp.stdout == f"add net default: gateway {h2_ll}%de1\n", describe(cp)
    embedded = h2_ll.replace("fe80::", f"fe80:{ifindex(r, 'de1'):x}::", 1)
    dup = route(r, "add", "-inet6", "default", embedded)
    assert dup.returncode == 1 and dup.stdout.endswith(": File exists\n"), describe(dup)
    cp = route(r, "delete", "-inet6", "default")
    assert cp.returncode == 0 and cp.stdout == "delete net default\n", describe(cp)
    assert "default" not in r.tool("netstat", "-nr", "-f", "inet6", check=True).stdout


# --- route add / change / delete / get -------------------------------------------------------------


def test_route_add_change_delete_and_their_errors(net):
    r = net.r
    cp = route(r, "add", "-inet6", "2001:db8:5::", H2_IP6)  # prefixlen 64 when omitted
    assert (cp.returncode, cp.stdout, cp.stderr) == (0, f"add net 2001:db8:5::: gateway {H2_IP6}\n", ""), describe(cp)
    assert row("2001:db8:5::/64", H2_IP6, "UGS", "de1") in r.tool("netstat", "-nr", check=True).stdout

    cp = route(r, "add", "-inet6", "2001:db8:5::", H2_IP6)
    assert cp.returncode == 1, describe(cp)
    assert cp.stdout == f"add net 2001:db8:5::: gateway {H2_IP6}: File exists\n", describe(cp)
    assert cp.stderr == "route: writing to routing socket: File exists\n", describe(cp)

    cp = route(r, "change", "-inet6", "2001:db8:5::", H1_IP6)
    assert (cp.returncode, cp.stdout) == (0, f"change net 2001:db8:5::: gateway {H1_IP6}\n"), describe(cp)
    out = r.tool("netstat", "-nr", "-f", "inet6", check=True).stdout
    assert row("2001:db8:5::/64", H1_IP6, "UGS", "de0") in out, out

    cp = route(r, "change", "-inet6", "2001:db8:6::", H1_IP6)
    assert cp.returncode == 1, describe(cp)
    assert cp.stdout == f"change net 2001:db8:6::: gateway {H1_IP6}: not in table\n", describe(cp)
    assert cp.stderr == "route: writing to routing socket: No such process\n", describe(cp)

    cp = route(r, "delete", "-inet6", "2001:db8:5::")
    assert (cp.returncode, cp.stdout, cp.stderr) == (0, "delete net 2001:db8:5::\n", ""), describe(cp)
    assert "2001:db8:5::" not in r.tool("netstat", "-nr", check=True).stdout

    cp = route(r, "delete", "-inet6", "2001:db8:5::")
    assert cp.returncode == 1, describe(cp)
    assert cp.stdout == "delete net 2001:db8:5::: not in table\n", describe(cp)

    cp = route(r, "add", "-inet6", "2001:db8:5::", "2001:db8:99::1")  # gateway on no link
    assert cp.returncode == 1, describe(cp)
    assert cp.stdout == "add net 2001:db8:5::: gateway 2001:db8:99::1: Network is unreachable\n", describe(cp)

    cp = route(r, "delete", "-inet6", "2001:db8:2::", "-prefixlen", "64")  # connected: not ours to delete
    assert cp.returncode == 1 and cp.stdout.startswith("delete net 2001:db8:2::: "), describe(cp)
    assert row("2001:db8:2::/64", "link#2", "UC", "de1") in r.tool("netstat", "-nr", check=True).stdout


def test_route_host_and_prefixlen_forms(net):
    r = net.r
    cp = route(r, "add", "-inet6", "-host", "2001:db8:5::1", H2_IP6)
    assert (cp.returncode, cp.stdout) == (0, f"add host 2001:db8:5::1: gateway {H2_IP6}\n"), describe(cp)
    cp = route(r, "add", "-inet6", "2001:db8:6::", "-prefixlen", "48", H2_IP6)
    assert (cp.returncode, cp.stdout) == (0, f"add net 2001:db8:6::: gateway {H2_IP6}\n"), describe(cp)
    out = r.tool("netstat", "-nr", "-f", "inet6", check=True).stdout
    assert row("2001:db8:5::1", H2_IP6, "UGHS", "de1") in out, out
    assert row("2001:db8:6::/48", H2_IP6, "UGS", "de1") in out, out

    get = route(r, "get", "-inet6", "2001:db8:6:1::1")
    assert get.returncode == 0, describe(get)
    assert get.stdout.startswith(
        "   route to: 2001:db8:6:1::1\n"
        "destination: 2001:db8:6::\n"
        "       mask: ffff:ffff:ffff::\n"
        f"    gateway: {H2_IP6}\n"
        "  interface: de1\n"
        "      flags: <UP,GATEWAY,DONE,STATIC>\n"
        " recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire\n"), describe(get)

    host = route(r, "get", "-inet6", "2001:db8:5::1")
    assert "destination: 2001:db8:5::1\n" in host.stdout and "mask:" not in host.stdout, describe(host)
    assert "      flags: <UP,GATEWAY,HOST,DONE,STATIC>\n" in host.stdout, describe(host)

    cp = route(r, "delete", "-inet6", "-host", "2001:db8:5::1", H2_IP6)
    assert (cp.returncode, cp.stdout) == (0, f"delete host 2001:db8:5::1: gateway {H2_IP6}\n"), describe(cp)


def test_route_get_of_a_connected_and_a_missing_route(net):
    r = net.r
    cp = route(r, "get", "2001:db8:2::1")
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout.startswith("   route to: 2001:db8:2::1\ndestination: 2001:db8:2::\n"
                                "       mask: ffff:ffff:ffff:ffff::\n  interface: de1\n"), describe(cp)
    assert "gateway:" not in cp.stdout, describe(cp)
    v4 = route(r, "get", "203.0.113.9")
    assert v4.returncode == 0, describe(v4)
    assert v4.stdout.startswith("   route to: 203.0.113.9\ndestination: 203.0.113.0\n"
                                "       mask: 255.255.255.0\n  interface: de1\n"), describe(v4)
    # No route: BSD's routing socket answers ESRCH.
    missing = route(r, "get", "192.0.2.9")
    assert missing.stdout == "", describe(missing)
    assert missing.stderr == "route: writing to routing socket: No such process\n", describe(missing)


def test_route_ipv4_forms(net):
    r = net.r
    cases = [
        (["add", "-inet", "192.0.2.0/24", "203.0.113.1"], "add net 192.0.2.0/24: gateway 203.0.113.1\n"),
        (["add", "-net", "192.0.2.128", "-netmask", "255.255.255.128", "203.0.113.1"],
         "add net 192.0.2.128: gateway 203.0.113.1\n"),
        (["add", "-host", "192.0.2.7", "203.0.113.1"], "add host 192.0.2.7: gateway 203.0.113.1\n"),
        (["add", "192.0.2.8", "203.0.113.1"], "add host 192.0.2.8: gateway 203.0.113.1\n"),
    ]
    for args, want in cases:
        cp = route(r, *args)
        assert (cp.returncode, cp.stdout, cp.stderr) == (0, want, ""), describe(cp)
    out = r.tool("netstat", "-nr", "-f", "inet", check=True).stdout
    assert out == ("Routing tables\n\nInternet:\n" + header()
                   + row("192.0.2", "203.0.113.1", "UGS", "de1")
                   + row("192.0.2.7", "203.0.113.1", "UGHS", "de1")
                   + row("192.0.2.8", "203.0.113.1", "UGHS", "de1")
                   + row("192.0.2.128/25", "203.0.113.1", "UGS", "de1")
                   + row("198.51.100", "link#1", "UC", "de0")
                   + row("198.51.100.254", "link#0", "UHL", "lo0")
                   + row("203.0.113", "link#2", "UC", "de1")
                   + row("203.0.113.254", "link#0", "UHL", "lo0")), out


USAGE_ERRORS = [
    (["add", "-inet6", "2001:db8:5::", "-bogus"], "route: bad keyword: bogus\n" + USAGE, 64),
    (["frob"], "route: bad keyword: frob\n" + USAGE, 64),
    ([], USAGE, 64),
    (["add", "-inet6", "2001:db8:5::", "-prefixlen"], USAGE, 64),
    (["add", "-inet6", "2001:db8:5::", "-prefixlen", "129", H2_IP6], "129: bad value\n", 1),
    (["add", "-inet6", "notanaddr", H2_IP6], "notanaddr: bad value\n", 1),
]


@pytest.mark.parametrize("args,stderr,rc", USAGE_ERRORS, ids=[" ".join(a) or "no-args" for a, _, _ in USAGE_ERRORS])
def test_route_bad_usage(net, args, stderr, rc):
    before = net.r.tool("netstat", "-nr", check=True).stdout
    cp = route(net.r, *args)
    assert (cp.returncode, cp.stdout, cp.stderr) == (rc, "", stderr), describe(cp)
    assert net.r.tool("netstat", "-nr", check=True).stdout == before


def test_route_changes_need_root_but_get_does_not(net):
    r = net.r
    for args in (["add", "-inet6", "2001:db8:9::", H2_IP6], ["flush"], ["delete", "-inet6", "2001:db8:2::"]):
        cp = route(r, *args, user="nobody")
        assert cp.returncode != 0, describe(cp)
        assert cp.stderr == "route: must be root to alter routing table\n", describe(cp)
    cp = route(r, "get", "-inet6", H2_IP6, user="nobody")
    assert cp.returncode == 0 and "  interface: de1\n" in cp.stdout, describe(cp)
    cp = r.tool("netstat", "-nr", user="nobody")
    assert cp.returncode == 0 and cp.stdout.startswith("Routing tables\n"), describe(cp)


def test_route_flush_removes_gateway_routes_only(net):
    r = net.r
    for args in (["add", "-inet6", "2001:db8:5::", H2_IP6], ["add", "-inet", "192.0.2.0/24", "203.0.113.1"],
                 ["add", "-inet6", "2001:db8:98::", "-prefixlen", "48", "::1", "-reject"]):
        assert route(r, *args).returncode == 0
    cp = route(r, "-n", "flush", "-inet6")
    assert cp.returncode == 0, describe(cp)
    assert sorted(cp.stdout.splitlines(keepends=True)) == sorted([
        "%-20.20s %-20.20s done\n" % ("2001:db8:5::", H2_IP6),
        "%-20.20s %-20.20s done\n" % ("2001:db8:98::", "::1"),
    ]), describe(cp)
    out = r.tool("netstat", "-nr", check=True).stdout
    assert "2001:db8:5::" not in out and "2001:db8:98::" not in out, out
    assert row("192.0.2", "203.0.113.1", "UGS", "de1") in out, out  # -inet6 only
    assert row("2001:db8:2::/64", "link#2", "UC", "de1") in out, out  # connected routes stay

    cp = route(r, "flush")
    assert cp.returncode == 0 and cp.stdout == "%-20.20s %-20.20s done\n" % ("192.0.2", "203.0.113.1"), describe(cp)
    again = route(r, "flush")
    assert (again.returncode, again.stdout) == (0, ""), describe(again)


# --- netstat -r layouts -------------------------------------------------------------------------


def test_netstat_nr_layout_both_families(net):
    r = net.r
    assert route(r, "add", "-inet6", "2001:db8:5::", H2_IP6).returncode == 0
    out = r.tool("netstat", "-nr", check=True).stdout
    want = ("Routing tables\n\nInternet:\n" + header()
            + row("198.51.100", "link#1", "UC", "de0")
            + row("198.51.100.254", "link#0", "UHL", "lo0")
            + row("203.0.113", "link#2", "UC", "de1")
            + row("203.0.113.254", "link#0", "UHL", "lo0")
            + "\nInternet6:\n" + header()
            + row("2001:db8:1::/64", "link#1", "UC", "de0")
            + row("2001:db8:1::ff", "link#0", "UHL", "lo0")
            + row("2001:db8:2::/64", "link#2", "UC", "de1")
            + row("2001:db8:2::ff", "link#0", "UHL", "lo0")
            + row("2001:db8:5::/64", H2_IP6, "UGS", "de1"))
    assert without_scoped(out) == want, out


def test_netstat_f_selects_one_family(net):
    r = net.r
    v6 = r.tool("netstat", "-nr", "-f", "inet6", check=True).stdout
    assert v6.startswith("Routing tables\n\nInternet6:\n" + header()) and "Internet:" not in v6, v6
    v4 = r.tool("netstat", "-nr", "-f", "inet", check=True).stdout
    assert v4.startswith("Routing tables\n\nInternet:\n" + header()) and "Internet6:" not in v4, v4
    bad = r.tool("netstat", "-nr", "-f", "bogus")
    assert bad.returncode == 1 and bad.stderr == "netstat: bogus: unknown address family\n", describe(bad)


def test_netstat_r_without_n_truncates_and_drops_prefix_lengths(net):
    r = net.r
    h2_ll = net.h2.wait_link_ready("eth0")
    assert route(r, "add", "-inet6", "default", f"{h2_ll}%de1").returncode == 0
    out = r.tool("netstat", "-r", "-f", "inet6", check=True).stdout
    assert out.startswith("Routing tables\n\nInternet6:\n" + header(numeric=False)), out
    assert row("default", f"{h2_ll}%de1", "UGS", "de1", numeric=False) in out, out
    assert row("2001:db8:1::", "link#1", "UC", "de0", numeric=False) in out, out
    assert row("2001:db8:1::ff", "link#0", "UHL", "lo0", numeric=False) in out, out


def test_netstat_nrl_long_layout_counts_use(net):
    r = net.r
    assert net.h1.ping(H2_IP6, count=3, args=["-i", "0.2"]).returncode == 0
    out = r.tool("netstat", "-nrl", "-f", "inet6", check=True).stdout
    lines = out.splitlines(keepends=True)
    assert lines[:3] == ["Routing tables\n", "\n", "Internet6:\n"] and lines[3] == header(long=True), out
    m = re.search(r"^2001:db8:2::/64 +link#2 +UC +(\d+) +(\d+) +(\d+) +de1$", out, re.M)
    assert m, out
    refs, use, mtu = m.groups()
    assert int(use) >= 3 and mtu == "1500", out
    assert long_row("2001:db8:2::/64", "link#2", "UC", refs, use, mtu, "de1") in out, out


def test_netstat_shows_link_local_prefix_routes(net):
    """KAME installs fe80::/64 on every interface; netstat -nr shows it as
    `fe80::%de0/64  link#1  UC  de0` (kame-cli.md §5)."""
    out = net.r.tool("netstat", "-nr", "-f", "inet6", check=True).stdout
    for ifname, idx in (("de0", 1), ("de1", 2)):
        assert row(f"fe80::%{ifname}/64", f"link#{idx}", "UC", ifname) in out, out


# --- route monitor ------------------------------------------------------------------------------


class LineReader:
    """A running command whose stdout lines are collected by a thread; stopped at cleanup."""

    def __init__(self, lab: umitest.Lab, argv: list[str], env: dict[str, str]):
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._t = threading.Thread(target=self._pump, daemon=True)
        self._t.start()
        lab.res.add(f"stop {argv[-2:]}", self.stop)

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def read_until(self, match, timeout: float, what: str) -> list[str]:
        """Lines up to and including the first one `match` accepts."""
        got: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise umitest.WaitTimeout(f"timed out after {timeout:g} s waiting for {what}; got {got!r}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            got.append(line)
            self.seen.append(line)
            if match(line):
                return got

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def test_route_monitor_streams_route_changes(net):
    r = net.r
    env = {**os.environ, "UMIGAME_SOCKET": str(r.socket)}
    mon = LineReader(net.lab, ["ip", "netns", "exec", r.ns.name, str(umitest.KAME_DIR / "route"), "monitor"], env)

    # Until the monitor is subscribed, changes pass unseen: poke with a marker route until one
    # shows up (each poke removes its route again), then watch the real change.
    def subscribed() -> bool:
        route(r, "add", "-inet6", "2001:db8:fff::", "-prefixlen", "48", H2_IP6, check=True)
        route(r, "delete", "-inet6", "2001:db8:fff::", "-prefixlen", "48", check=True)
        try:
            mon.read_until(lambda line: "2001:db8:fff::" in line, 0.5, "a marker route")
            return True
        except umitest.WaitTimeout:
            assert mon.proc.poll() is None, f"route monitor exited: {mon.proc.stderr.read()}"
            return False

    wait_until(subscribed, 15, "route monitor to report a route change")
    # Drain the marker's RTM_DELETE if it is still to come: when the
    # subscription landed between a poke's add and delete, the delete was the
    # line that matched above and nothing more follows.
    try:
        mon.read_until(lambda line: "2001:db8:fff::" in line and not line.startswith("got"), 1,
                       "marker delete")
    except umitest.WaitTimeout:
        pass

    cp = route(r, "add", "-inet6", "2001:db8:5::", H2_IP6)  # from another shell
    assert cp.returncode == 0, describe(cp)
    got = mon.read_until(lambda line: line.startswith(" 2001:db8:5::"), 5, "RTM_ADD for 2001:db8:5::")
    msg = got[-5:]
    assert re.fullmatch(r"got message of size \d+ on .+\n", msg[0]), got
    assert msg[1] == "RTM_ADD: Add Route: len 164, pid: 0, seq 0, errno 0, flags:<UP,GATEWAY,DONE,STATIC>\n", got
    assert msg[2] == "locks:  inits: \n", got
    assert msg[3] == "sockaddrs: <DST,GATEWAY,NETMASK>\n", got
    assert msg[4] == f" 2001:db8:5:: {H2_IP6} ffff:ffff:ffff:ffff::\n", got

    assert route(r, "delete", "-inet6", "2001:db8:5::").returncode == 0
    got = mon.read_until(lambda line: line.startswith(" 2001:db8:5::"), 5, "RTM_DELETE for 2001:db8:5::")
    assert any(line.startswith("RTM_DELETE: Delete Route: ") for line in got), got

    assert route(r, "add", "-inet", "192.0.2.0/24", "203.0.113.1").returncode == 0
    got = mon.read_until(lambda line: line.startswith(" 192.0.2.0 "), 5, "RTM_ADD for 192.0.2.0/24")
    assert got[-1] == " 192.0.2.0 203.0.113.1 255.255.255.0\n", got
    assert mon.stop() is not None


# --- sysctl -------------------------------------------------------------------------------------


def test_sysctl_read_write_and_errors(net):
    r = net.r
    cp = r.tool("sysctl", "net.inet6.ip6.forwarding")
    assert (cp.returncode, cp.stdout) == (0, "net.inet6.ip6.forwarding: 1\n"), describe(cp)
    cp = r.tool("sysctl", "-n", "net.inet6.ip6.forwarding", "net.inet6.ip6.hlim")
    assert (cp.returncode, cp.stdout) == (0, "1\n64\n"), describe(cp)
    # Defaults from the guide / KAME.
    cp = r.tool("sysctl", "net.inet6.ip6.accept_rtadv", "net.inet6.ip6.redirect", "net.inet.ip.ttl")
    assert cp.stdout == "net.inet6.ip6.accept_rtadv: 0\nnet.inet6.ip6.redirect: 1\nnet.inet.ip.ttl: 64\n", \
        describe(cp)
    # A name that is a prefix lists everything below it, in order.
    cp = r.tool("sysctl", "net.inet.ip")
    names = [line.split(":")[0] for line in cp.stdout.splitlines()]
    assert cp.returncode == 0 and names == sorted(names) and "net.inet.ip.forwarding" in names, describe(cp)
    assert all(n.startswith("net.inet.ip.") for n in names), describe(cp)

    cp = r.tool("sysctl", "-w", "net.inet6.ip6.hlim=30")
    assert (cp.returncode, cp.stdout) == (0, "net.inet6.ip6.hlim: 64 -> 30\n"), describe(cp)
    # It is used: the router's echo replies now leave with hop limit 30.
    ping = net.h1.ping(R_H1_IP6)
    assert ping.returncode == 0 and f"from {R_H1_IP6}: icmp_seq=1 ttl=30 " in ping.stdout, describe(ping)

    for args, err in [
        (["net.inet6.ip6.bogus"], "sysctl: unknown oid 'net.inet6.ip6.bogus'\n"),
        (["-w", "net.inet6.ip6.bogus=1"], "sysctl: unknown oid 'net.inet6.ip6.bogus'\n"),
        (["-w", "net.inet6.ip6.kame_version=1"], "sysctl: oid 'net.inet6.ip6.kame_version' is read only\n"),
        (["-w", "net.inet6.ip6.forwarding=7"], "sysctl: net.inet6.ip6.forwarding: Invalid argument\n"),
    ]:
        cp = r.tool("sysctl", *args)
        assert (cp.returncode, cp.stdout, cp.stderr) == (1, "", err), describe(cp)
    cp = r.tool("sysctl", "-w", "net.inet6.ip6.hlim=20", user="nobody")
    assert cp.returncode == 1 and cp.stderr == "sysctl: net.inet6.ip6.hlim: Operation not permitted\n", describe(cp)
    assert r.tool("sysctl", "-n", "net.inet6.ip6.hlim").stdout == "30\n"
    cp = r.tool("sysctl")
    assert cp.returncode == 1 and cp.stderr.startswith("usage: sysctl "), describe(cp)


def test_sysctl_a_lists_every_knob_once_in_order(net):
    cp = net.r.tool("sysctl", "-a", check=True)
    names = [line.split(": ", 1)[0] for line in cp.stdout.splitlines()]
    assert names == sorted(set(names)), cp.stdout
    for n in ("net.inet6.ip6.forwarding", "net.inet6.ip6.accept_rtadv", "net.inet6.ip6.hlim",
              "net.inet6.ip6.redirect", "net.inet6.ip6.rr_prune", "net.inet6.ip6.mtu",
              "net.inet6.ip6.maxfragpackets", "net.inet6.icmp6.errppslimit", "net.inet.ip.forwarding"):
        assert n in names, cp.stdout


@pytest.mark.parametrize("family", ["inet6", "inet"])
def test_forwarding_sysctl_switches_forwarding(net, family):
    r = net.r
    v6 = family == "inet6"
    name = "net.inet6.ip6.forwarding" if v6 else "net.inet.ip.forwarding"
    dst = H2_IP6 if v6 else "203.0.113.1"
    assert net.h1.ping(dst).returncode == 0
    cp = r.tool("sysctl", "-w", f"{name}=0")
    assert cp.stdout == f"{name}: 1 -> 0\n", describe(cp)
    off = net.h1.ping(dst, wait=1)
    assert off.returncode != 0 and " 0 received" in off.stdout, describe(off)
    # The router itself still answers.
    assert net.h1.ping(R_H1_IP6 if v6 else R_H1_IP4).returncode == 0
    assert r.tool("sysctl", "-w", f"{name}=1").stdout == f"{name}: 0 -> 1\n"
    assert net.h1.ping(dst).returncode == 0


# --- IPv4 neighbours and addresses ---------------------------------------------------------------


def test_arp_a_shows_the_linux_host_after_ipv4_traffic(net):
    r, h1 = net.r, net.h1
    assert r.tool("arp", "-a", check=True).stdout == ""
    assert h1.ping(R_H1_IP4).returncode == 0
    mac = bsd_mac(h1.mac("eth0"))
    cp = r.tool("arp", "-a", check=True)
    assert re.fullmatch(rf"\? \({re.escape(H1_IP4)}\) at {re.escape(mac)} on de0 expires in \d+ seconds \[ethernet\]\n",
                        cp.stdout), describe(cp)
    one = r.tool("arp", H1_IP4)
    assert one.returncode == 0 and one.stdout == cp.stdout, describe(one)
    missing = r.tool("arp", "198.51.100.77")
    assert missing.stdout == "198.51.100.77 (198.51.100.77) -- no entry\n", describe(missing)


@pytest.fixture
def v4_pair(router_pair):
    """A router with de0 facing h1 and no IPv4 address yet; h1 holds 198.51.100.1/24 and
    accepts gratuitous ARP for new entries (arp_accept)."""
    h1 = router_pair.h1
    h1.add_address("eth0", f"{H1_IP4}/24")
    h1.ns.sysctl("net.ipv4.conf.eth0.arp_accept", 1)
    h1.ns.sysctl("net.ipv4.conf.all.arp_accept", 1)
    return router_pair


def test_ifconfig_inet_netmask_adds_the_address(v4_pair):
    r, h1 = v4_pair.r, v4_pair.h1
    cp = r.tool("ifconfig", "de0", "inet", R_H1_IP4, "netmask", "255.255.255.0")
    assert (cp.returncode, cp.stdout, cp.stderr) == (0, "", ""), describe(cp)
    out = r.tool("ifconfig", "de0", check=True).stdout
    assert f"\tinet {R_H1_IP4} netmask 0xffffff00 broadcast 198.51.100.255\n" in out, out
    assert h1.ping(R_H1_IP4).returncode == 0
    # With alias one is added; without, the first inet address is replaced (BSD deletes it and
    # adds the new one at the end of the list).
    cp = r.tool("ifconfig", "de0", "inet", "198.51.100.253", "netmask", "255.255.255.0", "alias")
    assert cp.returncode == 0, describe(cp)
    cp = r.tool("ifconfig", "de0", "inet", "198.51.100.252", "netmask", "255.255.255.0")
    assert cp.returncode == 0, describe(cp)
    inet = re.findall(r"^\tinet (\S+) netmask (\S+) broadcast (\S+)$", r.tool("ifconfig", "de0", check=True).stdout,
                      re.M)
    assert inet == [("198.51.100.253", "0xffffff00", "198.51.100.255"),
                    ("198.51.100.252", "0xffffff00", "198.51.100.255")], inet


def test_address_add_sends_a_gratuitous_arp_linux_learns(v4_pair):
    from scapy.layers.l2 import ARP, Ether

    r, h1 = v4_pair.r, v4_pair.h1
    our_mac = r.request("interfaces", {"name": "de0"})["interfaces"][0]["ether"].lower()
    h1_mac = h1.mac("eth0")
    sock = h1.packet_socket("eth0")
    cp = r.tool("ifconfig", "de0", "inet", R_H1_IP4, "netmask", "255.255.255.0")
    assert cp.returncode == 0, describe(cp)

    def gratuitous(frame: bytes):
        p = Ether(frame)
        if ARP not in p:
            return None
        a = p[ARP]
        if a.hwsrc.lower() == h1_mac:
            raise AssertionError(f"h1 sent an ARP itself: {p.summary()}")
        return p if a.psrc == a.pdst == R_H1_IP4 and a.hwsrc.lower() == our_mac else None

    p = Ether(sock.recv_until(gratuitous, 5, f"a gratuitous ARP for {R_H1_IP4}"))
    assert p.dst == "ff:ff:ff:ff:ff:ff" and p.src.lower() == our_mac, p.show(dump=True)
    assert p[ARP].op in (1, 2) and p[ARP].hwlen == 6 and p[ARP].plen == 4, p.show(dump=True)

    def learnt():
        data = h1.run(["ip", "-j", "-4", "neigh", "show", "dev", "eth0"]).stdout
        return next((n for n in json.loads(data or "[]") if n.get("dst") == R_H1_IP4
                     and n.get("lladdr", "").lower() == our_mac), None)

    n = wait_until(learnt, 5, f"h1 to learn {R_H1_IP4} from the gratuitous ARP")
    assert not set(n.get("state", [])) & {"INCOMPLETE", "FAILED"}, n
