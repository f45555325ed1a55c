"""rtadvd: umigame as the router of stateless autoconfiguration, judged by Linux.

    Linux h1 [eth0] -- [de0] umigame r1 [de1] -- [eth0] Linux h2
                    2001:db8:1::1/64 | 2001:db8:2::1/64

The hosts autoconfigure from umigame's RAs (accept_ra=2) and reach each other through it;
rdisc6 decodes the RAs field by field; SIGTERM to rtadvd withdraws the router (lifetime 0),
which Linux acts on by dropping its default route. Bad configurations fail before anything
is advertised, with rtadvd's messages."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import signal
import time
from pathlib import Path

import pytest

import umitest
from umitest import describe, stats_flat, wait_until

R_DE0, R_DE1 = "2001:db8:1::1", "2001:db8:2::1"
FAST = "default:\\\n\t:maxinterval#4:mininterval#3:\n"  # RAs every 3-4 s


def rtadvd_path() -> Path:
    path = umitest.KAME_DIR / "rtadvd"
    if not path.exists():
        pytest.skip(f"{path} is not built yet (run scripts/build.sh)")
    return path


def router(lab: umitest.Lab, *, two_ports: bool = True, forwarding: bool = True):
    r = lab.router("r1")
    h1 = lab.host("h1")
    r.add_port("de0", h1, "eth0")
    h2 = None
    if two_ports:
        h2 = lab.host("h2")
        r.add_port("de1", h2, "eth0")
    r.start()
    umitest.configure_address(r, "de0", R_DE0, 64)
    if two_ports:
        umitest.configure_address(r, "de1", R_DE1, 64)
    if forwarding:
        umitest.enable_forwarding(r, inet=False)
    for h in filter(None, (h1, h2)):
        h.ns.sysctl("net.ipv6.conf.eth0.accept_ra", 2)
        h.wait_link_ready("eth0")
    umitest.wait_addresses_preferred(r, ["de0", "de1"] if two_ports else ["de0"])
    return r, h1, h2


def write_conf(lab: umitest.Lab, text: str) -> Path:
    path = lab.workdir / "rtadvd.conf"
    path.write_text(text)
    return path


def start_rtadvd(lab: umitest.Lab, r: umitest.Router, conf: Path, *ifnames: str) -> umitest.Background:
    """rtadvd -f in the router's namespace; waits until umigamed advertises on every
    interface named. Its SIGUSR1 dump goes to <workdir>/rtadvd.dump."""
    bg = lab.spawn([str(rtadvd_path()), "-f", "-c", str(conf), *ifnames], netns=r.ns, name="rtadvd",
                   env={"UMIGAME_SOCKET": str(r.socket),
                        "UMIGAME_RTADVD_DUMPFILE": str(lab.workdir / "rtadvd.dump")})

    def advertising():
        if bg.proc.poll() is not None:
            raise AssertionError(f"rtadvd exited with {bg.proc.returncode}: {bg.output()}")
        names = {i["name"] for i in r.request("rtadvd_status")["interfaces"] if not i["stopping"]}
        return set(ifnames) <= names

    wait_until(advertising, 10, "rtadvd to start advertising")
    return bg


def slaac_address(h: umitest.LinuxHost, prefix: str) -> str | None:
    net = ipaddress.ip_network(prefix)
    for a in h.addresses("eth0"):
        if a.get("scope") == "global" and not a.get("tentative") and ipaddress.ip_address(a["local"]) in net \
                and a.get("dynamic"):
            return a["local"]
    return None


def default_routes(h: umitest.LinuxHost) -> list[dict]:
    routes = json.loads(h.run(["ip", "-j", "-6", "route", "show", "default"]).stdout or "[]")
    return [x for x in routes if x.get("protocol") == "ra"]


def router_link_local(r: umitest.Router, ifname: str) -> str:
    ifc = next(i for i in r.request("interfaces")["interfaces"] if i["name"] == ifname)
    return next(a["addr"] for a in ifc["inet6"] if a["addr"].startswith("fe80:"))


def rdisc6(h: umitest.LinuxHost, *args: str) -> dict[str, str]:
    cp = h.run(["rdisc6", "-1", "-n", *args, "eth0"], check=False, timeout=30)
    assert cp.returncode == 0, describe(cp)
    fields: dict[str, str] = {}
    for line in cp.stdout.splitlines():
        m = re.match(r"^\s*([^:]+?)\s*:\s*(.*?)\s*$", line)
        if m and m[1] not in fields:
            fields[m[1]] = m[2]
    m = re.search(r"^\s*from (\S+)", cp.stdout, re.M)
    fields["from"] = m[1] if m else ""
    return fields


# --- autoconfiguration end to end ----------------------------------------------------------------


def test_linux_hosts_autoconfigure_and_talk_through_the_router(lab, umigamed_bin):
    r, h1, h2 = router(lab)
    conf = write_conf(lab, FAST + "de0:tc=default:\nde1:tc=default:\n")
    bg = start_rtadvd(lab, r, conf, "de0", "de1")

    a1 = wait_until(lambda: slaac_address(h1, "2001:db8:1::/64"), 20, "h1's SLAAC address")
    a2 = wait_until(lambda: slaac_address(h2, "2001:db8:2::/64"), 20, "h2's SLAAC address")
    ll = router_link_local(r, "de0")
    routes = wait_until(lambda: default_routes(h1), 20, "h1's default route from the RA")
    assert routes[0]["gateway"] == ll and routes[0]["dev"] == "eth0", routes
    wait_until(lambda: default_routes(h2), 20, "h2's default route from the RA")

    cp = h1.ping(a2, count=3, args=["-i", "0.2"])
    assert cp.returncode == 0 and " 3 received" in cp.stdout, describe(cp)
    back = h2.ping(a1, count=1)
    assert back.returncode == 0, describe(back)

    # KAME's netstat -s -p icmp6 output histogram counts the RAs sent.
    ns = r.tool("netstat", "-s", "-p", "icmp6", check=True).stdout
    m = re.search(r"Output histogram:\n(?:\t\t.*\n)*?\t\trouter advertisement: (\d+)", ns)
    assert m and int(m[1]) >= 2, ns
    status = {i["name"]: i for i in r.request("rtadvd_status")["interfaces"]}
    assert status["de0"]["ra_out"] >= 1 and status["de1"]["ra_out"] >= 1, status

    bg.proc.send_signal(signal.SIGTERM)
    assert bg.proc.wait(10) == 0, bg.output()
    wait_until(lambda: not default_routes(h1), 10, "h1 to drop the withdrawn default router")
    wait_until(lambda: not default_routes(h2), 10, "h2 to drop the withdrawn default router")


def test_rdisc6_decodes_exactly_the_configured_ra(lab, umigamed_bin):
    r, h1, _ = router(lab, two_ports=False)
    conf = write_conf(lab, (
        "ether:\\\n"
        "\t:chlim#32:raflags#192:rltime#3000:rtime#30000:retrans#1000:mtu#1400:\n"
        "de0:\\\n"
        "\t:addrs#1:addr=\"2001:db8:5::\":prefixlen#64:pinfoflags#128:\\\n"
        "\t:vltime#7200:pltime#3600:tc=ether:\n"))
    start_rtadvd(lab, r, conf, "de0")
    f = rdisc6(h1, "-w", "2000", "-r", "5")
    assert re.match(r"32 \(", f["Hop limit"]), f
    assert f["Stateful address conf."] == "Yes", f
    assert f["Stateful other conf."] == "Yes", f
    assert re.match(r"3000 \(", f["Router lifetime"]), f
    assert re.match(r"30000 \(", f["Reachable time"]), f
    assert re.match(r"1000 \(", f["Retransmit time"]), f
    assert f["Prefix"] == "2001:db8:5::/64", f
    assert f["On-link"] == "Yes", f
    assert f["Autonomous address conf."] == "No", f
    assert re.match(r"7200 \(", f["Valid time"]), f
    assert re.match(r"3600 \(", f["Pref. time"]), f
    assert f["MTU"].startswith("1400 bytes"), f
    mac = next(i for i in r.request("interfaces")["interfaces"] if i["name"] == "de0")["ether"]
    assert f["Source link-layer address"].lower() == mac.lower(), f
    assert f["from"] == router_link_local(r, "de0"), f


def test_rs_is_answered_at_once_and_sigterm_sends_lifetime_zero(lab, umigamed_bin):
    from scapy.layers.inet6 import ICMPv6ND_RA, IPv6
    from scapy.layers.l2 import Ether

    r, h1, _ = router(lab, two_ports=False)
    # Unsolicited RAs at most every 600 s, the first after 16 s: only an RS makes one now.
    conf = write_conf(lab, "de0:maxinterval#600:\n")
    bg = start_rtadvd(lab, r, conf, "de0")
    t0 = time.monotonic()
    f = rdisc6(h1, "-w", "3000", "-r", "1")
    assert time.monotonic() - t0 < 10, "the RA was not an answer to the RS"
    assert re.match(r"1800 \(", f["Router lifetime"]), f
    assert f["Prefix"] == "2001:db8:1::/64", f
    assert r.request("rtadvd_status")["interfaces"][0]["rs_in"] >= 1
    # The kernel heard the same (multicast) RA: h1 has its router.
    wait_until(lambda: default_routes(h1), 10, "h1's default route")

    # SIGUSR1: the state as KAME's rtadvd.dump shows it; rtadvd carries on.
    dump = lab.workdir / "rtadvd.dump"
    bg.proc.send_signal(signal.SIGUSR1)
    text = wait_until(lambda: dump.exists() and dump.read_text(), 10, "the rtadvd dump")
    assert text.startswith("de0:\n  Status: UP\n  Last RA sent: "), text
    assert re.search(r"^  statistics: RA\(out/in/inconsistent\): [1-9]\d*/0/0, RS\(input/bad\): [1-9]\d*/0$",
                     text, re.M), text
    assert "  DefaultLifetime: 1800, MaxAdvInterval: 600, MinAdvInterval: 200\n" in text, text
    assert "    2001:db8:1::/64(KERNEL, vltime: 2592000, pltime: 604800, flags: LA)\n" in text, text
    assert bg.proc.poll() is None, bg.output()

    sock = h1.packet_socket("eth0")
    sock.drain()
    bg.proc.send_signal(signal.SIGTERM)

    def final_ra(frame: bytes):
        p = Ether(frame)
        return p if ICMPv6ND_RA in p and p[ICMPv6ND_RA].routerlifetime == 0 else None

    p = final_ra(sock.recv_until(final_ra, 5, "an RA with router lifetime 0"))
    assert p[IPv6].dst == "ff02::1" and p[IPv6].hlim == 255, p.summary()
    assert bg.proc.wait(10) == 0, bg.output()
    wait_until(lambda: not default_routes(h1), 10, "h1 to drop its default route")
    # The rest of the final RAs go out MIN_DELAY_BETWEEN_RAS apart, then nothing.
    wait_until(lambda: not r.request("rtadvd_status")["interfaces"], 15, "the final RAs to be sent")


def test_other_routers_inconsistent_ra_is_logged_and_counted(lab, umigamed_bin):
    from scapy.layers.inet6 import ICMPv6ND_RA, ICMPv6NDOptPrefixInfo, IPv6
    from scapy.layers.l2 import Ether

    r, h1, _ = router(lab, two_ports=False)
    conf = write_conf(lab, "de0:chlim#64:rtime#30000:addr=\"2001:db8:1::\":vltime#7200:pltime#3600:\n")
    bg = start_rtadvd(lab, r, conf, "de0")
    h1_ll = h1.link_local("eth0")["local"]
    before = stats_flat(r)
    ra = (Ether(src=h1.mac("eth0"), dst="33:33:00:00:00:01")
          / IPv6(src=h1_ll, dst="ff02::1", hlim=255)
          / ICMPv6ND_RA(chlim=32, M=1, reachabletime=20000, routerlifetime=0)
          / ICMPv6NDOptPrefixInfo(prefix="2001:db8:1::", prefixlen=64, validlifetime=600,
                                  preferredlifetime=300))
    h1.packet_socket("eth0").send(bytes(ra))
    wait_until(lambda: stats_flat(r).get("icmp6.ra_inconsistent", 0) > before.get("icmp6.ra_inconsistent", 0),
               10, "the inconsistency to be counted")
    wait_until(lambda: "preferred lifetime for" in bg.output(), 10, "rtadvd -f to print the log lines")
    out = bg.output()
    for line in (f"<ra_input> CurHopLimit inconsistent on de0: 32 from {h1_ll}, 64 from us",
                 f"<ra_input> M flag inconsistent on de0: ON from {h1_ll}, OFF from us",
                 f"<ra_input> ReachableTime inconsistent on de0: 20000 from {h1_ll}, 30000 from us",
                 f"<prefix_check> valid lifetime for 2001:db8:1::/64 inconsistent on de0: 600 from {h1_ll}, 7200 from us",
                 f"<prefix_check> preferred lifetime for 2001:db8:1::/64 inconsistent on de0: 300 from {h1_ll}, 3600 from us"):
        assert line in out, out
    ns = r.tool("netstat", "-s", "-p", "icmp6", check=True).stdout
    assert "\t1 router advertisements inconsistent with ours\n" in ns, ns


def test_without_f_rtadvd_returns_and_sigterm_to_it_stops(lab, umigamed_bin):
    r, h1, _ = router(lab, two_ports=False)
    conf = write_conf(lab, FAST + "de0:tc=default:\n")
    pidfile = lab.workdir / "rtadvd.pid"
    env = {"UMIGAME_RTADVD_PIDFILE": str(pidfile)}
    cp = r.tool("rtadvd", "-c", conf, "de0", env=env, timeout=20)
    assert cp.returncode == 0 and cp.stderr == "", describe(cp)
    pid = int(wait_until(lambda: pidfile.exists() and pidfile.read_text().strip(), 5, "the pid file"))

    def kill():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    lab.res.add(f"kill rtadvd {pid}", kill)
    assert [i["name"] for i in r.request("rtadvd_status")["interfaces"]] == ["de0"]
    wait_until(lambda: slaac_address(h1, "2001:db8:1::/64"), 20, "h1's SLAAC address")
    wait_until(lambda: default_routes(h1), 10, "h1's default route")
    os.kill(pid, signal.SIGTERM)
    wait_until(lambda: not default_routes(h1), 10, "h1 to drop its default route")
    wait_until(lambda: not pidfile.exists(), 10, "rtadvd to exit and remove its pid file")


def test_forwarding_off_refuses_a_router_lifetime(lab, umigamed_bin):
    r, _, _ = router(lab, two_ports=False, forwarding=False)
    conf = write_conf(lab, "de0:maxinterval#4:mininterval#3:\n")
    cp = r.tool("rtadvd", "-f", "-c", conf, "de0", timeout=20)
    assert cp.returncode == 1, describe(cp)
    assert cp.stderr == ("rtadvd: <getconfig> non zero router lifetime is specified for de0, which must "
                         "not be allowed for hosts.  you must change router lifetime or enable IPv6 "
                         "forwarding.\n"), describe(cp)
    assert r.request("rtadvd_status")["interfaces"] == []


def test_bad_configurations_and_command_lines(lab, umigamed_bin):
    r, _, _ = router(lab, two_ports=False)
    cases = [
        ("de0:maxinterval#2:\n", ["de0"],
         "rtadvd: <getconfig> maxinterval (2) on de0 is invalid (must be between 4 and 1800)\n"),
        ("de0:rltime#10:\n", ["de0"],
         "rtadvd: <getconfig> router lifetime (10) on de0 is invalid (must be 0 or between 600 and 9000)\n"),
        ("de0:addr=\"2001:db8::g\":\n", ["de0"], "rtadvd: <getconfig> inet_pton failed for 2001:db8::g\n"),
        ("de0:tc=ether:\n", ["de0"], "rtadvd: <getconfig> entry de0: tc=ether names no entry\n"),
        ("de0:mtu#1600:\n", ["de0"],
         "rtadvd: <getconfig> advertised link mtu (1600) on de0 is invalid (must be between least MTU "
         "(1280) and physical link MTU (1500)\n"),
        ("", ["de9"], "rtadvd: <getconfig> interface de9 does not exist\n"),
    ]
    for text, ifs, err in cases:
        conf = write_conf(lab, text)
        cp = r.tool("rtadvd", "-f", "-c", conf, *ifs, timeout=20)
        assert (cp.returncode, cp.stderr) == (1, err), describe(cp)
    usage = "usage: rtadvd [-c configfile] [-dDfmRs] interface ...\n"
    cp = r.tool("rtadvd", "-f")
    assert (cp.returncode, cp.stderr) == (1, usage), describe(cp)
    cp = r.tool("rtadvd", "-z", "de0")
    assert (cp.returncode, cp.stderr) == (1, "rtadvd: illegal option -- z\n" + usage), describe(cp)
    cp = r.tool("rtadvd", "-f", "-c", write_conf(lab, ""), "de0", user="nobody")
    assert (cp.returncode, cp.stderr) == (1, "rtadvd: must be root to advertise\n"), describe(cp)
    # A second rtadvd on an interface already advertised is refused; the first is unharmed.
    conf = write_conf(lab, FAST + "de0:tc=default:\n")
    start_rtadvd(lab, r, conf, "de0")
    cp = r.tool("rtadvd", "-f", "-c", conf, "de0", timeout=20)
    assert cp.returncode == 1 and "already advertising" in cp.stderr, describe(cp)
    assert [i["name"] for i in r.request("rtadvd_status")["interfaces"]] == ["de0"]
    assert r.request("rtadvd_status")["interfaces"][0]["stopping"] is False


def test_umigamed_stopping_under_rtadvd(lab, umigamed_bin):
    """The daemon's own shutdown while advertising: a clean exit, and rtadvd -f notices."""
    r, h1, _ = router(lab, two_ports=False)
    conf = write_conf(lab, FAST + "de0:tc=default:\n")
    bg = start_rtadvd(lab, r, conf, "de0")
    wait_until(lambda: default_routes(h1), 20, "h1's default route")
    assert r.stop() == 0, r.stderr_text()
    assert bg.proc.wait(10) == 1, bg.output()
    assert "<main> lost the connection to umigamed" in bg.output(), bg.output()
