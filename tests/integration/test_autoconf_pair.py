"""Both halves of stateless autoconfiguration on umigame at once: router r1 runs rtadvd on
de0 (2001:db8:1::/64, forwarding on, a second link 2001:db8:2::/64 on de1 towards Linux
h2); host r2 (another umigamed, forwarding off, accept_rtadv=1) solicits with rtsol on the
same Ethernet segment, forms its address, learns r1 as default router, and reaches h2
through it. When rtadvd stops, its final advertisements (router lifetime 0) take r1 off
r2's default router list."""

from __future__ import annotations

import re

import umitest
from umitest import describe, wait_until

R1_DE0 = "2001:db8:1::1"
R1_DE1 = "2001:db8:2::1"
H2 = "2001:db8:2::2"

CONF = """\
de0:\\
\t:maxinterval#30:mininterval#10:rltime#600:\\
\t:addr="2001:db8:1::":prefixlen#64:vltime#7200:pltime#3600:
"""


def test_umigame_host_autoconfigures_from_umigame_rtadvd(lab, umigamed_bin):
    r1 = lab.router("r1")
    r2 = lab.router("r2")
    h2 = lab.host("h2")
    sw = umitest.shared_link(lab, r1, "de0", [])
    r2.add_port("de0", sw, "p9")
    sw.run(["ip", "link", "set", "p9", "master", "br0"])
    r1.add_port("de1", h2, "eth0")
    r1.start()
    r2.start()
    umitest.configure_address(r1, "de0", R1_DE0, 64)
    umitest.configure_address(r1, "de1", R1_DE1, 64)
    umitest.enable_forwarding(r1, inet=False)
    h2.add_address("eth0", f"{H2}/64")
    h2.run(["ip", "-6", "route", "add", "default", "via", R1_DE1])
    h2.wait_link_ready("eth0")
    umitest.wait_addresses_preferred(r1, ["de0", "de1"])
    umitest.wait_addresses_preferred(r2, ["de0"])
    r1_ll = umitest.link_local_of(r1, "de0")

    conf = lab.workdir / "rtadvd.conf"
    conf.write_text(CONF)
    rtadvd = lab.spawn([str(umitest.KAME_DIR / "rtadvd"), "-f", "-c", str(conf), "de0"], netns=r1.ns,
                       name="rtadvd", env={"UMIGAME_SOCKET": str(r1.socket)})
    wait_until(lambda: any(i["name"] == "de0" for i in r1.request("rtadvd_status")["interfaces"]), 10,
               "r1 to advertise on de0")

    r2.tool("sysctl", "-w", "net.inet6.ip6.accept_rtadv=1", check=True)
    cp = r2.tool("rtsol", "de0", timeout=30)
    assert cp.returncode == 0, describe(cp)

    def autoconf_address():
        out = r2.tool("ifconfig", "de0", check=True).stdout
        m = re.search(r"^\tinet6 (2001:db8:1:[0-9a-f:]+) prefixlen 64 autoconf(?! tentative)", out, re.M)
        return m[1] if m else None

    addr = wait_until(autoconf_address, 15, "r2's autoconfigured address")
    routers = r2.tool("ndp", "-r", check=True).stdout
    assert re.search(rf"^{re.escape(r1_ll)}(%de0)? if=de0, flags=, expire=", routers, re.M), routers
    prefixes = r2.tool("ndp", "-p", check=True).stdout
    assert "2001:db8:1::/64 if=de0" in prefixes and r1_ll in prefixes, prefixes
    routes = r2.tool("netstat", "-nr", "-f", "inet6", check=True).stdout
    assert re.search(rf"^default +{re.escape(r1_ll)}%de0 +UG", routes, re.M), routes

    # Through r1, by the learned default route, to a host on r1's other link.
    cp = r2.tool("ping6", "-c", "2", "-i", "0.2", H2, timeout=20)
    assert cp.returncode == 0 and "2 packets received" in cp.stdout, describe(cp)
    assert f"PING6(56=40+8+8 bytes) {addr} --> {H2}" in cp.stdout, cp.stdout

    # rtadvd's final RAs (router lifetime 0) withdraw r1 as a default router at once.
    rtadvd.stop()

    def no_default_router():
        return r2.tool("ndp", "-r", check=True).stdout.strip() == ""

    wait_until(no_default_router, 10, "r1 to leave r2's default router list")
    routes = r2.tool("netstat", "-nr", "-f", "inet6", check=True).stdout
    assert not re.search(r"^default ", routes, re.M), routes
    # The address stays: its prefix lifetimes were not withdrawn.
    assert r2.tool("ifconfig", "de0", check=True).stdout.count(addr) == 1
