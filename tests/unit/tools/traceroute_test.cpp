// traceroute6 and traceroute: argv, printers, and runs against a fake daemon
// that plays a two-hop path (a router at hop 1, the target at hop 2).
#include <catch2/catch.hpp>

#include <map>
#include <regex>

#include "fake_daemon.hpp"
#include "tools/common/kame_tools.hpp"
#include "tools/common/traceroute_cmd.hpp"
#include "tools/common/traceroute_print.hpp"

using namespace umi::tools;
using umi::tools::test::fake_daemon;
using umi::tools::test::fake_reply;

namespace {

// Round-trip times vary: "  0.123 ms" -> "  T ms".
std::string no_times(const std::string& s) {
  static const std::regex rtt("  [0-9.e+-]+ ms");
  return std::regex_replace(s, rtt, "  T ms");
}

std::string names(const std::string& addr) {
  static const std::map<std::string, std::string> table{{"2001:db8:1::ff", "r1.example.net"},
                                                        {"192.0.2.1", "gw.example.net"}};
  auto it = table.find(addr);
  return it == table.end() ? "" : it->second;
}

struct path_spec {
  std::string router = "2001:db8:1::ff";
  std::string target = "2001:db8:2::1";
  int router_type = 3;  // time exceeded
  int router_code = 0;
  int target_type = 1;  // destination unreachable / port
  int target_code = 4;
  int target_hlim = 63;
  int silent_hop = 0;  // a hop that never answers
};

// probe_send: hop 1 answers from the router, hop 2 and beyond from the target.
fake_daemon::handler path(path_spec p) {
  return [p](const boost::json::object& a) {
    fake_reply r;
    r.result = boost::json::object{{"src", "2001:db8:0::1"}, {"dst", a.at("dst")}};
    auto hlim = a.at("hlim").to_number<int>();
    if (hlim == p.silent_hop) return r;
    bool router = hlim == 1;
    r.events.emplace_back("probe_reply",
                          boost::json::object{{"from", router ? p.router : p.target},
                                              {"type", router ? p.router_type : p.target_type},
                                              {"code", router ? p.router_code : p.target_code},
                                              {"family", a.at("family")},
                                              {"hlim", router ? 64 : p.target_hlim},
                                              {"seq", a.at("seq")},
                                              {"len", 60}});
    return r;
  };
}

void listen(fake_daemon& d) {
  d.on("probe_listen", [](const boost::json::object&) { return fake_reply{}; });
}

traceroute_cmd parsed6(std::vector<std::string> args) {
  auto c = parse_traceroute6(args);
  REQUIRE(c);
  return *c;
}

std::string error6(std::vector<std::string> args) {
  auto c = parse_traceroute6(args);
  REQUIRE_FALSE(c);
  return c.error().show_usage ? "<usage>" : c.error().message;
}

std::string error4(std::vector<std::string> args) {
  auto c = parse_traceroute(args);
  REQUIRE_FALSE(c);
  return c.error().show_usage ? "<usage>" : c.error().message;
}

}  // namespace

TEST_CASE("traceroute printers", "[tools][traceroute]") {
  CHECK(format_traceroute_header("inet6", "tokyo.v6.wide.ad.jp",
                                 "3ffe:501:0:401:200:e8ff:fed5:8923", "", 30, 12) ==
        "traceroute6 to tokyo.v6.wide.ad.jp (3ffe:501:0:401:200:e8ff:fed5:8923), 30 hops max, "
        "12 byte packets\n");
  CHECK(format_traceroute_header("inet6", "2001:db8::1", "2001:db8::1", "2001:db8::2", 64, 20) ==
        "traceroute6 to 2001:db8::1 (2001:db8::1) from 2001:db8::2, 64 hops max, 20 byte "
        "packets\n");
  CHECK(format_traceroute_header("inet", "h2", "192.0.2.9", "", 30, 40) ==
        "traceroute to h2 (192.0.2.9), 30 hops max, 40 byte packets\n");
  CHECK(format_hop_start(1) == " 1 ");
  CHECK(format_hop_start(12) == "12 ");
  probe_addr_view v6;
  CHECK(format_probe_from(v6, "3ffe:501:4819:2000:260:97ff:fec2:80bf", "nr60.v6.kame.net", 60,
                          "") == " nr60.v6.kame.net");
  CHECK(format_probe_from(v6, "2001:db8::1", "", 60, "") == " 2001:db8::1");
  probe_addr_view l6;
  l6.long_names = true;
  CHECK(format_probe_from(l6, "3ffe:501:4819:2000:260:97ff:fec2:80bf", "nr60.v6.kame.net", 60,
                          "") == " nr60.v6.kame.net (3ffe:501:4819:2000:260:97ff:fec2:80bf)");
  CHECK(format_probe_from(l6, "2001:db8::1", "", 60, "") == " 2001:db8::1 (2001:db8::1)");
  probe_addr_view n6;
  n6.numeric = n6.long_names = n6.verbose = true;
  CHECK(format_probe_from(n6, "2001:db8::1", "x", 60, "2001:db8::2") ==
        " 2001:db8::1 60 bytes of data to 2001:db8::2");
  probe_addr_view v4;
  v4.family = "inet";
  CHECK(format_probe_from(v4, "192.0.2.1", "gw", 56, "") == " gw (192.0.2.1)");
  CHECK(format_probe_from(v4, "192.0.2.1", "", 56, "") == " 192.0.2.1 (192.0.2.1)");
  CHECK(format_probe_rtt("inet6", 0.912) == "  0.912 ms");
  CHECK(format_probe_rtt("inet6", 26.58) == "  26.58 ms");
  CHECK(format_probe_rtt("inet", 26.58) == "  26.580 ms");
}

TEST_CASE("traceroute6 markers follow the ICMPv6 codes", "[tools][traceroute]") {
  auto m = [](int type, int code, int hlim) {
    auto o = classify_probe_reply("inet6", type, code, hlim);
    return std::string(o.accepted ? "y" : "n") + (o.reached ? "R" : "") +
           (o.unreachable ? "U" : "") + o.marker;
  };
  CHECK(m(3, 0, 64) == "y");
  CHECK(m(1, 0, 64) == "yU !N");
  CHECK(m(1, 1, 64) == "yU !P");
  CHECK(m(1, 2, 64) == "yU !S");
  CHECK(m(1, 3, 64) == "yU !A");
  CHECK(m(1, 4, 60) == "yR");
  CHECK(m(1, 4, 1) == "yR !");
  CHECK(m(129, 0, 0) == "yR !");
  CHECK(m(2, 0, 64) == "n");  // Packet Too Big is not a traceroute answer
  auto v4 = [](int type, int code, int ttl) {
    auto o = classify_probe_reply("inet", type, code, ttl);
    return std::string(o.accepted ? "y" : "n") + (o.reached ? "R" : "") +
           (o.unreachable ? "U" : "") + o.marker;
  };
  CHECK(v4(11, 0, 250) == "y");
  CHECK(v4(3, 3, 60) == "yR");
  CHECK(v4(3, 0, 60) == "yU !N");
  CHECK(v4(3, 1, 60) == "yU !H");
  CHECK(v4(3, 2, 60) == "yR !P");
  CHECK(v4(3, 13, 60) == "yU !X");
  CHECK(v4(3, 9, 60) == "yU !<9>");
  CHECK(v4(0, 0, 1) == "yR !");
}

TEST_CASE("traceroute6 argv", "[tools][traceroute][argv]") {
  auto c = parsed6({"-l", "-n", "-m", "10", "-f", "2", "-q", "1", "-w", "3", "-p", "40000", "-I",
                    "-s", "2001:db8::2", "2001:db8::1", "100"});
  CHECK(c.long_names);
  CHECK(c.numeric);
  CHECK(c.icmp);
  CHECK(c.max_hops == 10);
  CHECK(c.first_hop == 2);
  CHECK(c.nprobes == 1);
  CHECK(c.waittime == 3);
  CHECK(c.port == 40000);
  CHECK(c.source == "2001:db8::2");
  CHECK(c.host == "2001:db8::1");
  CHECK(c.datalen == 100);
  auto d = parsed6({"target"});
  CHECK(d.max_hops == 30);
  CHECK(d.port == 33434);
  CHECK(d.nprobes == 3);
  CHECK(d.waittime == 5);
  CHECK(d.datalen == 12);
  CHECK(error6({}) == "<usage>");
  CHECK(error6({"a", "12", "c"}) == "<usage>");
  CHECK(error6({"-x", "a"}) == "<usage>");
  CHECK(error6({"-m"}) == "<usage>");
  CHECK(error6({"-f", "x", "a"}) == "invalid min hoplimit.");
  CHECK(error6({"-m", "256", "a"}) == "invalid max hoplimit.");
  CHECK(error6({"-f", "9", "-m", "5", "a"}) == "max hoplimit must be larger than first hoplimit.");
  CHECK(error6({"-p", "z", "a"}) == "invalid port.");
  CHECK(error6({"-p", "70000", "a"}) == "port out of range.");
  CHECK(error6({"-q", "q", "a"}) == "invalid nprobes.");
  CHECK(error6({"-q", "0", "a"}) == "nprobes must be >0.");
  CHECK(error6({"-w", "w", "a"}) == "invalid wait time.");
  CHECK(error6({"-w", "1", "a"}) == "wait must be >1 sec.");
  CHECK(error6({"a", "x"}) == "invalid packet length.");
  CHECK(error6({"a", "5"}) == "packet size must be 12 <= s < 65535.");
}

TEST_CASE("traceroute argv (LBL)", "[tools][traceroute][argv]") {
  auto c = parse_traceroute({"-n", "-q", "2", "-i", "de0", "192.0.2.9", "60"});
  REQUIRE(c);
  CHECK(c->family == "inet");
  CHECK(c->nprobes == 2);
  CHECK(c->ifname == "de0");
  CHECK(c->datalen == 60);
  CHECK(parse_traceroute({"h"})->datalen == 40);
  CHECK(error4({"-m", "x", "h"}) == "\"x\" bad value for max ttl ");
  CHECK(error4({"-w", "1", "h"}) == "wait time must be > 1");
  CHECK(error4({"-m", "300", "h"}) == "max ttl must be <= 255");
  CHECK(error4({"-f", "9", "-m", "3", "h"}) == "first ttl (9) may not be greater than max ttl (3)");
  CHECK(error4({"h", "20"}) == "packet length must be > 39");
  CHECK(error4({}) == "<usage>");
}

TEST_CASE("traceroute6 walks two hops and stops at the target", "[tools][traceroute][daemon]") {
  fake_daemon d;
  listen(d);
  d.on("probe_send", path({}));
  auto r = test::run_tool(&run_traceroute6, {"-n", "2001:db8:2::1"}, d.path());
  CHECK(r.rc == 0);
  CHECK(r.err == "traceroute6 to 2001:db8:2::1 (2001:db8:2::1), 30 hops max, 12 byte packets\n");
  CHECK(no_times(r.out) ==
        " 1  2001:db8:1::ff  T ms  T ms  T ms\n"
        " 2  2001:db8:2::1  T ms  T ms  T ms\n");
  auto sends = d.args_of("probe_send");
  REQUIRE(sends.size() == 6);
  CHECK(sends[0].at("family").as_string() == "inet6");
  CHECK(sends[0].at("dst").as_string() == "2001:db8:2::1");
  CHECK(sends[0].at("proto").as_string() == "udp");
  CHECK(sends[0].at("hlim").to_number<int>() == 1);
  CHECK(sends[0].at("seq").to_number<int>() == 1);
  CHECK(sends[0].at("port").to_number<int>() == 33435);
  CHECK(sends[0].at("datalen").to_number<int>() == 12);
  CHECK(sends[0].at("src").is_null());
  CHECK(sends[5].at("hlim").to_number<int>() == 2);
  CHECK(sends[5].at("port").to_number<int>() == 33440);
  auto ident = d.args_of("probe_listen").at(0).at("ident").to_number<int>();
  CHECK(sends[3].at("ident").to_number<int>() == ident);
}

TEST_CASE("traceroute6 -l shows name and address, default just the name",
          "[tools][traceroute][daemon]") {
  fake_daemon d;
  listen(d);
  d.on("probe_send", path({}));
  auto l =
      test::run_tool(&run_traceroute6, {"-l", "-q", "2", "2001:db8:2::1"}, d.path(), 0, -1, names);
  CHECK(no_times(l.out) ==
        " 1  r1.example.net (2001:db8:1::ff)  T ms  T ms\n"
        " 2  2001:db8:2::1 (2001:db8:2::1)  T ms  T ms\n");
  auto plain =
      test::run_tool(&run_traceroute6, {"-q", "1", "2001:db8:2::1"}, d.path(), 0, -1, names);
  CHECK(no_times(plain.out) ==
        " 1  r1.example.net  T ms\n"
        " 2  2001:db8:2::1  T ms\n");
}

TEST_CASE("traceroute6 markers, skipped hops, timeouts and ICMP probes",
          "[tools][traceroute][daemon]") {
  fake_daemon d;
  listen(d);
  path_spec noroute;
  noroute.router_type = 1;
  noroute.router_code = 0;
  d.on("probe_send", path(noroute));
  auto nr = test::run_tool(&run_traceroute6, {"-n", "2001:db8:2::1"}, d.path());
  CHECK(no_times(nr.out) == " 1  2001:db8:1::ff  T ms !N  T ms !N  T ms !N\n");

  path_spec last;
  last.target_hlim = 1;
  d.on("probe_send", path(last));
  auto bang =
      test::run_tool(&run_traceroute6, {"-n", "-f", "2", "-q", "1", "2001:db8:2::1"}, d.path());
  CHECK(no_times(bang.out) ==
        "Skipping 1 intermediate hops\n"
        " 2  2001:db8:2::1  T ms !\n");

  path_spec icmp;
  icmp.target_type = 129;
  icmp.target_code = 0;
  d.on("probe_send", path(icmp));
  auto echo = test::run_tool(&run_traceroute6, {"-n", "-I", "-q", "1", "2001:db8:2::1"}, d.path());
  CHECK(no_times(echo.out) == " 1  2001:db8:1::ff  T ms\n 2  2001:db8:2::1  T ms\n");
  CHECK(d.args_of("probe_send").back().at("proto").as_string() == "icmp");

  path_spec silent;
  silent.silent_hop = 1;
  d.on("probe_send", path(silent));
  auto star = test::run_tool(&run_traceroute6,
                             {"-n", "-q", "1", "-w", "2", "-m", "1", "2001:db8::77"}, d.path());
  CHECK(star.rc == 0);
  CHECK(star.out == " 1  *\n");
}

TEST_CASE("traceroute6 reports a first probe that cannot be routed",
          "[tools][traceroute][daemon]") {
  fake_daemon d;
  listen(d);
  d.on("probe_send", [](const boost::json::object&) {
    return fake_reply::error("ENETUNREACH", "Network is unreachable");
  });
  auto r = test::run_tool(&run_traceroute6, {"-n", "2001:db8:9::1"}, d.path());
  CHECK(r.rc == 1);
  CHECK(r.out.empty());
  CHECK(r.err == "connect: Network is unreachable\n");
  auto bad = test::run_tool(&run_traceroute6, {"-s", "nonsense", "2001:db8:9::1"}, d.path());
  CHECK(bad.rc == 1);
  CHECK(bad.err.rfind("traceroute6: nonsense: ", 0) == 0);
  auto usage = test::run_tool(&run_traceroute6, {}, d.path());
  CHECK(usage.rc == 1);
  CHECK(usage.err == traceroute6_usage());
}

TEST_CASE("traceroute (IPv4) prints LBL's name (address) and %.3f ms",
          "[tools][traceroute][daemon]") {
  fake_daemon d;
  listen(d);
  path_spec v4;
  v4.router = "192.0.2.1";
  v4.target = "198.51.100.9";
  v4.router_type = 11;
  v4.target_type = 3;
  v4.target_code = 3;
  d.on("probe_send", path(v4));
  auto r = test::run_tool(&run_traceroute, {"-q", "2", "198.51.100.9"}, d.path(), 0, -1, names);
  CHECK(r.rc == 0);
  CHECK(r.err == "traceroute to 198.51.100.9 (198.51.100.9), 30 hops max, 40 byte packets\n");
  CHECK(no_times(r.out) ==
        " 1  gw.example.net (192.0.2.1)  T ms  T ms\n"
        " 2  198.51.100.9 (198.51.100.9)  T ms  T ms\n");
  CHECK(std::regex_search(r.out, std::regex("  [0-9]+\\.[0-9]{3} ms")));
  auto s = d.args_of("probe_send").at(0);
  CHECK(s.at("family").as_string() == "inet");
  CHECK(s.at("datalen").to_number<int>() == 12);  // 40 - IPv4 - UDP headers
  auto n = test::run_tool(&run_traceroute, {"-n", "-q", "1", "198.51.100.9"}, d.path());
  CHECK(no_times(n.out) == " 1  192.0.2.1  T ms\n 2  198.51.100.9  T ms\n");
  auto unknown = test::run_tool(&run_traceroute, {"-n", "bad..name"}, d.path());
  CHECK(unknown.rc == 1);
  CHECK(unknown.err == "traceroute: unknown host bad..name\n");
}
