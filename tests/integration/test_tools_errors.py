"""The KAME tools' failure paths (no daemon, unknown interface, bad arguments: a plain
message in KAME's wording where KAME had one, and a non-zero exit) and `netstat -s` in
KAME's layout with real numbers after traffic."""

from __future__ import annotations

import re
import socket

import pytest

import umitest
from umitest import describe

OURS = "2001:db8:1::ff"
LINUX = "2001:db8:1::1"

TOOL_ARGS = {
    "ifconfig": ["-a"],
    "ndp": ["-a"],
    "ping6": ["-c", "1", LINUX],
    "netstat": ["-s", "-p", "ip6"],
}


def check_one_plain_line(cp, tool: str) -> str:
    assert cp.returncode != 0, describe(cp)
    message = (cp.stderr + cp.stdout).strip()
    assert len(message.splitlines()) == 1, describe(cp)
    assert message.startswith(f"{tool}: "), describe(cp)
    assert "Traceback" not in message and "terminate called" not in message and "what()" not in message
    return message


# --- no daemon -------------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", list(TOOL_ARGS))
def test_tool_without_a_daemon_says_so_and_fails(kame_bin, tmp_path, tool):
    missing = tmp_path / "nobody-home.sock"
    cp = umitest.run([kame_bin(tool), *TOOL_ARGS[tool]], check=False, env={"UMIGAME_SOCKET": str(missing)},
                     timeout=15)
    message = check_one_plain_line(cp, tool)
    assert "umigamed" in message and str(missing) in message, message
    assert re.search(r"No such file or directory|not running", message), message


@pytest.mark.parametrize("tool", list(TOOL_ARGS))
def test_tool_with_a_stale_socket_says_so_and_fails(kame_bin, tmp_path, tool):
    stale = tmp_path / "stale.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(stale))
    s.close()  # the file stays; nobody listens: ECONNREFUSED
    cp = umitest.run([kame_bin(tool), *TOOL_ARGS[tool]], check=False, env={"UMIGAME_SOCKET": str(stale)},
                     timeout=15)
    message = check_one_plain_line(cp, tool)
    assert "umigamed" in message and "Connection refused" in message, message


# --- unknown interface -----------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["de9"],
    ["de9", "up"],
    ["de9", "down"],
    ["de9", "inet6", "2001:db8:1::5", "prefixlen", "64", "alias"],
], ids=["show", "up", "down", "alias"])
def test_ifconfig_unknown_interface(router_pair, args):
    cp = router_pair.r.tool("ifconfig", *args)
    assert cp.returncode == 1, describe(cp)
    assert cp.stderr == "ifconfig: interface de9 does not exist\n", describe(cp)
    assert cp.stdout == "", describe(cp)


def test_ping6_unknown_interface(router_pair):
    cp = router_pair.r.tool("ping6", "-c", "1", "-I", "de9", LINUX, timeout=15)
    assert cp.returncode == 1, describe(cp)
    assert "ping6: de9: invalid interface name\n" in cp.stderr, describe(cp)
    assert "bytes from" not in cp.stdout


# --- bad usage -------------------------------------------------------------------------------------

USAGE = [
    # (tool, args, stream the usage goes to)
    ("ifconfig", [], "stderr"),
    ("ifconfig", ["-z"], "stderr"),
    ("ifconfig", ["-a", "de0"], "stderr"),
    ("ndp", [], "stdout"),  # KAME ndp prints its usage on stdout
    ("ndp", ["-x"], "stdout"),
    ("ndp", ["-s", "2001:db8:1::99"], "stdout"),
    ("ndp", ["-d"], "stdout"),
    ("ping6", [], "stderr"),
    ("ping6", ["-Z", LINUX], "stderr"),
    ("ping6", ["-c"], "stderr"),
    ("netstat", ["-q"], "stderr"),
    ("netstat", [], "stderr"),
]


@pytest.mark.parametrize("tool,args,stream", USAGE, ids=[f"{t} {' '.join(a)}".strip() for t, a, _ in USAGE])
def test_bad_usage_prints_the_usage_and_fails(router_pair, tool, args, stream):
    cp = router_pair.r.tool(tool, *args, timeout=15)
    assert cp.returncode == 1, describe(cp)
    text = cp.stdout if stream == "stdout" else cp.stderr
    assert re.search(rf"^usage: {tool} ", text, re.M), f"no usage on {stream}\n{describe(cp)}"


BAD_VALUES = [
    ("ping6", ["-c", "0", LINUX], "ping6: illegal number of packets -- 0"),
    ("ping6", ["-h", "300", LINUX], "ping6: illegal hoplimit -- 300"),
    ("ping6", ["-s", "200000", LINUX], "ping6: datalen value too large, maximum is 131024"),
    ("ping6", ["-s", "x", LINUX], "ping6: illegal datalen value -- x"),
    ("ping6", ["-p", "zz", LINUX], "ping6: patterns must be specified as hex digits"),
    ("ping6", ["-c", "1", "-I", "de0", "-S", "2001:db8:1::77", "ff02::1"], "Can't assign requested address"),
    ("ndp", ["-s", "2001:db8:1::99", "zz:zz"], "ndp: invalid Ethernet address 'zz:zz'"),
    ("ndp", ["-s", "2001:db8:77::1", "0:1:2:3:4:5"], "set: cannot configure a new entry"),
    ("ifconfig", ["de0", "inet6", "2001:db8:1::5", "prefixlen", "129", "alias"], "ifconfig: 129: bad value"),
    ("ifconfig", ["de0", "inet6", "not-an-address", "alias"], "ifconfig: not-an-address: bad value"),
    ("ifconfig", ["de0", "inet6", "2001:db8:1::77", "-alias"], "Can't assign requested address"),
    ("netstat", ["-s", "-p", "tcp"], "netstat: tcp: unknown or uninstrumented protocol"),
]


@pytest.mark.parametrize("tool,args,message", BAD_VALUES, ids=[f"{t} {' '.join(a)}" for t, a, _ in BAD_VALUES])
def test_bad_values_are_refused_plainly(router_pair, tool, args, message):
    r = router_pair.r
    before = r.tool("ifconfig", "de0", check=True).stdout
    cp = r.tool(tool, *args, timeout=30)
    assert cp.returncode == 1, describe(cp)
    out = cp.stdout + cp.stderr
    assert message in out, describe(cp)
    assert "bytes from" not in out and "Traceback" not in out and "terminate called" not in out, describe(cp)
    # Nothing was changed by a refused command.
    after = r.tool("ifconfig", "de0", check=True).stdout
    assert re.sub(r" tentative", "", after) == re.sub(r" tentative", "", before), (before, after)


def test_ping6_of_a_packet_too_big_for_ipv6_says_message_too_long(router_pair):
    # 70000 data bytes pass KAME's datalen check (maximum 131024) but make an IPv6 payload
    # over 65535: KAME's sendmsg failed with EMSGSIZE, reported as "ping6: sendmsg: ...".
    cp = router_pair.r.tool("ping6", "-c", "1", "-s", "70000", LINUX, timeout=30)
    assert cp.returncode == 1, describe(cp)
    assert re.search(r"^ping6: sendmsg: Message too long$", cp.stderr, re.M), describe(cp)
    assert "Connection reset" not in cp.stdout + cp.stderr, describe(cp)
    assert router_pair.r.running() and router_pair.r.tool("ndp", "-a").returncode == 0


# --- netstat -s ------------------------------------------------------------------------------------


def stat_line(out: str, text: str) -> int:
    m = re.search(rf"^\t(\d+) {re.escape(text)}$", out, re.M)
    assert m, f"no line '\\t<n> {text}' in:\n{out}"
    return int(m[1])


def histogram(out: str, title: str) -> dict[str, int]:
    m = re.search(rf"^\t{title}:\n((?:\t\t.+\n)+)", out, re.M)
    assert m, f"no {title} in:\n{out}"
    return {k: int(v) for k, v in re.findall(r"^\t\t(.+): (\d+)$", m[1], re.M)}


def test_netstat_s_shows_kame_layout_with_real_numbers(router_pair):
    r, h1 = router_pair.r, router_pair.h1
    h1.wait_link_ready("eth0")
    assert r.tool("ifconfig", "de0", "inet6", OURS, "prefixlen", "64", "alias").returncode == 0
    umitest.wait_until(lambda: all(not a["flags"] for a in r.request("interfaces", {"name": "de0"})
                                   ["interfaces"][0]["inet6"]), 15, "our addresses to be preferred")
    cp = h1.ping(OURS, count=3, args=["-i", "0.2"])
    assert cp.returncode == 0, describe(cp)

    before = r.request("stats")
    ip6 = r.tool("netstat", "-s", "-p", "ip6")
    icmp6 = r.tool("netstat", "-s", "-p", "icmp6", user="nobody")  # read-only: anyone may look
    after = r.request("stats")
    for cp in (ip6, icmp6):
        assert cp.returncode == 0 and cp.stderr == "", describe(cp)
        assert all(line.startswith("\t") for line in cp.stdout.splitlines()[1:]), cp.stdout

    out = ip6.stdout
    assert out.splitlines()[0] == "ip6:", out
    total = stat_line(out, "total packets received")
    assert before["ip6"]["total"] <= total <= after["ip6"]["total"] and total >= 3, out
    assert stat_line(out, "packets for this host") >= 3, out
    assert stat_line(out, "packets sent from this host") >= 3, out
    for text in ("with size smaller than minimum", "with data size < data length", "with bad options",
                 "with incorrect version number", "packets forwarded", "packets not forwardable",
                 "packets discarded due to too may headers", "packets with an invalid source address"):
        stat_line(out, text)
    assert histogram(out, "Input histogram").get("ICMP6", 0) >= 3, out
    assert "icmp6:" not in out, "-p ip6 printed other protocols too"

    out = icmp6.stdout
    assert out.splitlines()[0] == "icmp6:", out
    assert histogram(out, "Input histogram").get("echo", 0) >= 3, out
    assert histogram(out, "Output histogram").get("echo reply", 0) >= 3, out
    assert stat_line(out, "message responses generated") >= 3, out
    for text in ("calls to icmp6_error", "bad checksums", "messages < minimum length",
                 "neighbor discovery messages with hop limit != 255"):
        stat_line(out, text)
    assert "ip6:" not in out, "-p icmp6 printed other protocols too"

    both = r.tool("netstat", "-s")
    assert both.returncode == 0, describe(both)
    assert re.search(r"^ip6:$", both.stdout, re.M) and re.search(r"^icmp6:$", both.stdout, re.M), both.stdout
