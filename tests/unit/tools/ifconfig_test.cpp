// ifconfig: argv grammar, guide-era status printer, and runs against a fake daemon.
#include <catch2/catch.hpp>

#include "fake_daemon.hpp"
#include "tools/common/ifconfig_cmd.hpp"
#include "tools/common/ifconfig_print.hpp"
#include "tools/common/kame_tools.hpp"

using namespace umi::tools;
using umi::tools::test::fake_daemon;
using umi::tools::test::fake_reply;

namespace {

const char* const two_interfaces = R"({"interfaces": [
  {"name": "de0", "index": 1, "flags": 34883, "mtu": 1500,
   "ether": "02:00:00:00:00:01", "media": "10GbaseT", "status": "active",
   "inet6": [{"addr": "fe80::ff:fe00:1", "prefixlen": 64, "scopeid": 1,
              "flags": [], "pltime": null, "vltime": null},
             {"addr": "2001:db8::1", "prefixlen": 64, "scopeid": 0,
              "flags": ["tentative", "anycast"], "pltime": 3600, "vltime": 7200}],
   "inet": []},
  {"name": "de1", "index": 2, "flags": 34818, "mtu": 9000,
   "ether": "02:00:00:00:0a:0b", "media": "10GbaseT", "status": "no carrier",
   "inet6": [{"addr": "fe80::ff:fe00:a0b", "prefixlen": 64, "scopeid": 2,
              "flags": ["duplicated", "deprecated", "autoconf", "detached"],
              "pltime": 0, "vltime": 10}],
   "inet": []}]})";

const char* const de0_block =
    "de0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n"
    "\tether 2:0:0:0:0:1\n"
    "\tinet6 fe80::ff:fe00:1%de0 prefixlen 64 scopeid 0x1\n"
    "\tinet6 2001:db8::1 prefixlen 64 anycast tentative\n"
    "\tmedia: 10GbaseT status: active\n";

const char* const de1_block =
    "de1: flags=8802<BROADCAST,SIMPLEX,MULTICAST> mtu 9000\n"
    "\tether 2:0:0:0:a:b\n"
    "\tinet6 fe80::ff:fe00:a0b%de1 prefixlen 64 duplicated detached deprecated autoconf scopeid "
    "0x2\n"
    "\tmedia: 10GbaseT status: no carrier\n";

boost::json::value sample() {
  return boost::json::parse(two_interfaces);
}

fake_reply interfaces_reply(const boost::json::object& args) {
  auto all = sample();
  if (auto* n = args.if_contains("name")) {
    boost::json::array pick;
    for (auto& i : all.as_object()["interfaces"].as_array())
      if (i.as_object()["name"] == *n) pick.push_back(i);
    if (pick.empty())
      return fake_reply::error("ENXIO",
                               "interface " + std::string(n->as_string()) + " does not exist");
    fake_reply r;
    r.result = boost::json::object{{"interfaces", pick}};
    return r;
  }
  fake_reply r;
  r.result = all;
  return r;
}

}  // namespace

TEST_CASE("ifconfig prints the guide-era status block", "[tools][ifconfig]") {
  CHECK(format_interfaces(sample(), {}) == std::string(de0_block) + de1_block);
}

TEST_CASE("ifconfig -L adds pltime and vltime to every inet6 line", "[tools][ifconfig]") {
  ifconfig_view v;
  v.lifetimes = true;
  auto all = sample();
  const auto& de0 = all.as_object().at("interfaces").as_array()[0].as_object();
  CHECK(format_interface(de0, v) ==
        "de0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n"
        "\tether 2:0:0:0:0:1\n"
        "\tinet6 fe80::ff:fe00:1%de0 prefixlen 64 scopeid 0x1 pltime infty vltime infty\n"
        "\tinet6 2001:db8::1 prefixlen 64 anycast tentative pltime 3600 vltime 7200\n"
        "\tmedia: 10GbaseT status: active\n");
  const auto& de1 = all.as_object().at("interfaces").as_array()[1].as_object();
  CHECK(format_inet6_line(de1.at("inet6").as_array()[0].as_object(), "de1", true) ==
        "\tinet6 fe80::ff:fe00:a0b%de1 prefixlen 64 duplicated detached deprecated autoconf "
        "scopeid 0x2"
        " pltime 0 vltime 10\n");
}

TEST_CASE("ifconfig IF inet6 shows only the flags and inet6 lines", "[tools][ifconfig]") {
  ifconfig_view v;
  v.inet6_only = true;
  auto all = sample();
  CHECK(format_interface(all.as_object().at("interfaces").as_array()[0].as_object(), v) ==
        "de0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n"
        "\tinet6 fe80::ff:fe00:1%de0 prefixlen 64 scopeid 0x1\n"
        "\tinet6 2001:db8::1 prefixlen 64 anycast tentative\n");
}

TEST_CASE("ifconfig -l lists names, -u and -d filter", "[tools][ifconfig]") {
  CHECK(format_interface_names(sample(), {}) == "de0 de1\n");
  ifconfig_view up;
  up.only_up = true;
  CHECK(format_interface_names(sample(), up) == "de0\n");
  ifconfig_view down;
  down.only_down = true;
  CHECK(format_interfaces(sample(), down) == de1_block);
}

TEST_CASE("an interface without ether or media prints neither line", "[tools][ifconfig]") {
  auto lo = boost::json::parse(
      R"({"name": "lo0", "flags": 32841, "mtu": 16384,
          "inet6": [{"addr": "::1", "prefixlen": 128, "scopeid": 0, "flags": []}]})");
  CHECK(format_interface(lo.as_object(), {}) ==
        "lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 16384\n"
        "\tinet6 ::1 prefixlen 128\n");
}

TEST_CASE("ifconfig argv: display forms", "[tools][ifconfig][argv]") {
  auto a = parse_ifconfig({"-a"});
  REQUIRE(a);
  CHECK(a->mode == ifconfig_mode::show_all);
  auto al = parse_ifconfig({"-aL", "inet6"});
  REQUIRE(al);
  CHECK(al->lifetimes);
  CHECK(al->af == "inet6");
  auto l = parse_ifconfig({"-l", "-u"});
  REQUIRE(l);
  CHECK(l->mode == ifconfig_mode::list_names);
  CHECK(l->only_up);
  auto one = parse_ifconfig({"de0"});
  REQUIRE(one);
  CHECK(one->mode == ifconfig_mode::show_one);
  CHECK(one->ifname == "de0");
  auto six = parse_ifconfig({"-L", "de0", "inet6"});
  REQUIRE(six);
  CHECK(six->mode == ifconfig_mode::show_one);
  CHECK(six->af == "inet6");
  CHECK(six->lifetimes);
}

TEST_CASE("ifconfig argv: addresses and keywords", "[tools][ifconfig][argv]") {
  auto c = parse_ifconfig({"de0", "inet6", "3ffe:501:808:1:200:f8ff:fe01:6317", "alias"});
  REQUIRE(c);
  CHECK(c->mode == ifconfig_mode::configure);
  REQUIRE(c->addr);
  CHECK(c->addr->addr == "3ffe:501:808:1:200:f8ff:fe01:6317");
  CHECK(c->addr->prefixlen == 64);  // default when not given
  CHECK(c->addr->alias);
  CHECK_FALSE(c->addr->remove);

  auto d = parse_ifconfig(
      {"de0", "inet6", "2001:db8::1", "prefixlen", "48", "anycast", "tentative", "-tentative"});
  REQUIRE(d);
  CHECK(d->addr->prefixlen == 48);
  CHECK(d->addr->anycast);
  CHECK_FALSE(d->addr->tentative);
  CHECK_FALSE(d->addr->alias);

  for (const char* rm : {"-alias", "delete"}) {
    auto r = parse_ifconfig({"de0", "inet6", "2001:db8::1", rm});
    REQUIRE(r);
    CHECK(r->addr->remove);
  }

  auto up = parse_ifconfig({"de0", "up"});
  REQUIRE(up);
  CHECK(up->up == true);
  CHECK_FALSE(up->addr);
  auto down = parse_ifconfig({"de0", "down"});
  REQUIRE(down);
  CHECK(down->up == false);

  auto slash = parse_ifconfig({"de0", "inet6", "2001:db8::1/56"});
  REQUIRE(slash);
  CHECK(slash->addr->addr == "2001:db8::1");
  CHECK(slash->addr->prefixlen == 56);

  auto zone = parse_ifconfig({"de0", "inet6", "fe80::1%de0", "alias"});
  REQUIRE(zone);
  CHECK(zone->addr->addr == "fe80::1%de0");
}

TEST_CASE("ifconfig argv: errors", "[tools][ifconfig][argv]") {
  auto msg = [](std::vector<std::string> a) {
    auto r = parse_ifconfig(a);
    REQUIRE_FALSE(r);
    return r.error();
  };
  CHECK(msg({}).show_usage);
  CHECK(msg({"-a", "-l"}).show_usage);
  CHECK(msg({"-x"}).show_usage);
  CHECK(msg({"-a", "-u", "-d"}).show_usage);
  CHECK(msg({"-a", "inet6", "extra"}).show_usage);
  CHECK(msg({"de0", "inet6", "2001:db8::1", "prefixlen", "129"}).message == "129: bad value");
  CHECK(msg({"de0", "inet6", "2001:db8::1", "prefixlen", "-1"}).message == "-1: bad value");
  CHECK(msg({"de0", "inet6", "2001:db8::1", "prefixlen", "x"}).message == "x: bad value");
  CHECK(msg({"de0", "inet6", "2001:db8::1", "prefixlen"}).message ==
        "'prefixlen' requires argument");
  CHECK(msg({"de0", "inet6", "2001:db8::zz"}).message == "2001:db8::zz: bad value");
  CHECK(msg({"de0", "2001:db8::1"}).message == "2001:db8::1: bad value");
  CHECK(msg({"de0", "atalk", "1.2"}).message == "address family atalk is not supported");
  CHECK(msg({"-a", "ipx"}).message == "address family ipx is not supported");
  CHECK(msg({"de0", "inet6", "alias"}).show_usage);
  CHECK(msg({"de0", "inet6", "2001:db8::1", "2001:db8::2"}).message ==
        "2001:db8::2: destination addresses are not supported");
}

TEST_CASE("ifconfig keyword table holds the guide-era inet6 words", "[tools][ifconfig][argv]") {
  std::vector<std::string> words;
  for (const auto& k : inet6_keywords()) words.emplace_back(k.keyword);
  CHECK(words == std::vector<std::string>{"alias", "-alias", "delete", "prefixlen", "anycast",
                                          "-anycast", "tentative", "-tentative"});
  for (const auto& k : inet6_keywords()) CHECK_FALSE(k.help.empty());
}

TEST_CASE("ifconfig -a and ifconfig IF against a fake daemon", "[tools][ifconfig][daemon]") {
  fake_daemon d;
  d.on("interfaces", interfaces_reply);
  auto all = test::run_tool(&run_ifconfig, {"-a"}, d.path());
  CHECK(all.rc == 0);
  CHECK(all.out == std::string(de0_block) + de1_block);
  CHECK(all.err.empty());

  auto one = test::run_tool(&run_ifconfig, {"de1"}, d.path());
  CHECK(one.rc == 0);
  CHECK(one.out == de1_block);
  CHECK(d.args_of("interfaces").back().at("name").as_string() == "de1");

  auto missing = test::run_tool(&run_ifconfig, {"de9"}, d.path());
  CHECK(missing.rc == 1);
  CHECK(missing.out.empty());
  CHECK(missing.err == "ifconfig: interface de9 does not exist\n");

  auto names = test::run_tool(&run_ifconfig, {"-l"}, d.path());
  CHECK(names.out == "de0 de1\n");

  auto json = test::run_tool(&run_ifconfig, {"de0", "--json"}, d.path());
  CHECK(json.rc == 0);
  auto parsed = boost::json::parse(json.out);
  CHECK(parsed.as_object().at("interfaces").as_array().size() == 1);
}

TEST_CASE("ifconfig address changes send addr_add and addr_del", "[tools][ifconfig][daemon]") {
  fake_daemon d;
  d.on("addr_add", [](const boost::json::object&) { return fake_reply{}; });
  d.on("addr_del", [](const boost::json::object& a) {
    if (a.at("addr").as_string() == "2001:db8::99")
      return fake_reply::error("EADDRNOTAVAIL", "Can't assign requested address");
    return fake_reply{};
  });
  d.on("interface_set", [](const boost::json::object&) { return fake_reply{}; });

  auto add = test::run_tool(
      &run_ifconfig, {"de0", "inet6", "3ffe:501:808:1:200:f8ff:fe01:6317", "alias"}, d.path());
  CHECK(add.rc == 0);
  CHECK(add.out.empty());
  auto a = d.args_of("addr_add").at(0);
  CHECK(a.at("name").as_string() == "de0");
  CHECK(a.at("addr").as_string() == "3ffe:501:808:1:200:f8ff:fe01:6317");
  CHECK(a.at("prefixlen").to_number<int>() == 64);
  CHECK(a.at("alias").as_bool());
  CHECK_FALSE(a.at("anycast").as_bool());
  CHECK_FALSE(a.at("tentative").as_bool());

  auto del = test::run_tool(&run_ifconfig, {"de0", "inet6", "2001:db8::1", "-alias"}, d.path());
  CHECK(del.rc == 0);
  CHECK(d.args_of("addr_del").at(0).at("addr").as_string() == "2001:db8::1");

  auto bad = test::run_tool(&run_ifconfig, {"de0", "inet6", "2001:db8::99", "delete"}, d.path());
  CHECK(bad.rc == 1);
  CHECK(bad.err == "ifconfig: Can't assign requested address\n");

  auto up = test::run_tool(&run_ifconfig, {"de0", "up"}, d.path());
  CHECK(up.rc == 0);
  CHECK(d.args_of("interface_set").at(0).at("up").as_bool());
}

TEST_CASE("ifconfig usage goes to stderr with exit 1", "[tools][ifconfig]") {
  auto r = test::run_tool(&run_ifconfig, {}, test::dead_socket_path());
  CHECK(r.rc == 1);
  CHECK(r.out.empty());
  CHECK(r.err == ifconfig_usage());
  CHECK(r.err.rfind("usage: ifconfig [-L] interface address_family", 0) == 0);
  auto p = test::run_tool(&run_ifconfig, {"de0", "inet6", "::1", "prefixlen", "200"},
                          test::dead_socket_path());
  CHECK(p.rc == 1);
  CHECK(p.err == "ifconfig: 200: bad value\n");
}

namespace {

const char* const dual_stack = R"({"name": "de0", "index": 1, "flags": 34883, "mtu": 1500,
  "ether": "02:00:00:00:00:01", "media": "10GbaseT", "status": "active",
  "inet": [{"addr": "192.0.2.1", "prefixlen": 24, "broadcast": "192.0.2.255"},
           {"addr": "10.1.2.3", "prefixlen": 16, "broadcast": "10.1.255.255"}],
  "inet6": [{"addr": "fe80::ff:fe00:1", "prefixlen": 64, "scopeid": 1, "flags": []}]})";

}  // namespace

TEST_CASE("ifconfig prints inet lines before inet6 as FreeBSD 3 did", "[tools][ifconfig][inet]") {
  auto de0 = boost::json::parse(dual_stack);
  CHECK(format_interface(de0.as_object(), {}) ==
        "de0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n"
        "\tether 2:0:0:0:0:1\n"
        "\tinet 192.0.2.1 netmask 0xffffff00 broadcast 192.0.2.255\n"
        "\tinet 10.1.2.3 netmask 0xffff0000 broadcast 10.1.255.255\n"
        "\tinet6 fe80::ff:fe00:1%de0 prefixlen 64 scopeid 0x1\n"
        "\tmedia: 10GbaseT status: active\n");
  ifconfig_view v4;
  v4.inet_only = true;
  CHECK(format_interface(de0.as_object(), v4) ==
        "de0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n"
        "\tinet 192.0.2.1 netmask 0xffffff00 broadcast 192.0.2.255\n"
        "\tinet 10.1.2.3 netmask 0xffff0000 broadcast 10.1.255.255\n");
  // No IFF_BROADCAST: the line ends after "netmask 0x%lx ".
  auto p2p = boost::json::parse(R"({"addr": "10.0.0.1", "prefixlen": 32, "broadcast": null})");
  CHECK(format_inet_line(p2p.as_object(), 0x8051) == "\tinet 10.0.0.1 netmask 0xffffffff \n");
}

TEST_CASE("ifconfig argv: inet addresses and masks", "[tools][ifconfig][argv][inet]") {
  auto m = parse_ifconfig({"de0", "inet", "192.0.2.1", "netmask", "255.255.255.0", "alias"});
  REQUIRE(m);
  REQUIRE(m->addr);
  CHECK(m->addr->family == "inet");
  CHECK(m->addr->addr == "192.0.2.1");
  CHECK(m->addr->prefixlen == 24);
  CHECK(m->addr->alias);
  auto hex = parse_ifconfig({"de0", "inet", "192.0.2.1", "netmask", "0xfffffff0"});
  REQUIRE(hex);
  CHECK(hex->addr->prefixlen == 28);
  auto slash = parse_ifconfig({"de0", "inet", "198.51.100.7/25"});
  REQUIRE(slash);
  CHECK(slash->addr->prefixlen == 25);
  CHECK(slash->addr->addr == "198.51.100.7");
  CHECK(parse_ifconfig({"de0", "inet", "10.1.2.3"})->addr->prefixlen == 8);     // class A
  CHECK(parse_ifconfig({"de0", "inet", "172.16.0.1"})->addr->prefixlen == 16);  // class B
  CHECK(parse_ifconfig({"de0", "inet", "192.0.2.1"})->addr->prefixlen == 24);   // class C
  for (const char* rm : {"-alias", "delete"})
    CHECK(parse_ifconfig({"de0", "inet", "192.0.2.1", rm})->addr->remove);
  CHECK(parse_ifconfig({"de0", "inet"})->mode == ifconfig_mode::show_one);
  CHECK(parse_ifconfig({"-a", "inet"})->af == "inet");
  auto err = [](std::vector<std::string> a) { return parse_ifconfig(a).error().message; };
  CHECK(err({"de0", "inet", "192.0.2.300"}) == "192.0.2.300: bad value");
  CHECK(err({"de0", "inet", "192.0.2.1/33"}) == "192.0.2.1/33: bad value");
  CHECK(err({"de0", "inet", "192.0.2.1", "netmask", "255.0.255.0"}) == "255.0.255.0: bad value");
  CHECK(err({"de0", "inet", "192.0.2.1", "netmask"}) == "'netmask' requires argument");
  CHECK(err({"de0", "inet", "192.0.2.1", "anycast"}) ==
        "anycast: destination addresses are "
        "not supported");
  std::vector<std::string> words;
  for (const auto& k : inet_keywords()) words.emplace_back(k.keyword);
  CHECK(words == std::vector<std::string>{"alias", "-alias", "delete", "netmask"});
}

TEST_CASE("ifconfig inet sends family inet", "[tools][ifconfig][daemon][inet]") {
  fake_daemon d;
  d.on("addr_add", [](const boost::json::object&) { return fake_reply{}; });
  d.on("addr_del", [](const boost::json::object&) { return fake_reply{}; });
  d.on("interfaces", [](const boost::json::object&) {
    fake_reply r;
    r.result =
        boost::json::object{{"interfaces", boost::json::array{boost::json::parse(dual_stack)}}};
    return r;
  });
  auto add = test::run_tool(&run_ifconfig, {"de0", "inet", "192.0.2.1", "netmask", "0xffffff00"},
                            d.path());
  CHECK(add.rc == 0);
  auto a = d.args_of("addr_add").at(0);
  CHECK(a.at("family").as_string() == "inet");
  CHECK(a.at("addr").as_string() == "192.0.2.1");
  CHECK(a.at("prefixlen").to_number<int>() == 24);
  CHECK_FALSE(a.at("alias").as_bool());
  CHECK_FALSE(a.contains("anycast"));
  auto del = test::run_tool(&run_ifconfig, {"de0", "inet", "10.1.2.3", "-alias"}, d.path());
  CHECK(del.rc == 0);
  auto r = d.args_of("addr_del").at(0);
  CHECK(r.at("family").as_string() == "inet");
  CHECK(r.at("addr").as_string() == "10.1.2.3");
  auto show = test::run_tool(&run_ifconfig, {"de0", "inet"}, d.path());
  CHECK(show.out ==
        "de0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n"
        "\tinet 192.0.2.1 netmask 0xffffff00 broadcast 192.0.2.255\n"
        "\tinet 10.1.2.3 netmask 0xffff0000 broadcast 10.1.255.255\n");
}
