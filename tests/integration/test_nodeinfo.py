"""ICMPv6 Node Information Queries (RFC 4620) between real peers on one Ethernet segment:
two umigame daemons (r1 "r1.example.test", r2 "r2.example.test") and a Linux host h1 on a
bridge. Linux's iputils `ping -N` asks umigame; umigame's ping6 -w/-a/-t/-N asks the other
umigame; scapy from h1 sends unknown qtypes and malformed queries; `hostname` changes the
name the node answers with and the NI group it joins."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from typing import NamedTuple

import pytest

import umitest
from umitest import describe, wait_until

pytest.importorskip("scapy")
from scapy.layers.inet6 import IPv6, in6_chksum  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

R1 = "2001:db8:1::ff"
R2 = "2001:db8:1::fe"
LINUX = "2001:db8:1::1"
NI_QUERY, NI_REPLY = 139, 140


class Link(NamedTuple):
    r1: umitest.Router
    r2: umitest.Router
    h1: umitest.LinuxHost
    r1_ll: str
    r2_ll: str
    r1_mac: str


@pytest.fixture
def link(lab, umigamed_bin) -> Link:
    r1 = lab.router("r1", hostname="r1.example.test")
    r2 = lab.router("r2", hostname="r2.example.test")
    h1 = lab.host("h1")
    sw = umitest.shared_link(lab, r1, "de0", [h1])
    r2.add_port("de0", sw, "p9")
    sw.run(["ip", "link", "set", "p9", "master", "br0"])
    r1.start()
    r2.start()
    h1.add_address("eth0", f"{LINUX}/64")
    umitest.configure_address(r1, "de0", R1, 64)
    umitest.configure_address(r2, "de0", R2, 64)
    h1.wait_link_ready("eth0")
    umitest.wait_addresses_preferred(r1, ["de0"])
    umitest.wait_addresses_preferred(r2, ["de0"])
    mac = r1.request("interfaces", {"name": "de0"})["interfaces"][0]["ether"].lower()
    return Link(r1, r2, h1, umitest.link_local_of(r1, "de0"), umitest.link_local_of(r2, "de0"), mac)


def icmp6(r: umitest.Router) -> dict[str, int]:
    return r.request("stats")["icmp6"]


def ni_frame(lk: Link, dst: str, dst_mac: str, code: int, qtype: int, subject: bytes,
             nonce: bytes = b"umitest!", flags: int = 0) -> bytes:
    """Ether/IPv6/NI query from h1's link-local address, checksum filled in by scapy."""
    body = bytes([NI_QUERY, code, 0, 0]) + qtype.to_bytes(2, "big") + flags.to_bytes(2, "big") + nonce
    src = lk.h1.link_local("eth0")["local"]
    pkt = Ether(src=lk.h1.mac("eth0"), dst=dst_mac) / IPv6(src=src, dst=dst, nh=58, hlim=255) / Raw(body + subject)
    raw = bytearray(bytes(pkt))
    ck = in6_chksum(58, IPv6(bytes(raw[14:])), bytes(raw[54:]))
    raw[56:58] = ck.to_bytes(2, "big")
    return bytes(raw)


def ni_reply_matching(nonce: bytes):
    def match(f: bytes):
        # Ethernet(14) + IPv6(40) + NI header: type, code, cksum, qtype, flags, nonce.
        if len(f) >= 70 and f[12:14] == b"\x86\xdd" and f[20] == 58 and f[54] == NI_REPLY and f[62:70] == nonce:
            return f
        return None
    return match


def dns(name: str) -> bytes:
    labels = name.rstrip(".").split(".")
    out = b"".join(bytes([len(x)]) + x.encode() for x in labels) + b"\0"
    return out if "." in name else out + b"\0"


def ni_group(name: str) -> str:
    """RFC 4620 §4, computed here independently of the daemon."""
    label = name.split(".")[0].lower().encode()
    d = hashlib.md5(bytes([len(label)]) + label).digest()
    return "ff02::2:ff%02x:%02x%02x" % (d[0], d[1], d[2])


def group_mac(group: str) -> str:
    b = ipaddress.IPv6Address(group).packed
    return "33:33:" + ":".join(f"{x:02x}" for x in b[12:])


# -- Linux iputils ping -N asks umigame ------------------------------------------------------


def test_linux_ping_N_name_gets_our_name_on_link_local(link):
    cp = link.h1.run(["ping", "-6", "-c", "1", "-W", "3", "-N", "name", f"{link.r1_ll}%eth0"], check=False)
    assert cp.returncode == 0, describe(cp)
    assert re.search(rf"^\d+ bytes from {re.escape(link.r1_ll)}%eth0: r1\.example\.test\.; seq=1;",
                     cp.stdout, re.M), describe(cp)


def test_global_queriers_are_refused_until_nodeinfo_allows_them(link):
    before = icmp6(link.r1)
    cp = link.h1.run(["ping", "-6", "-c", "1", "-W", "2", "-N", "name", R1], check=False)
    assert "r1.example.test" not in cp.stdout, describe(cp)
    assert icmp6(link.r1)["ni_refused"] == before["ni_refused"] + 1

    cp = link.r1.tool("sysctl", "-w", "net.inet6.icmp6.nodeinfo=11")
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout == "net.inet6.icmp6.nodeinfo: 3 -> 11\n", describe(cp)
    cp = link.h1.run(["ping", "-6", "-c", "1", "-W", "3", "-N", "name", R1], check=False)
    assert cp.returncode == 0 and f"bytes from {R1}: r1.example.test.; seq=1;" in cp.stdout, describe(cp)
    cp = link.h1.run(["ping", "-6", "-c", "1", "-W", "3", "-N", "ipv6-global", R1], check=False)
    assert cp.returncode == 0 and f"bytes from {R1}: {R1}; seq=1;" in cp.stdout, describe(cp)


# -- umigame's ping6 asks the other umigame ---------------------------------------------------


def test_ping6_w_to_second_instance_prints_its_name(link):
    cp = link.r1.tool("ping6", "-c", "1", "-w", f"{link.r2_ll}%de0")
    assert cp.returncode == 0, describe(cp)
    lines = cp.stdout.splitlines()
    assert lines[0] == f"PING6(72=40+8+24 bytes) {link.r1_ll} --> {link.r2_ll}", describe(cp)
    # 40 + 16 + TTL 4 + "\2r2\7example\4test\0" (17) = 77
    assert lines[1] == f"77 bytes from {link.r2_ll}: r2.example.test.", describe(cp)
    assert "1 packets transmitted, 1 packets received, 0% packet loss" in cp.stdout


def test_ping6_w_all_nodes_prints_a_line_per_responder(link):
    cp = link.r1.tool("ping6", "-c", "3", "-I", "de0", "-w", "ff02::1")
    assert cp.returncode == 0, describe(cp)
    lines = set(re.findall(r"^\d+ bytes from (\S+): (\S+)$", cp.stdout, re.M))
    assert (link.r1_ll, "r1.example.test.") in lines, describe(cp)
    assert (link.r2_ll, "r2.example.test.") in lines, describe(cp)
    assert len(lines) == 2, describe(cp)  # Linux has no responder


def test_ping6_a_shows_addresses_by_scope(link):
    cp = link.r1.tool("ping6", "-c", "1", "-a", "lg", f"{link.r2_ll}%de0")
    assert cp.returncode == 0, describe(cp)
    assert re.search(rf"^\d+ bytes from {re.escape(link.r2_ll)}: \n"
                     rf"  {re.escape(link.r2_ll)}\(TTL=infty\)\n"
                     rf"  {re.escape(R2)}\(TTL=infty\)\n\n", cp.stdout, re.M), describe(cp)
    cp = link.r1.tool("ping6", "-c", "1", "-a", "g", f"{link.r2_ll}%de0")
    assert f"  {R2}(TTL=infty)\n" in cp.stdout and f"  {link.r2_ll}(" not in cp.stdout, describe(cp)


def test_ping6_t_shows_supported_qtypes(link):
    cp = link.r1.tool("ping6", "-c", "1", "-t", f"{link.r2_ll}%de0")
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout.splitlines()[1] == f"60 bytes from {link.r2_ll}: NodeInfo Supported Qtypes 0-4", describe(cp)


def test_ping6_N_asks_the_nodes_named(link):
    cp = link.r1.tool("ping6", "-c", "1", "-I", "de0", "-N", "-w", "R2")
    assert cp.returncode == 0, describe(cp)
    assert re.search(rf"^\d+ bytes from {re.escape(link.r2_ll)}: r2\.example\.test\.$", cp.stdout, re.M), \
        describe(cp)


# -- scapy: unknown qtypes, malformed queries ----------------------------------------------------


def test_unknown_qtype_gets_code_2_and_no_data(link):
    sock = link.h1.packet_socket("eth0")
    nonce = b"qtype-99"
    sock.drain()
    sock.send(ni_frame(link, link.r1_ll, link.r1_mac, 0, 99, ipaddress.IPv6Address(link.r1_ll).packed, nonce))
    f = sock.recv_until(ni_reply_matching(nonce), 5, "the NI reply to qtype 99")
    reply = IPv6(f[14:])
    assert reply.src == link.r1_ll
    body = bytes(reply.payload)
    assert body[1] == 2, body.hex()  # code 2: unknown qtype
    assert int.from_bytes(body[4:6], "big") == 99
    assert len(body) == 16, body.hex()  # no data


def test_bad_length_queries_are_counted_and_dropped(link):
    sock = link.h1.packet_socket("eth0")
    before = icmp6(link.r1)
    sock.drain()
    subject = ipaddress.IPv6Address(link.r1_ll).packed
    frames = [
        ni_frame(link, link.r1_ll, link.r1_mac, 0, 2, subject[:15], b"bad-len1"),  # 15-byte IPv6 subject
        ni_frame(link, link.r1_ll, link.r1_mac, 2, 2, b"\xc0\x00\x02", b"bad-len2"),  # 3-byte IPv4 subject
        ni_frame(link, link.r1_ll, link.r1_mac, 1, 2, b"\x09ab", b"bad-len3"),  # name runs off the end
    ]
    short = bytearray(ni_frame(link, link.r1_ll, link.r1_mac, 1, 0, b"", b"shortone"))
    # Cut the NI header to 12 bytes: fix the payload length and checksum.
    short = short[:54 + 12]
    short[18:20] = (12).to_bytes(2, "big")
    short[56:58] = b"\0\0"
    short[56:58] = in6_chksum(58, IPv6(bytes(short[14:])), bytes(short[54:])).to_bytes(2, "big")
    frames.append(bytes(short))
    for fr in frames:
        sock.send(fr)
    wait_until(lambda: icmp6(link.r1)["badlen"] >= before["badlen"] + 4, 5, "four bad-length queries counted")
    after = icmp6(link.r1)
    assert after["badlen"] == before["badlen"] + 4
    assert after["reflect"] == before["reflect"]  # nothing answered
    # Still alive and answering.
    cp = link.h1.run(["ping", "-6", "-c", "1", "-W", "3", "-N", "name", f"{link.r1_ll}%eth0"], check=False)
    assert cp.returncode == 0, describe(cp)


# -- hostname --------------------------------------------------------------------------------


def test_hostname_changes_the_answer_and_the_group(link):
    cp = link.r1.tool("hostname")
    assert cp.returncode == 0 and cp.stdout == "r1.example.test\n", describe(cp)
    cp = link.r1.tool("hostname", "-s")
    assert cp.stdout == "r1\n", describe(cp)
    cp = link.r1.tool("hostname", "banana", user="nobody")
    assert cp.returncode == 1 and cp.stderr == "hostname: sethostname: Operation not permitted\n", describe(cp)
    cp = link.r1.tool("hostname", "bad..name")
    assert cp.returncode == 1 and "Invalid argument" in cp.stderr, describe(cp)

    sock = link.h1.packet_socket("eth0")
    old_group, new_group = ni_group("r1"), ni_group("banana")
    # Before: the old group is joined (the query to it is answered).
    sock.drain()
    sock.send(ni_frame(link, old_group, group_mac(old_group), 1, 2, dns("r1"), b"oldgrp-1"))
    sock.recv_until(ni_reply_matching(b"oldgrp-1"), 5, "a reply from the r1 NI group")

    cp = link.r1.tool("hostname", "banana.example.test")
    assert cp.returncode == 0 and cp.stdout == "", describe(cp)
    assert link.r1.tool("hostname").stdout == "banana.example.test\n"
    cp = link.r1.tool("sysctl", "kern.hostname")
    assert cp.stdout == "kern.hostname: banana.example.test\n", describe(cp)

    cp = link.h1.run(["ping", "-6", "-c", "1", "-W", "3", "-N", "name", f"{link.r1_ll}%eth0"], check=False)
    assert cp.returncode == 0 and ": banana.example.test.; seq=1;" in cp.stdout, describe(cp)
    sock.drain()
    sock.send(ni_frame(link, new_group, group_mac(new_group), 1, 2, dns("banana"), b"newgrp-1"))
    f = sock.recv_until(ni_reply_matching(b"newgrp-1"), 5, "a reply from the banana NI group")
    assert dns("banana.example.test") in f
    # The old group is left: a query to it is not answered.
    sock.send(ni_frame(link, old_group, group_mac(old_group), 1, 0, b"", b"oldgrp-2"))
    with pytest.raises(umitest.WaitTimeout):
        sock.recv_until(ni_reply_matching(b"oldgrp-2"), 2, "no reply from the old group")
    # And sysctl -w sets it too.
    cp = link.r1.tool("sysctl", "-w", "kern.hostname=cherry")
    assert cp.returncode == 0, describe(cp)
    cp = link.r2.tool("ping6", "-c", "1", "-w", f"{link.r1_ll}%de0")
    assert f"bytes from {link.r1_ll}: cherry\n" in cp.stdout, describe(cp)


def test_netstat_counts_node_information(link):
    cp = link.r1.tool("ping6", "-c", "1", "-w", f"{link.r2_ll}%de0")
    assert cp.returncode == 0, describe(cp)
    st = link.r2.tool("netstat", "-s", "-p", "icmp6", check=True).stdout
    assert re.search(r"^\tInput histogram:\n(?:\t\t.*\n)*\t\tnode information request: [1-9]", st, re.M), st
    assert re.search(r"^\tOutput histogram:\n(?:\t\t.*\n)*\t\tnode information reply: [1-9]", st, re.M), st
    st1 = link.r1.tool("netstat", "-s", "-p", "icmp6", check=True).stdout
    assert re.search(r"^\tInput histogram:\n(?:\t\t.*\n)*\t\tnode information reply: [1-9]", st1, re.M), st1
