"""Routes change while traffic flows (issue 3): h1 streams echo requests to h2 through the
router in both families while the control socket adds, changes and deletes thousands of
routes on other prefixes — including prefixes that cover h2's network but are less specific
than its connected route, so any moment in which a worker saw a half-built table would send
h2's packets the wrong way. Every request must be answered: loss is counted by ping, not
guessed from time."""

from __future__ import annotations

import re
import time

import pytest

import umitest
from umitest import H1_IP6, H2_IP4, H2_IP6, describe, wait_until

STREAM_COUNT = 3000        # echo requests per family ...
STREAM_INTERVAL = "0.002"  # ... every 2 ms: at least 6 s of traffic
V6_CHURN = 600             # /48s under 2001:db8:4000:: per round: ~1,800 requests, so that
                           # several rounds fit in the stream even on a loaded machine
SUMMARY = re.compile(r"^(\d+) packets transmitted, (\d+) received(?:, \+(\d+) duplicates)?(?:, \+(\d+) errors)?, ",
                     re.M)


@pytest.fixture
def net(lab, umigamed_bin) -> umitest.ForwardingNet:
    return umitest.forwarding_net(lab)


def v6_routes() -> list[dict]:
    """V6_CHURN /48s under 2001:db8::/32, away from the networks in use, plus prefixes that
    cover h2's 2001:db8:2::/64 less specifically (its connected /64 must keep winning)."""
    routes = [{"family": "inet6", "dest": f"2001:db8:{0x4000 + i:x}::", "prefixlen": 48} for i in range(V6_CHURN)]
    routes += [{"family": "inet6", "dest": "2001:db8::", "prefixlen": 32},
               {"family": "inet6", "dest": "2001:db8:2::", "prefixlen": 48},
               {"family": "inet6", "dest": "2001:db8:2::", "prefixlen": 56}]
    return routes


def v4_routes() -> list[dict]:
    """Host routes in 192.0.2.0/24, that /24 itself, and 198.51.100.128/25 inside h1's
    connected /24 (which does not cover h1's 198.51.100.1)."""
    routes = [{"family": "inet", "dest": f"192.0.2.{i}", "prefixlen": 32} for i in range(256)]
    routes += [{"family": "inet", "dest": "192.0.2.0", "prefixlen": 24},
               {"family": "inet", "dest": "198.51.100.128", "prefixlen": 25}]
    return routes


def table(r: umitest.Router) -> list[dict]:
    """The routing table without the per-route packet counters."""
    return [{k: v for k, v in rt.items() if k != "use"} for rt in r.request("routes")["routes"]]


def summary(out: str) -> tuple[int, int, int, int]:
    m = SUMMARY.search(out)
    assert m, f"no ping summary in:\n{out}"
    return int(m[1]), int(m[2]), int(m[3] or 0), int(m[4] or 0)


def churn_under_load(net: umitest.ForwardingNet) -> None:
    r, h1 = net.r, net.h1
    # Neighbours resolved first: the stream measures the forwarding tables, not NDP/ARP.
    for dst in (H2_IP6, H2_IP4):
        assert h1.ping(dst).returncode == 0
    routes_before = table(r)

    streams = {
        dst: h1.spawn(["ping", "-n", "-i", STREAM_INTERVAL, "-c", str(STREAM_COUNT), "-W", "2", dst],
                      name=f"stream-{dst}")
        for dst in (H2_IP6, H2_IP4)
    }

    def streaming() -> bool:
        return all("icmp_seq=" in s.output() for s in streams.values())

    wait_until(streaming, 10, "both streams to get their first reply")

    def running() -> bool:
        return all(s.proc.poll() is None for s in streams.values())

    c = r.client()
    gw6, gw4 = H1_IP6, "203.0.113.1"  # valid gateways; the churned prefixes carry no traffic
    adds = deletes = changes = rounds = 0
    t0 = time.monotonic()
    while running() or rounds == 0:
        n_add = n_del = n_chg = 0
        six, four = v6_routes(), v4_routes()
        for rt in six:
            c.call("route_add", {**rt, "gateway": gw6})
            n_add += 1
        for rt in four:
            c.call("route_add", {**rt, "gateway": gw4})
            n_add += 1
        for rt in six[::10]:
            c.call("route_change", {**rt, "gateway": H2_IP6})
            n_chg += 1
        for rt in six + four:
            c.call("route_delete", rt)
            n_del += 1
        if not running():
            break  # the stream ended during this round: it does not count as "during traffic"
        adds, deletes, changes, rounds = adds + n_add, deletes + n_del, changes + n_chg, rounds + 1
    churn_s = time.monotonic() - t0

    outs = {}
    for dst, s in streams.items():
        wait_until(lambda s=s: s.proc.poll() is not None, 60, f"the stream to {dst} to finish")
        outs[dst] = s.stop()

    assert adds >= 2000 and deletes >= 2000, \
        f"only {adds} adds / {deletes} deletes completed while traffic flowed ({rounds} rounds, {churn_s:.1f} s)"
    for dst, out in outs.items():
        sent, received, dups, errors = summary(out)
        assert sent == STREAM_COUNT, out[-400:]
        assert (received, dups, errors) == (sent, 0, 0), (
            f"{dst}: {sent - received} of {sent} lost, {dups} duplicates, {errors} ICMP errors while "
            f"{adds} adds, {changes} changes and {deletes} deletes ran ({rounds} rounds in {churn_s:.1f} s)\n"
            + "\n".join(line for line in out.splitlines() if line.startswith("From "))[:2000])
    print(f"churn: {adds} adds, {changes} changes, {deletes} deletes in {rounds} rounds, {churn_s:.1f} s, "
          f"while {STREAM_COUNT} echo requests per family went through with no loss")
    # Everything churned is gone again; the table is what it was.
    assert table(r) == routes_before
    cp = r.tool("netstat", "-nr", check=True)
    assert "2001:db8:4000::" not in cp.stdout and "192.0.2" not in cp.stdout, describe(cp)


def test_route_churn_loses_nothing_to_h2(net):
    churn_under_load(net)


def test_route_churn_with_two_workers(lab, umigamed_bin):
    """The same with two worker lcores, each reading the tables the control plane publishes."""
    net = umitest.forwarding_net(lab, workers=2)
    assert net.r.request("stats").get("workers") == 2
    churn_under_load(net)
