"""Two worker lcores on two-queue ports (net_af_packet qpairs=2, fanout by flow hash):
each worker polls its own queues, both carry forwarded traffic, and the per-worker counters
add up to the port totals that netstat -i prints."""

from __future__ import annotations

import pytest

import umitest
from umitest import describe, wait_until

H1_ADDR, H2_ADDR = "2001:db8:1::1", "2001:db8:2::1"
R1_ADDR, R2_ADDR = "2001:db8:1::ff", "2001:db8:2::ff"
FLOWS = 64
PER_FLOW = 4


@pytest.fixture
def two_workers(lab: umitest.Lab, umigamed_bin):
    h1, h2 = lab.host("h1"), lab.host("h2")
    r = lab.router("r1", workers=2)
    r.add_port("de0", h1, "eth0", f"{H1_ADDR}/64", queues=2)
    r.add_port("de1", h2, "eth0", f"{H2_ADDR}/64", queues=2)
    r.start()
    h1.run(["ip", "-6", "route", "add", "default", "via", R1_ADDR])
    h2.run(["ip", "-6", "route", "add", "default", "via", R2_ADDR])
    for port, addr in (("de0", R1_ADDR), ("de1", R2_ADDR)):
        cp = r.tool("ifconfig", port, "inet6", addr, "prefixlen", "64", "alias")
        assert cp.returncode == 0, describe(cp)
    cp = r.tool("sysctl", "-w", "net.inet6.ip6.forwarding=1")
    assert cp.returncode == 0, describe(cp)

    def ready():
        out = r.tool("ifconfig", "de0").stdout + r.tool("ifconfig", "de1").stdout
        return "tentative" not in out and R1_ADDR in out and R2_ADDR in out

    wait_until(ready, 15, "router addresses to pass DAD")
    return r, h1, h2


def test_both_workers_forward_and_counters_add_up(two_workers) -> None:
    r, h1, h2 = two_workers
    st = r.request("stats")
    assert st["workers"] == 2, st["workers"]
    assert [w["worker"] for w in st["per_worker"]] == [0, 1]

    # Many UDP flows (distinct source ports) so the kernel's flow-hash fanout
    # spreads them over both queues; h2 answers each with port unreachable.
    script = (
        "from scapy.all import IPv6, UDP, Raw, send\n"
        f"pkts = [IPv6(src='{H1_ADDR}', dst='{H2_ADDR}')/UDP(sport=20000+i, dport=9)/Raw(b'x'*8)"
        f" for i in range({FLOWS}) for _ in range({PER_FLOW})]\n"
        "send(pkts, verbose=0)\n"
    )
    before = r.request("stats")
    h1.run(["/usr/bin/python3", "-c", script], timeout=120)

    def forwarded_all():
        st = r.request("stats")
        return st if st["ip6"]["forward"] - before["ip6"]["forward"] >= FLOWS * PER_FLOW else None

    st = wait_until(forwarded_all, 30, "every probe to be forwarded")
    per = st["per_worker"]
    assert all(w["loops"] > 0 for w in per), per
    fwd = [w["forwarded"] - b["forwarded"] for w, b in zip(per, before["per_worker"])]
    assert all(n > 0 for n in fwd), f"a worker forwarded nothing: {fwd}"
    # The workers' forwards are part of ip6 "packets forwarded" (the rest went
    # through the slow path while the next hop was being resolved).
    assert sum(fwd) <= st["ip6"]["forward"] - before["ip6"]["forward"], (fwd, st["ip6"])
    # Port totals are exactly the sum of the workers' counts.
    assert sum(p["rx_packets"] for p in st["ports"]) == sum(w["rx_packets"] for w in per)
    assert sum(p["tx_packets"] for p in st["ports"]) == sum(w["tx_packets"] for w in per)

    # netstat -i prints the same port totals.
    cp = r.tool("netstat", "-i")
    assert cp.returncode == 0, describe(cp)
    link_lines = [l.split() for l in cp.stdout.splitlines() if "<Link#" in l]
    by_name = {f[0]: (int(f[4]), int(f[6])) for f in link_lines}
    st2 = r.request("stats")
    for p in st2["ports"]:
        ipkts, opkts = by_name[p["name"]]
        assert ipkts <= p["rx_packets"] and opkts <= p["tx_packets"], (by_name, st2["ports"])
