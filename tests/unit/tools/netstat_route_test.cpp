// netstat -r, -i and the IPv4 sections of -s: golden layouts and runs against
// a fake daemon.
#include <catch2/catch.hpp>

#include "fake_daemon.hpp"
#include "tools/common/kame_tools.hpp"
#include "tools/common/netstat_cmd.hpp"
#include "tools/common/netstat_print.hpp"
#include "tools/common/netstat_route_print.hpp"

using namespace umi::tools;
using umi::tools::test::fake_daemon;
using umi::tools::test::fake_reply;

namespace {

const char* const routes_json = R"({"routes": [
  {"family": "inet", "dest": "0.0.0.0", "prefixlen": 0, "gateway": "192.0.2.254",
   "ifname": "de0", "flags": "UGS", "refs": 0, "use": 7, "mtu": 1500, "expire": null,
   "kind": "static"},
  {"family": "inet", "dest": "10.1.0.0", "prefixlen": 16, "gateway": "192.0.2.1",
   "ifname": "de0", "flags": "UGS", "refs": 0, "use": 0, "mtu": 1500, "expire": null,
   "kind": "static"},
  {"family": "inet", "dest": "192.0.2.0", "prefixlen": 24, "gateway": null, "ifname": "de0",
   "flags": "UC", "refs": 1, "use": 3, "mtu": 1500, "expire": null, "kind": "connected"},
  {"family": "inet6", "dest": "::", "prefixlen": 0, "gateway": "fe80::200:a2ff:fe0e:7543%de0",
   "ifname": "de0", "flags": "UGS", "refs": 0, "use": 12, "mtu": 1500, "expire": null,
   "kind": "static"},
  {"family": "inet6", "dest": "2001:db8:1::", "prefixlen": 64, "gateway": null,
   "ifname": "de0", "flags": "UC", "refs": 2, "use": 0, "mtu": 1500, "expire": null,
   "kind": "connected"},
  {"family": "inet6", "dest": "2001:db8:1::1", "prefixlen": 128, "gateway": null,
   "ifname": "de0", "flags": "UH", "refs": 0, "use": 0, "mtu": 0, "expire": null,
   "kind": "host"},
  {"family": "inet6", "dest": "2001:db8:2::5", "prefixlen": 128, "gateway": "fe80::1%de1",
   "ifname": "de1", "flags": "UGHD", "refs": 0, "use": 4, "mtu": 1500, "expire": 598,
   "kind": "redirect"},
  {"family": "inet6", "dest": "2001:db8:6::9", "prefixlen": 128, "gateway": "fe80::1%de1",
   "ifname": "de1", "flags": "UGHW", "refs": 0, "use": 0, "mtu": 1500, "expire": null,
   "kind": "static", "cloned": true},
  {"family": "inet6", "dest": "fe80::", "prefixlen": 64, "gateway": null, "ifname": "de0",
   "flags": "UC", "refs": 0, "use": 0, "mtu": 1500, "expire": null, "kind": "connected"}]})";

const char* const interfaces_json = R"({"interfaces": [
  {"name": "de0", "index": 1, "flags": 34883, "mtu": 1500, "ether": "02:00:00:00:00:01",
   "inet": [{"addr": "192.0.2.1", "prefixlen": 24, "broadcast": "192.0.2.255"}],
   "inet6": [{"addr": "fe80::ff:fe00:1", "prefixlen": 64, "scopeid": 1, "flags": []},
             {"addr": "2001:db8:1::1", "prefixlen": 64, "scopeid": 0, "flags": []}]},
  {"name": "de1", "index": 2, "flags": 34818, "mtu": 9000, "ether": "02:00:00:00:0a:0b",
   "inet": [{"addr": "10.1.2.3", "prefixlen": 16, "broadcast": "10.1.255.255"}],
   "inet6": []}]})";

// Independently computed with printf("%-33s ") & co. (netstat -nr).
const char* const nr_text =
    "Routing tables\n"
    "\n"
    "Internet:\n"
    "Destination                       Gateway                       Flags      Netif Expire\n"
    "default                           192.0.2.254                   UGS         de0\n"
    "10.1/16                           192.0.2.1                     UGS         de0\n"
    "192.0.2                           link#1                        UC          de0\n"
    "\n"
    "Internet6:\n"
    "Destination                       Gateway                       Flags      Netif Expire\n"
    "default                           fe80::200:a2ff:fe0e:7543%de0  UGS         de0\n"
    "2001:db8:1::/64                   link#1                        UC          de0\n"
    "2001:db8:1::1                     link#1                        UH          de0\n"
    "2001:db8:2::5                     fe80::1%de1                   UGHD        de1    598\n"
    "fe80::%de0/64                     link#1                        UC          de0\n";

const char* const r_text =
    "Routing tables\n"
    "\n"
    "Internet:\n"
    "Destination        Gateway            Flags      Netif Expire\n"
    "default            192.0.2.254        UGS         de0\n"
    "10.1/16            192.0.2.1          UGS         de0\n"
    "192.0.2            link#1             UC          de0\n"
    "\n"
    "Internet6:\n"
    "Destination        Gateway            Flags      Netif Expire\n"
    "default            fe80::200:a2ff:fe0 UGS         de0\n"
    "2001:db8:1::       link#1             UC          de0\n"
    "2001:db8:1::1      link#1             UH          de0\n"
    "2001:db8:2::5      fe80::1%de1        UGHD        de1    598\n"
    "fe80::%de0         link#1             UC          de0\n";

const char* const nrl6_text =
    "Routing tables\n"
    "\n"
    "Internet6:\n"
    "Destination                             Gateway                         Flags     Refs     "
    "Use   Mtu     Netif Expire\n"
    "default                                 fe80::200:a2ff:fe0e:7543%de0    UGS         0       "
    "12  1500      de0\n"
    "2001:db8:1::/64                         link#1                          UC          2        "
    "0  1500      de0\n"
    "2001:db8:1::1                           link#1                          UH          0        "
    "0            de0\n"
    "2001:db8:2::5                           fe80::1%de1                     UGHD        0        "
    "4  1500      de1    598\n"
    "fe80::%de0/64                           link#1                          UC          0        "
    "0  1500      de0\n";

const char* const i_text =
    "Name  Mtu   Network       Address            Ipkts Ierrs    Opkts Oerrs  Coll\n"
    "de0   1500  <Link#1>    02.00.00.00.00.01        5     0        3     0     0\n"
    "de0   1500  192.0.2       192.0.2.1              5     0        3     0     0\n"
    "de0   1500  fe80::      fe80::ff:fe00:1          5     0        3     0     0\n"
    "de0   1500  2001:db8:1: 2001:db8:1::1            5     0        3     0     0\n"
    "de1*  9000  <Link#2>    02.00.00.00.0a.0b        0     0        0     0     0\n"
    "de1*  9000  10.1/16       10.1.2.3               0     0        0     0     0\n";

const char* const stats_json = R"({
  "ip": {"total": 12, "badsum": 1, "delivered": 9, "forward": 2, "localout": 1},
  "icmp": {"error": 1, "reflect": 2},
  "icmp_in_hist": {"8": 2, "0": 1, "40": 5},
  "icmp_out_hist": {"0": 2, "11": 1},
  "ip6": {}, "icmp6": {}, "drops": [],
  "ports": [{"name": "de0", "rx_packets": 5, "tx_packets": 3}]})";

const char* const ip_text =
    "ip:\n"
    "\t12 total packets received\n"
    "\t1 bad header checksum\n"
    "\t0 with size smaller than minimum\n"
    "\t0 with data size < data length\n"
    "\t0 with ip length > max ip packet size\n"
    "\t0 with header length < data size\n"
    "\t0 with data length < header length\n"
    "\t0 with bad options\n"
    "\t0 with incorrect version number\n"
    "\t0 fragments received\n"
    "\t0 fragments dropped (dup or out of space)\n"
    "\t0 fragments dropped after timeout\n"
    "\t0 packets reassembled ok\n"
    "\t9 packets for this host\n"
    "\t0 packets for unknown/unsupported protocol\n"
    "\t2 packets forwarded (0 packets fast forwarded)\n"
    "\t0 packets not forwardable\n"
    "\t0 packets received for unknown multicast group\n"
    "\t0 redirects sent\n"
    "\t1 packet sent from this host\n"
    "\t0 packets sent with fabricated ip header\n"
    "\t0 output packets dropped due to no bufs, etc.\n"
    "\t0 output packets discarded due to no route\n"
    "\t0 output datagrams fragmented\n"
    "\t0 fragments created\n"
    "\t0 datagrams that can't be fragmented\n"
    "\t0 tunneling packets that can't find gif\n";

const char* const icmp_text =
    "icmp:\n"
    "\t1 call to icmp_error\n"
    "\t0 errors not generated 'cuz old message was icmp\n"
    "\tOutput histogram:\n"
    "\t\techo reply: 2\n"
    "\t\ttime exceeded: 1\n"
    "\t0 messages with bad code fields\n"
    "\t0 messages < minimum length\n"
    "\t0 bad checksums\n"
    "\t0 messages with bad length\n"
    "\t0 multicast echo requests ignored\n"
    "\t0 multicast timestamp requests ignored\n"
    "\tInput histogram:\n"
    "\t\techo reply: 1\n"
    "\t\techo: 2\n"
    "\t2 message responses generated\n"
    "\tICMP address mask responses are disabled\n";

boost::json::value json(const char* t) {
  return boost::json::parse(t);
}

if_index_map indexes() {
  return index_interfaces(json(interfaces_json));
}

}  // namespace

TEST_CASE("netstat -nr prints KAME's columns with /len", "[tools][netstat][routes]") {
  netstat_route_view v;
  v.numeric = true;
  CHECK(format_routing_tables(json(routes_json), indexes(), v) == nr_text);
}

TEST_CASE("netstat -r truncates to 18 columns and drops /len on IPv6", "[tools][netstat][routes]") {
  CHECK(format_routing_tables(json(routes_json), indexes(), {}) == r_text);
}

TEST_CASE("netstat -nrl -f inet6 adds Refs, Use and Mtu", "[tools][netstat][routes]") {
  netstat_route_view v;
  v.numeric = v.long_format = true;
  v.family = "inet6";
  CHECK(format_routing_tables(json(routes_json), indexes(), v) == nrl6_text);
}

TEST_CASE("netstat -ra shows protocol-cloned routes", "[tools][netstat][routes]") {
  netstat_route_view v;
  v.numeric = v.all = true;
  v.family = "inet6";
  auto text = format_routing_tables(json(routes_json), indexes(), v);
  CHECK(text.find(
            "2001:db8:6::9                     fe80::1%de1                   UGHW        de1\n") !=
        std::string::npos);
  CHECK(std::string(nr_text).find("2001:db8:6::9") == std::string::npos);
}

TEST_CASE("netstat -i lists a <Link#N> row and one row per address", "[tools][netstat][if]") {
  CHECK(format_interface_table(json(interfaces_json), json(stats_json), {}) == i_text);
  netstat_if_view v;
  v.numeric = true;
  v.interface = "de0";
  CHECK(format_interface_table(json(interfaces_json), json(stats_json), v) ==
        "Name  Mtu   Network       Address            Ipkts Ierrs    Opkts Oerrs  Coll\n"
        "de0   1500  <Link#1>    02.00.00.00.00.01        5     0        3     0     0\n"
        "de0   1500  192.0.2       192.0.2.1              5     0        3     0     0\n"
        "de0   1500  fe80::/64   fe80::ff:fe00:1          5     0        3     0     0\n"
        "de0   1500  2001:db8:1: 2001:db8:1::1            5     0        3     0     0\n");
}

TEST_CASE("netstat -s -p ip and -p icmp use FreeBSD's wording", "[tools][netstat]") {
  auto st = json(stats_json).as_object();
  CHECK(format_ip_stats(st, false) == ip_text);
  CHECK(format_icmp_stats(st, false) == icmp_text);
  CHECK(format_ip_stats(st, true) ==
        "ip:\n"
        "\t12 total packets received\n"
        "\t1 bad header checksum\n"
        "\t9 packets for this host\n"
        "\t2 packets forwarded\n"
        "\t1 packet sent from this host\n");
  // umigame's own counters follow FreeBSD's when the reply has them.
  auto extra = boost::json::parse(R"({"ip": {"badsrc": 1},
      "icmp": {"toofreq": 2, "arp_badlen": 0, "arp_conflict": 1, "arp_cache_full": 3}})");
  auto ip = format_ip_stats(extra.as_object(), true);
  CHECK(ip == "ip:\n\t1 packet with an invalid source address\n");
  CHECK(format_icmp_stats(extra.as_object(), true) ==
        "icmp:\n"
        "\t2 errors not generated because of rate limitation\n"
        "\t1 ARP packet claiming one of our addresses\n"
        "\t3 ARP entries refused because the cache is full\n"
        "\tICMP address mask responses are disabled\n");
  // Without the objects (an older umigamed) the sections are silent.
  CHECK(format_ip_stats(boost::json::object{}, false).empty());
  CHECK(format_icmp_stats(boost::json::object{}, false).empty());
}

TEST_CASE("netstat argv: -r, -i and families", "[tools][netstat][argv]") {
  auto nrl = parse_netstat({"-nrl"});
  REQUIRE(nrl);
  CHECK(nrl->mode == netstat_mode::routes);
  CHECK(nrl->numeric);
  CHECK(nrl->long_format);
  auto f = parse_netstat({"-r", "-f", "inet6", "-a"});
  REQUIRE(f);
  CHECK(f->family == "inet6");
  CHECK(f->all);
  auto i = parse_netstat({"-i", "-I", "de0"});
  REQUIRE(i);
  CHECK(i->mode == netstat_mode::interfaces);
  CHECK(i->interface == "de0");
  auto p = parse_netstat({"-s", "-p", "icmp"});
  REQUIRE(p);
  CHECK(p->protocol == "icmp");
  CHECK(parse_netstat({"-sfinet"})->family == "inet");
  CHECK(parse_netstat({"-rs"}).error().message == "routing statistics are not available yet");
  CHECK(parse_netstat({"-l"}).error().show_usage);
  CHECK(parse_netstat({"-r", "-f", "link"}).error().message ==
        "address family link is not supported");
}

TEST_CASE("netstat -r, -i and -s -f inet against a fake daemon", "[tools][netstat][daemon]") {
  fake_daemon d;
  d.on("routes", [](const boost::json::object&) {
    fake_reply r;
    r.result = json(routes_json);
    return r;
  });
  d.on("interfaces", [](const boost::json::object&) {
    fake_reply r;
    r.result = json(interfaces_json);
    return r;
  });
  d.on("stats", [](const boost::json::object&) {
    fake_reply r;
    r.result = json(stats_json);
    return r;
  });
  auto nr = test::run_tool(&run_netstat, {"-nr"}, d.path());
  CHECK(nr.rc == 0);
  CHECK(nr.out == nr_text);
  CHECK_FALSE(d.args_of("routes").at(0).contains("family"));
  auto six = test::run_tool(&run_netstat, {"-nrl", "-f", "inet6"}, d.path());
  CHECK(six.out == nrl6_text);
  CHECK(d.args_of("routes").at(1).at("family").as_string() == "inet6");
  auto i = test::run_tool(&run_netstat, {"-i"}, d.path());
  CHECK(i.rc == 0);
  CHECK(i.out == i_text);
  auto inet = test::run_tool(&run_netstat, {"-s", "-f", "inet"}, d.path());
  CHECK(inet.out == std::string(ip_text) + icmp_text);
  auto icmp = test::run_tool(&run_netstat, {"-p", "icmp"}, d.path());
  CHECK(icmp.out == icmp_text);
  auto json_out = test::run_tool(&run_netstat, {"-r", "--json"}, d.path());
  CHECK(boost::json::parse(json_out.out) == json(routes_json));
}
