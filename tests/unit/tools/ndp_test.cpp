// ndp: argv grammar, guide-era printers, and runs against a fake daemon.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "fake_daemon.hpp"
#include "tools/common/kame_tools.hpp"
#include "tools/common/ndp_cmd.hpp"
#include "tools/common/ndp_print.hpp"

using namespace umi::tools;
using umi::tools::test::fake_daemon;
using umi::tools::test::fake_reply;

namespace {

const char* const cache = R"({"neighbors": [
  {"addr": "fe80::200:f8ff:fe01:6317", "ifname": "ed0", "scopeid": 1,
   "lladdr": "00:00:f8:01:63:17", "state": "stale", "expire": 86398, "router": true,
   "probes": 0, "static": false},
  {"addr": "3ffe:501:4819:2000:2c0:cff:fe10:3a53", "ifname": "ed0", "scopeid": 0,
   "lladdr": "00:c0:0c:10:3a:53", "state": "reachable", "expire": null, "router": true,
   "probes": 0, "static": true},
  {"addr": "ff02::1", "ifname": "ed0", "scopeid": 1, "lladdr": "33:33:00:00:00:01",
   "state": "reachable", "expire": null, "router": false, "probes": 0, "static": true},
  {"addr": "2001:db8::5", "ifname": "de0", "scopeid": 0, "lladdr": null,
   "state": "incomplete", "expire": 1, "router": false, "probes": 3, "static": false},
  {"addr": "2001:db8::6", "ifname": "de0", "scopeid": 0, "lladdr": "02:00:00:00:00:06",
   "state": "delay", "expire": 0, "router": false, "probes": 0, "static": false}]})";

const char* const header =
    "Neighbor                        Linklayer Address  Netif Expire    St Flgs Prbs\n";
const char* const row_ll =
    "fe80::200:f8ff:fe01:6317%ed0    0:0:f8:1:63:17       ed0 23h59m58s S  R   \n";
const char* const row_global =
    "3ffe:501:4819:2000:2c0:cff:fe10 0:c0:c:10:3a:53      ed0 permanent R  R   \n";
const char* const row_incomplete =
    "2001:db8::5                     (incomplete)         de0 1s        I          3\n";
const char* const row_expired =
    "2001:db8::6                     2:0:0:0:0:6          de0 expired   D      \n";

boost::json::value sample() {
  return boost::json::parse(cache);
}

fake_reply neighbors_reply(const boost::json::object& args) {
  auto all = sample();
  fake_reply r;
  if (auto* a = args.if_contains("addr")) {
    std::string want(a->as_string());
    boost::json::array pick;
    for (auto& n : all.as_object()["neighbors"].as_array()) {
      auto& o = n.as_object();
      std::string text(o["addr"].as_string());
      if (o["scopeid"].as_int64() != 0) text += "%" + std::string(o["ifname"].as_string());
      if (text == want) pick.push_back(n);
    }
    if (pick.empty()) return fake_reply::error("ESRCH", "no such entry");
    r.result = boost::json::object{{"neighbors", pick}};
    return r;
  }
  r.result = all;
  return r;
}

}  // namespace

TEST_CASE("ndp -a prints the guide-era table and skips multicast", "[tools][ndp]") {
  CHECK(format_neighbors(sample(), {}, true) ==
        std::string(header) + row_ll + row_global + row_incomplete + row_expired);
}

TEST_CASE("ndp -l keeps long addresses whole", "[tools][ndp]") {
  ndp_view v;
  v.long_addr = true;
  auto all = sample();
  CHECK(format_neighbor_row(all.as_object().at("neighbors").as_array()[1].as_object(), v) ==
        "3ffe:501:4819:2000:2c0:cff:fe10:3a53 0:c0:c:10:3a:53      ed0 permanent R  R   \n");
}

TEST_CASE("ndp -t prefixes rows with a timestamp and drops the header", "[tools][ndp]") {
  ndp_view v;
  v.header = false;
  v.timestamp = "12:34:56.000789 ";
  auto one = boost::json::parse(
      R"({"neighbors": [)" +
      std::string(boost::json::serialize(sample().as_object().at("neighbors").as_array()[0])) +
      "]}");
  CHECK(format_neighbors(one, v, true) == std::string("12:34:56.000789 ") + row_ll);
}

TEST_CASE("ndp delete, no-entry and flush messages", "[tools][ndp]") {
  CHECK(format_deleted("fe80::1%de0", "fe80::1%de0") == "fe80::1%de0 (fe80::1%de0) deleted\n");
  CHECK(format_no_entry("2001:db8::9", "2001:db8::9") == "2001:db8::9 (2001:db8::9) -- no entry\n");
  auto flushed = boost::json::parse(R"({"deleted": [
      {"addr": "fe80::2", "ifname": "de0", "scopeid": 1},
      {"addr": "2001:db8::2", "ifname": "de0", "scopeid": 0}]})");
  CHECK(format_flushed(flushed) ==
        "fe80::2%de0 (fe80::2%de0) deleted\n2001:db8::2 (2001:db8::2) deleted\n");
}

TEST_CASE("ndp -i prints the guide-era ND parameters", "[tools][ndp]") {
  auto de0 = boost::json::parse(R"({"name": "de0", "mtu": 1500})");
  CHECK(format_ifinfo(de0.as_object()) ==
        "linkmtu=1500, curhlim=64, basereachable=30s0ms, reachable=30s, retrans=1s0ms\n"
        "Flags: PERFORMNUD \n");
  auto tuned = boost::json::parse(R"({"name": "de0", "mtu": 9000,
      "nd": {"curhlim": 255, "basereachable": 45500, "reachable": 37, "retrans": 2250,
             "nud": false}})");
  CHECK(format_ifinfo(tuned.as_object()) ==
        "linkmtu=9000, curhlim=255, basereachable=45s500ms, reachable=37s, retrans=2s250ms\n");
  CHECK(format_ifinfo(boost::json::parse(R"({"name": "x"})").as_object()).empty());
}

TEST_CASE("ndp -t timestamp is %02d:%02d:%02d.%06u of local time", "[tools][ndp]") {
  auto ts = ndp_timestamp(0, 42);
  REQUIRE(ts.size() == 16);
  CHECK(ts.substr(8) == ".000042 ");
  CHECK(ts[2] == ':');
  CHECK(ts[5] == ':');
}

TEST_CASE("ndp argv: modes", "[tools][ndp][argv]") {
  auto a = parse_ndp({"-an"});
  REQUIRE(a);
  CHECK(a->mode == ndp_mode::dump);
  CHECK(a->numeric);
  auto al = parse_ndp({"-a", "-l"});
  REQUIRE(al);
  CHECK(al->long_addr);
  auto rep = parse_ndp({"-A", "5"});
  REQUIRE(rep);
  CHECK(rep->mode == ndp_mode::dump);
  CHECK(rep->repeat == 5);
  CHECK(parse_ndp({"-c"})->mode == ndp_mode::flush);
  auto d = parse_ndp({"-d", "fe80::1%de0"});
  REQUIRE(d);
  CHECK(d->mode == ndp_mode::remove);
  CHECK(d->host == "fe80::1%de0");
  auto s = parse_ndp({"-s", "2001:db8::2", "0:1:2:3:4:5", "temp"});
  REQUIRE(s);
  CHECK(s->mode == ndp_mode::set);
  CHECK(s->lladdr == "0:1:2:3:4:5");
  CHECK(s->temp);
  CHECK_FALSE(s->proxy);
  auto g = parse_ndp({"2001:db8::2"});
  REQUIRE(g);
  CHECK(g->mode == ndp_mode::get);
  auto i = parse_ndp({"-i", "de0"});
  REQUIRE(i);
  CHECK(i->mode == ndp_mode::ifinfo);
  CHECK(i->ifname == "de0");
  CHECK(parse_ndp({"-i", "de0", "-nud"})->if_flags == std::vector<std::string>{"-nud"});
  auto I = parse_ndp({"-I"});
  REQUIRE(I);
  CHECK(I->mode == ndp_mode::default_if);
  CHECK(I->ifname.empty());
  auto f = parse_ndp({"-f", "/tmp/x"});
  REQUIRE(f);
  CHECK(f->mode == ndp_mode::file);
  CHECK(parse_ndp({"-p"})->mode == ndp_mode::prefixes);
  CHECK(parse_ndp({"-r"})->mode == ndp_mode::routers);
  CHECK(parse_ndp({"-R"})->mode == ndp_mode::router_flush);
  CHECK(parse_ndp({"-H"})->mode == ndp_mode::unsupported);
}

TEST_CASE("ndp argv: usage errors", "[tools][ndp][argv]") {
  CHECK_FALSE(parse_ndp({}));
  CHECK_FALSE(parse_ndp({"-x"}));
  CHECK_FALSE(parse_ndp({"-d"}));
  CHECK_FALSE(parse_ndp({"-d", "a", "b"}));
  CHECK_FALSE(parse_ndp({"-s", "2001:db8::2"}));
  CHECK_FALSE(parse_ndp({"-s", "a", "b", "c", "d", "e"}));
  CHECK_FALSE(parse_ndp({"-i"}));
  CHECK_FALSE(parse_ndp({"-A"}));
  CHECK_FALSE(parse_ndp({"-A", "x"}));
  CHECK_FALSE(parse_ndp({"a", "b"}));
  CHECK_FALSE(parse_ndp({"-f"}));
}

TEST_CASE("ndp usage goes to stdout with exit 1", "[tools][ndp]") {
  auto r = test::run_tool(&run_ndp, {"-d"}, test::dead_socket_path());
  CHECK(r.rc == 1);
  CHECK(r.err.empty());
  CHECK(r.out == ndp_usage());
  CHECK(r.out.rfind("usage: ndp hostname\n       ndp -a[ntl]\n", 0) == 0);
}

TEST_CASE("ndp -a and ndp host against a fake daemon", "[tools][ndp][daemon]") {
  fake_daemon d;
  d.on("neighbors", neighbors_reply);
  auto a = test::run_tool(&run_ndp, {"-a"}, d.path());
  CHECK(a.rc == 0);
  CHECK(a.out == std::string(header) + row_ll + row_global + row_incomplete + row_expired);

  auto get = test::run_tool(&run_ndp, {"fe80::200:f8ff:fe01:6317%ed0"}, d.path());
  CHECK(get.rc == 0);
  CHECK(get.out == std::string(header) + row_ll);
  CHECK(d.args_of("neighbors").back().at("addr").as_string() == "fe80::200:f8ff:fe01:6317%ed0");

  auto none = test::run_tool(&run_ndp, {"2001:db8::99"}, d.path());
  CHECK(none.rc == 1);
  CHECK(none.out == "2001:db8::99 (2001:db8::99) -- no entry\n");

  auto json = test::run_tool(&run_ndp, {"--json", "-a"}, d.path());
  CHECK(json.rc == 0);
  CHECK(boost::json::parse(json.out) == sample());
}

TEST_CASE("ndp -d, -c and -s against a fake daemon", "[tools][ndp][daemon]") {
  fake_daemon d;
  d.on("neighbor_del", [](const boost::json::object& a) {
    if (a.at("addr").as_string() != "fe80::2%de0") return fake_reply::error("ESRCH", "no entry");
    fake_reply r;
    r.result = boost::json::object{{"addr", "fe80::2"}, {"ifname", "de0"}};
    return r;
  });
  d.on("neighbor_flush", [](const boost::json::object&) {
    fake_reply r;
    r.result = boost::json::parse(R"({"deleted": [
        {"addr": "fe80::2", "ifname": "de0", "scopeid": 1},
        {"addr": "2001:db8::3", "ifname": "de1", "scopeid": 0}]})");
    return r;
  });
  d.on("neighbor_set", [](const boost::json::object& a) {
    if (a.at("addr").as_string() == "2001:db9::1")
      return fake_reply::error("EINVAL", "set: cannot configure a new entry");
    if (a.at("addr").as_string() == "2001:db8::7")
      return fake_reply::error("EPERM", "permission denied");
    return fake_reply{};
  });

  auto del = test::run_tool(&run_ndp, {"-d", "fe80::2%de0"}, d.path());
  CHECK(del.rc == 0);
  CHECK(del.out == "fe80::2%de0 (fe80::2%de0) deleted\n");
  auto gone = test::run_tool(&run_ndp, {"-d", "2001:db8::2"}, d.path());
  CHECK(gone.rc == 1);
  CHECK(gone.out == "cannot locate 2001:db8::2\n");

  auto flush = test::run_tool(&run_ndp, {"-c"}, d.path());
  CHECK(flush.rc == 0);
  CHECK(flush.out == "fe80::2%de0 (fe80::2%de0) deleted\n2001:db8::3 (2001:db8::3) deleted\n");

  auto set = test::run_tool(&run_ndp, {"-s", "fe80::5%de0", "00:01:02:03:04:05", "temp"}, d.path());
  CHECK(set.rc == 0);
  CHECK(set.out.empty());
  auto args = d.args_of("neighbor_set").at(0);
  CHECK(args.at("addr").as_string() == "fe80::5%de0");
  CHECK(args.at("lladdr").as_string() == "0:1:2:3:4:5");
  CHECK(args.at("temp").as_bool());
  CHECK(args.at("name").as_string() == "de0");

  auto offlink = test::run_tool(&run_ndp, {"-s", "2001:db9::1", "0:1:2:3:4:5"}, d.path());
  CHECK(offlink.rc == 1);
  CHECK(offlink.err == "set: cannot configure a new entry\n");
  auto perm = test::run_tool(&run_ndp, {"-s", "2001:db8::7", "0:1:2:3:4:5"}, d.path());
  CHECK(perm.rc == 1);
  CHECK(perm.err == "ndp: permission denied\n");
  auto badmac = test::run_tool(&run_ndp, {"-s", "2001:db8::2", "0:1:2:3:4"}, d.path());
  CHECK(badmac.rc == 1);
  CHECK(badmac.err == "ndp: invalid Ethernet address '0:1:2:3:4'\n");
  CHECK(d.args_of("neighbor_set").size() == 3);  // the bad MAC never reached the daemon
}

TEST_CASE("ndp -f sets every line and reports bad ones", "[tools][ndp][daemon]") {
  fake_daemon d;
  d.on("neighbor_set", [](const boost::json::object&) { return fake_reply{}; });
  std::string path = "/tmp/umi-ndp-file-test.txt";
  {
    std::ofstream f(path);
    f << "2001:db8::2 0:1:2:3:4:5\nlonely\nfe80::3%de0 2:0:0:0:0:3 temp\n";
  }
  auto r = test::run_tool(&run_ndp, {"-f", path}, d.path());
  std::remove(path.c_str());
  CHECK(r.rc == 1);
  CHECK(r.err == "ndp: bad line: lonely\n");
  auto sets = d.args_of("neighbor_set");
  REQUIRE(sets.size() == 2);
  CHECK_FALSE(sets[0].at("temp").as_bool());
  CHECK(sets[1].at("temp").as_bool());
}

TEST_CASE("ndp -i and -I against a fake daemon", "[tools][ndp][daemon]") {
  fake_daemon d;
  d.on("interfaces", [](const boost::json::object& a) {
    if (a.at("name").as_string() != "de0")
      return fake_reply::error("ENXIO", "interface de9 does not exist");
    fake_reply r;
    r.result = boost::json::parse(R"({"interfaces": [{"name": "de0", "mtu": 1500}]})");
    return r;
  });
  auto i = test::run_tool(&run_ndp, {"-i", "de0"}, d.path());
  CHECK(i.rc == 0);
  CHECK(i.out ==
        "linkmtu=1500, curhlim=64, basereachable=30s0ms, reachable=30s, retrans=1s0ms\n"
        "Flags: PERFORMNUD \n");
  auto bad = test::run_tool(&run_ndp, {"-i", "de9"}, d.path());
  CHECK(bad.rc == 1);
  CHECK(bad.err == "ndp: interface de9 does not exist\n");
  auto I = test::run_tool(&run_ndp, {"-I"}, d.path());
  CHECK(I.rc == 0);
  CHECK(I.out == "No default interface.\n");
  auto h = test::run_tool(&run_ndp, {"-H"}, d.path());
  CHECK(h.rc == 1);
  CHECK(h.err == "ndp: not supported yet\n");
}

TEST_CASE("ndp -r prints the default router list in the guide's format", "[tools][ndp]") {
  // kame-guide.txt: "% ndp -r" with three routers on ed0.
  auto routers = boost::json::parse(R"({"routers": [
    {"addr": "fe80::260:97ff:fec2:80bf", "ifname": "ed0", "flags": "", "expire": 1795},
    {"addr": "fe80::5254:ff:fedc:5217", "ifname": "ed0", "flags": "", "expire": 1747},
    {"addr": "fe80::200:eff:fe49:f929", "ifname": "ed0", "flags": "MO", "expire": 1727},
    {"addr": "fe80::1", "ifname": "de0", "flags": "O", "expire": null}]})");
  CHECK(format_routers(routers) ==
        "fe80::260:97ff:fec2:80bf if=ed0, flags=, expire=29m55s\n"
        "fe80::5254:ff:fedc:5217 if=ed0, flags=, expire=29m7s\n"
        "fe80::200:eff:fe49:f929 if=ed0, flags=MO, expire=28m47s\n"
        "fe80::1 if=de0, flags=O, expire=Never\n");
  CHECK(format_routers(boost::json::parse(R"({"routers": []})")).empty());
}

TEST_CASE("ndp -r and -R against a fake daemon", "[tools][ndp][daemon]") {
  fake_daemon d;
  bool flushed = false;
  d.on("default_routers", [](const boost::json::object&) {
    fake_reply r;
    r.result = boost::json::parse(
        R"({"routers": [{"addr": "fe80::1", "ifname": "de0", "flags": "", "expire": 1800}]})");
    return r;
  });
  d.on("default_router_flush", [&](const boost::json::object&) {
    flushed = true;
    fake_reply r;
    r.result = boost::json::parse(R"({"deleted": []})");
    return r;
  });
  auto r = test::run_tool(&run_ndp, {"-r"}, d.path());
  CHECK(r.rc == 0);
  CHECK(r.out == "fe80::1 if=de0, flags=, expire=30m0s\n");
  auto f = test::run_tool(&run_ndp, {"-R"}, d.path());
  CHECK(f.rc == 0);
  CHECK(f.out.empty());
  CHECK(flushed);
}
