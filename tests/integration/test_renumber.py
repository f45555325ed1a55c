"""The guide's prefix commands: `prefix IF PREFIX` forms an address from the prefix and the
interface identifier, `ndp -p` lists it in the guide's layout, and router renumbering
(`prefix -a matchpr ... usepr ... change`) moves both interfaces to the new prefix in one
command — with documentation prefixes standing in for the guide's 3ffe:501:808::/48 and
3ffe:501:4819::/48."""

from __future__ import annotations

import ipaddress
import re

import pytest

import umitest
from umitest import describe, wait_until

OLD = ("2001:db8:808:1::", "2001:db8:808:2::")
NEW = ("2001:db8:4819:1::", "2001:db8:4819:2::")


@pytest.fixture
def net(lab: umitest.Lab, umigamed_bin):
    h1, h2 = lab.host("h1"), lab.host("h2")
    r = lab.router("r1")
    r.add_port("de0", h1, "eth0", "2001:db8:808:1::1/64")
    r.add_port("de1", h2, "eth0", "2001:db8:808:2::1/64")
    r.start()
    return r, h1


def ifid(r: umitest.Router, port: str) -> int:
    """The low 64 bits of the port's link-local address."""
    out = r.tool("ifconfig", port, check=True).stdout
    m = re.search(r"inet6 (fe80::[0-9a-f:]+)%" + port, out)
    assert m, out
    return int(ipaddress.IPv6Address(m[1])) & ((1 << 64) - 1)


def addr(prefix: str, iid: int) -> str:
    return str(ipaddress.IPv6Address(int(ipaddress.IPv6Address(prefix)) | iid))


def inet6_addrs(r: umitest.Router, port: str) -> list[str]:
    out = r.tool("ifconfig", port, check=True).stdout
    return re.findall(r"^\tinet6 (\S+) prefixlen", out, re.M)


def ndp_p(r: umitest.Router) -> str:
    cp = r.tool("ndp", "-p")
    assert cp.returncode == 0, describe(cp)
    return cp.stdout


def test_prefix_forms_the_address_and_ndp_p_shows_it(net) -> None:
    r, h1 = net
    cp = r.tool("prefix", "de0", OLD[0])
    assert cp.returncode == 0 and cp.stdout == "" and cp.stderr == "", describe(cp)
    want = addr(OLD[0], ifid(r, "de0"))
    assert want in inet6_addrs(r, "de0")
    assert ndp_p(r) == (
        f"{OLD[0]}/64 if=de0\n"
        "  flags=LA, vltime=2592000, pltime=604800, expire=Never\n"
        "  No advertising router\n"
    )
    # The address is reachable once DAD is done: Linux on the link pings it.
    wait_until(lambda: "tentative" not in r.tool("ifconfig", "de0").stdout, 15, "DAD")
    h1.wait_link_ready("eth0")
    wait_until(lambda: h1.run(["ping", "-c", "1", "-W", "1", want], check=False).returncode == 0,
               15, f"Linux to reach {want}")


def test_router_renumbering_moves_every_interface(net) -> None:
    r, _ = net
    for port, pfx in zip(("de0", "de1"), OLD):
        assert r.tool("prefix", port, pfx).returncode == 0
    ids = {p: ifid(r, p) for p in ("de0", "de1")}

    renumber = ["-a", "matchpr", "2001:db8:808::", "mp_len", "48", "usepr", "2001:db8:4819::",
                "up_uselen", "48", "change"]
    # Router renumbering is for routers: refused until forwarding is on (KAME: EPERM).
    cp = r.tool("prefix", *renumber)
    assert cp.returncode == 1 and "permission denied" in cp.stderr, describe(cp)
    assert r.tool("sysctl", "-w", "net.inet6.ip6.forwarding=1").returncode == 0

    cp = r.tool("prefix", *renumber)
    assert cp.returncode == 0 and cp.stdout == "" and cp.stderr == "", describe(cp)
    for port, old, new in zip(("de0", "de1"), OLD, NEW):
        addrs = inet6_addrs(r, port)
        assert addr(new, ids[port]) in addrs, addrs
        assert addr(old, ids[port]) not in addrs, addrs
    assert ndp_p(r) == "".join(
        f"{new}/64 if={port}\n"
        "  flags=LA, vltime=2592000, pltime=604800, expire=Never\n"
        "  No advertising router\n"
        for port, new in zip(("de0", "de1"), NEW)
    )
    # Routes follow: connected routes for the new prefixes, none for the old.
    nr = r.tool("netstat", "-nr", "-f", "inet6", check=True).stdout
    assert "2001:db8:4819:1::/64" in nr and "2001:db8:4819:2::/64" in nr, nr
    assert "2001:db8:808:" not in nr, nr

    # A prefix that matches nothing: nothing changes; without -a it is an error.
    cp = r.tool("prefix", "de0", "matchpr", "2001:db8:777::", "mp_len", "48", "usepr",
                "2001:db8:4819::", "up_uselen", "48", "change")
    assert cp.returncode == 1, describe(cp)


def test_prefix_delete_removes_the_address(net) -> None:
    r, _ = net
    assert r.tool("prefix", "de1", OLD[1]).returncode == 0
    a = addr(OLD[1], ifid(r, "de1"))
    assert a in inet6_addrs(r, "de1")
    cp = r.tool("prefix", "de1", OLD[1], "delete")
    assert cp.returncode == 0, describe(cp)
    assert a not in inet6_addrs(r, "de1")
    assert ndp_p(r) == ""
