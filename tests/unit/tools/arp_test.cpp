// arp: FreeBSD print_entry() lines, argv, and runs against a fake daemon.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "fake_daemon.hpp"
#include "tools/common/arp_cmd.hpp"
#include "tools/common/arp_print.hpp"
#include "tools/common/kame_tools.hpp"

using namespace umi::tools;
using umi::tools::test::fake_daemon;
using umi::tools::test::fake_reply;

namespace {

const char* const cache = R"({"neighbors": [
  {"addr": "192.0.2.1", "ifname": "de0", "scopeid": 0, "lladdr": "02:00:00:00:00:01",
   "state": "reachable", "expire": null, "router": false, "probes": 0, "static": true},
  {"addr": "192.0.2.2", "ifname": "de0", "scopeid": 0, "lladdr": "02:00:00:00:00:02",
   "state": "reachable", "expire": 1199, "router": false, "probes": 0, "static": false},
  {"addr": "192.0.2.3", "ifname": "de0", "scopeid": 0, "lladdr": null,
   "state": "incomplete", "expire": 0, "router": false, "probes": 2, "static": false}]})";

const char* const lines =
    "gw.example.net (192.0.2.1) at 2:0:0:0:0:1 on de0 permanent [ethernet]\n"
    "? (192.0.2.2) at 2:0:0:0:0:2 on de0 expires in 1199 seconds [ethernet]\n"
    "? (192.0.2.3) at (incomplete) on de0 expired [ethernet]\n";

std::string names(const std::string& a) {
  return a == "192.0.2.1" ? "gw.example.net" : "";
}

fake_reply arp_reply(const boost::json::object& args) {
  auto all = boost::json::parse(cache);
  fake_reply r;
  if (const auto* a = args.if_contains("addr")) {
    boost::json::array pick;
    for (auto& n : all.as_object()["neighbors"].as_array())
      if (n.as_object()["addr"] == *a) pick.push_back(n);
    if (pick.empty()) return fake_reply::error("ESRCH", "no such entry");
    r.result = boost::json::object{{"neighbors", pick}};
    return r;
  }
  r.result = all;
  return r;
}

}  // namespace

TEST_CASE("arp -a prints FreeBSD's entries", "[tools][arp]") {
  CHECK(format_arp_entries(boost::json::parse(cache), names) == lines);
  CHECK(format_arp_entries(boost::json::parse(cache), {}) ==
        "? (192.0.2.1) at 2:0:0:0:0:1 on de0 permanent [ethernet]\n"
        "? (192.0.2.2) at 2:0:0:0:0:2 on de0 expires in 1199 seconds [ethernet]\n"
        "? (192.0.2.3) at (incomplete) on de0 expired [ethernet]\n");
  CHECK(format_arp_deleted("192.0.2.2", "192.0.2.2") == "192.0.2.2 (192.0.2.2) deleted\n");
  CHECK(format_arp_no_entry("h", "192.0.2.9") == "h (192.0.2.9) -- no entry\n");
}

TEST_CASE("arp argv", "[tools][arp][argv]") {
  CHECK(parse_arp({"-a"})->mode == arp_mode::dump);
  CHECK(parse_arp({"-an"})->numeric);
  CHECK(parse_arp({"192.0.2.2"})->mode == arp_mode::get);
  CHECK(parse_arp({"-d", "192.0.2.2"})->mode == arp_mode::remove);
  CHECK(parse_arp({"-d", "-a"})->mode == arp_mode::flush);
  auto s = parse_arp({"-s", "192.0.2.5", "0:1:2:3:4:5", "temp"});
  REQUIRE(s);
  CHECK(s->mode == arp_mode::set);
  CHECK(s->ether == "0:1:2:3:4:5");
  CHECK(s->temp);
  CHECK(parse_arp({"-S", "192.0.2.5", "0:1:2:3:4:5", "pub"})->pub);
  CHECK(parse_arp({"-f", "/tmp/x"})->mode == arp_mode::file);
  CHECK(parse_arp({}).error().show_usage);
  CHECK(parse_arp({"-s", "192.0.2.5"}).error().show_usage);
  CHECK(parse_arp({"-s", "a", "b", "junk"}).error().show_usage);
  CHECK(parse_arp({"-d", "-s", "a", "b"}).error().show_usage);
  CHECK(parse_arp({"-a", "extra"}).error().show_usage);
  CHECK(parse_arp({"-z"}).error().show_usage);
}

TEST_CASE("arp against a fake daemon", "[tools][arp][daemon]") {
  fake_daemon d;
  d.on("arp", arp_reply);
  d.on("arp_delete", [](const boost::json::object& a) {
    if (a.at("addr").as_string() != "192.0.2.2") return fake_reply::error("ESRCH", "no entry");
    fake_reply r;
    r.result = boost::json::object{{"addr", "192.0.2.2"}, {"ifname", "de0"}};
    return r;
  });
  d.on("arp_set", [](const boost::json::object& a) {
    if (a.at("addr").as_string() == "198.51.100.1")
      return fake_reply::error("EINVAL", "set: cannot configure a new entry");
    return fake_reply{};
  });
  d.on("arp_flush", [](const boost::json::object&) {
    fake_reply r;
    r.result = boost::json::parse(R"({"deleted": [{"addr": "192.0.2.2", "ifname": "de0"}]})");
    return r;
  });

  auto all = test::run_tool(&run_arp, {"-a"}, d.path(), 0, -1, names);
  CHECK(all.rc == 0);
  CHECK(all.out == lines);
  auto n = test::run_tool(&run_arp, {"-an"}, d.path(), 0, -1, names);
  CHECK(n.out.rfind("? (192.0.2.1) at 2:0:0:0:0:1 on de0 permanent [ethernet]\n", 0) == 0);
  auto one = test::run_tool(&run_arp, {"192.0.2.2"}, d.path(), 0, -1, names);
  CHECK(one.rc == 0);
  CHECK(one.out == "? (192.0.2.2) at 2:0:0:0:0:2 on de0 expires in 1199 seconds [ethernet]\n");
  CHECK(d.args_of("arp").back().at("addr").as_string() == "192.0.2.2");
  auto none = test::run_tool(&run_arp, {"192.0.2.77"}, d.path(), 0, -1, names);
  CHECK(none.rc == 1);
  CHECK(none.out == "192.0.2.77 (192.0.2.77) -- no entry\n");

  auto del = test::run_tool(&run_arp, {"-d", "192.0.2.2"}, d.path());
  CHECK(del.rc == 0);
  CHECK(del.out == "192.0.2.2 (192.0.2.2) deleted\n");
  auto miss = test::run_tool(&run_arp, {"-d", "192.0.2.9"}, d.path());
  CHECK(miss.rc == 1);
  CHECK(miss.out == "delete: cannot locate 192.0.2.9\n");
  auto flush = test::run_tool(&run_arp, {"-d", "-a"}, d.path());
  CHECK(flush.out == "192.0.2.2 (192.0.2.2) deleted\n");

  auto set = test::run_tool(&run_arp, {"-s", "192.0.2.5", "00:01:02:03:04:05", "temp"}, d.path());
  CHECK(set.rc == 0);
  CHECK(set.out.empty());
  auto sa = d.args_of("arp_set").at(0);
  CHECK(sa.at("addr").as_string() == "192.0.2.5");
  CHECK(sa.at("lladdr").as_string() == "0:1:2:3:4:5");
  CHECK(sa.at("temp").as_bool());
  auto offlink = test::run_tool(&run_arp, {"-s", "198.51.100.1", "0:1:2:3:4:5"}, d.path());
  CHECK(offlink.rc == 1);
  CHECK(offlink.err == "set: cannot configure a new entry\n");
  auto badmac = test::run_tool(&run_arp, {"-s", "192.0.2.5", "0:1:2"}, d.path());
  CHECK(badmac.err == "arp: invalid Ethernet address '0:1:2'\n");
  auto pub = test::run_tool(&run_arp, {"-s", "192.0.2.5", "0:1:2:3:4:5", "pub"}, d.path());
  CHECK(pub.err == "arp: proxy entries are not supported yet\n");
  auto host = test::run_tool(&run_arp, {"-d", "no_such_host..x"}, d.path());
  CHECK(host.rc == 1);
  CHECK(host.err == "arp: no_such_host..x: Unknown host\n");
  auto usage = test::run_tool(&run_arp, {}, d.path());
  CHECK(usage.rc == 1);
  CHECK(usage.err == arp_usage());
}

TEST_CASE("arp -f sets every line", "[tools][arp][daemon]") {
  fake_daemon d;
  d.on("arp_set", [](const boost::json::object&) { return fake_reply{}; });
  std::string path = "/tmp/umi-arp-file-test.txt";
  {
    std::ofstream f(path);
    f << "192.0.2.5 0:1:2:3:4:5\nlonely\n192.0.2.6 2:0:0:0:0:6 temp\n";
  }
  auto r = test::run_tool(&run_arp, {"-f", path}, d.path());
  std::remove(path.c_str());
  CHECK(r.rc == 1);
  CHECK(r.err == "arp: bad line: lonely\n");
  auto sets = d.args_of("arp_set");
  REQUIRE(sets.size() == 2);
  CHECK(sets[1].at("temp").as_bool());
}
