// Shared KAME formatting helpers and the control client's transport behaviour.
#include <catch2/catch.hpp>

#include "fake_daemon.hpp"
#include "tools/common/control_client.hpp"
#include "tools/common/inet_addr.hpp"
#include "tools/common/kame_format.hpp"
#include "tools/common/kame_tools.hpp"

using namespace umi::tools;
using umi::tools::test::fake_daemon;
using umi::tools::test::fake_reply;

TEST_CASE("sec2str prints larger units only once they are non-zero", "[tools][format]") {
  CHECK(sec2str(0) == "0s");
  CHECK(sec2str(38) == "38s");
  CHECK(sec2str(242) == "4m2s");
  CHECK(sec2str(3600) == "1h0m0s");
  CHECK(sec2str(86399) == "23h59m59s");
  CHECK(sec2str(29 * 86400 + 23 * 3600 + 59 * 60 + 57) == "29d23h59m57s");
  CHECK(sec2str(86400) == "1d0h0m0s");
}

TEST_CASE("interface flags print as BSD %b", "[tools][format]") {
  CHECK(iff_flags_string(0x8843) == "flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>");
  CHECK(iff_flags_string(0x8802) == "flags=8802<BROADCAST,SIMPLEX,MULTICAST>");
  CHECK(iff_flags_string(0x8049) == "flags=8049<UP,LOOPBACK,RUNNING,MULTICAST>");
  CHECK(iff_flags_string(0) == "flags=0");
}

TEST_CASE("MAC addresses print without zero padding", "[tools][format]") {
  CHECK(bsd_mac("02:00:00:00:00:01") == "2:0:0:0:0:1");
  CHECK(bsd_mac("00:60:97:c2:80:bf") == "0:60:97:c2:80:bf");
  CHECK(bsd_mac("not-a-mac") == "not-a-mac");
}

TEST_CASE("scoped addresses carry %ifname only with a scope id", "[tools][format]") {
  CHECK(scoped_addr("fe80::1", "de0", 1) == "fe80::1%de0");
  CHECK(scoped_addr("2001:db8::1", "de0", 0) == "2001:db8::1");
}

TEST_CASE("host arguments split the zone and stay numeric", "[tools][format]") {
  std::string err;
  auto h = resolve_host("fe80::1%de0", err);
  REQUIRE(h);
  CHECK(h->addr == "fe80::1");
  CHECK(h->zone == "de0");
  CHECK(h->numeric() == "fe80::1%de0");
  auto g = resolve_host("2001:db8::2", err);
  REQUIRE(g);
  CHECK(g->numeric() == "2001:db8::2");
  CHECK_FALSE(resolve_host("fe80::zz%de0", err));
  CHECK_FALSE(err.empty());
}

TEST_CASE("json accessors fall back on missing or mistyped fields", "[tools][format]") {
  auto v = boost::json::parse(R"({"a": 5, "b": "x", "c": null, "d": true, "e": 7.0})");
  const auto& o = v.as_object();
  CHECK(json_int(o, "a") == 5);
  CHECK(json_int(o, "b", -1) == -1);
  CHECK_FALSE(json_opt_int(o, "c"));
  CHECK(json_opt_int(o, "e") == 7);
  CHECK(json_str(o, "b") == "x");
  CHECK(json_str(o, "a", "def") == "def");
  CHECK(json_bool(o, "d"));
  CHECK(json_array(o, "zz").empty());
}

TEST_CASE("a missing daemon socket gives the connect message and exit 1", "[tools][client]") {
  std::string path = test::dead_socket_path();
  for (auto [fn, name] : {std::pair{&run_ndp, "ndp"}, std::pair{&run_ifconfig, "ifconfig"},
                          std::pair{&run_netstat, "netstat"}, std::pair{&run_ping6, "ping6"}}) {
    std::vector<std::string> args;
    if (std::string(name) == "ndp") args = {"-a"};
    if (std::string(name) == "ifconfig") args = {"-a"};
    if (std::string(name) == "netstat") args = {"-s"};
    if (std::string(name) == "ping6") args = {"-c", "1", "::1"};
    auto r = test::run_tool(fn, args, path);
    CHECK(r.rc == 1);
    CHECK(r.err == std::string(name) + ": cannot connect to umigamed at " + path +
                       ": No such file or directory (is umigamed running?)\n");
    CHECK(r.out.empty());
  }
}

TEST_CASE("UMIGAME_SOCKET overrides the default socket path", "[tools][client]") {
  ::setenv("UMIGAME_SOCKET", "/tmp/elsewhere.sock", 1);
  CHECK(socket_path_from_env() == "/tmp/elsewhere.sock");
  ::unsetenv("UMIGAME_SOCKET");
  CHECK(socket_path_from_env() == "/run/umigame/umigamed.sock");
}

TEST_CASE("the client says hello first and matches replies by id", "[tools][client]") {
  fake_daemon d;
  d.on("interfaces", [](const boost::json::object&) {
    fake_reply r;
    r.result = boost::json::object{{"interfaces", boost::json::array{}}};
    r.events.emplace_back("echo_reply", boost::json::object{{"seq", 3}});
    return r;
  });
  auto c = control_client::connect(d.path());
  REQUIRE(c);
  std::vector<control_event> seen;
  c->on_event([&](const control_event& e) { seen.push_back(e); });
  auto h = c->hello("ndp");
  REQUIRE(h);
  CHECK(h->as_object().at("daemon").as_string() == "umigamed");
  auto r = c->call("interfaces");
  REQUIRE(r);
  CHECK(r->as_object().at("interfaces").as_array().empty());
  // The event written after the reply is dispatched by the read that saw it
  // (usually the one that brought the reply).
  if (seen.empty()) CHECK(c->pump(1000));
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].name == "echo_reply");
  CHECK(seen[0].data.as_object().at("seq").as_int64() == 3);
  auto reqs = d.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].op == "hello");
  CHECK(reqs[0].args.at("version").as_int64() == 1);
  CHECK(reqs[0].args.at("client").as_string() == "ndp");
  CHECK(reqs[1].op == "interfaces");
}

TEST_CASE("daemon errors come back as code and message", "[tools][client]") {
  fake_daemon d;
  d.on("neighbor_del",
       [](const boost::json::object&) { return fake_reply::error("ESRCH", "no such entry"); });
  auto c = control_client::connect(d.path());
  REQUIRE(c);
  REQUIRE(c->hello("ndp"));
  auto r = c->call("neighbor_del", {{"addr", "2001:db8::9"}});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "ESRCH");
  CHECK(r.error().message == "no such entry");
}

TEST_CASE("a refused hello is reported with the daemon's message", "[tools][client]") {
  fake_daemon d;
  d.on("hello", [](const boost::json::object&) {
    return fake_reply::error("version", "unsupported protocol version 1");
  });
  auto r = test::run_tool(&run_netstat, {"-s"}, d.path());
  CHECK(r.rc == 1);
  CHECK(r.err == "netstat: unsupported protocol version 1\n");
}

TEST_CASE("IPv4 parsing follows inet_aton and inet_network", "[tools][format][inet]") {
  CHECK(parse_ip4("192.0.2.1") == 0xc0000201u);
  CHECK(parse_ip4("10.1") == 0x0a000001u);  // a.b: b fills 24 bits
  CHECK(parse_ip4("0xffffff00") == 0xffffff00u);
  CHECK_FALSE(parse_ip4("192.0.2.256"));
  CHECK_FALSE(parse_ip4(""));
  CHECK(parse_ip4_network("10.1") == 0x0a01u);
  CHECK(ip4_to_string(0xc0000201u) == "192.0.2.1");
  CHECK(ip4_mask(24) == 0xffffff00u);
  CHECK(ip4_mask(0) == 0);
  CHECK(ip4_mask(32) == 0xffffffffu);
  CHECK(ip4_mask_len(0xfffffff0u) == 28u);
  CHECK_FALSE(ip4_mask_len(0xff00ff00u));
  CHECK(ip4_classful_len(0x0a000001u) == 8);
  CHECK(ip4_classful_len(0xac100001u) == 16);
  CHECK(ip4_classful_len(0xc0000201u) == 24);
  CHECK(ip4_host_part(0xc0000205u) == 5);
  CHECK(ip4_make_net(0x0a01, 0).addr == 0x0a010000u);
  CHECK(ip4_make_net(0x0a01, 0).prefixlen == 16);
  CHECK(ip4_make_net(0xc0a80100u, 0).prefixlen == 24);
  CHECK(ip4_make_net(0, 0).prefixlen == 0);
}

TEST_CASE("netstat's netname() trims zero bytes and adds odd masks", "[tools][format][inet]") {
  CHECK(ip4_netname(0, 0) == "default");
  CHECK(ip4_netname(0xc0000200u, 24) == "192.0.2");
  CHECK(ip4_netname(0x0a000000u, 8) == "10");
  CHECK(ip4_netname(0x0a010000u, 16) == "10.1/16");
  CHECK(ip4_netname(0xc6336480u, 25) == "198.51.100.128/25");
  CHECK(ip4_netname(0xac100000u, 12) == "172.16/12");
}

TEST_CASE("IPv6 masks, prefixes and KAME's embedded zone", "[tools][format][inet]") {
  CHECK(ip6_mask_string(64) == "ffff:ffff:ffff:ffff::");
  CHECK(ip6_mask_string(0) == "::");
  CHECK(ip6_mask_string(57) == "ffff:ffff:ffff:ff80::");
  CHECK(ip6_prefix_string("2001:db8:1::1", 64) == "2001:db8:1::");
  CHECK(ip6_prefix_string("fe80::ff:fe00:1%de0", 64) == "fe80::");
  auto z = split_embedded_zone("fe80:2::200:a2ff:fe0e:7543");
  REQUIRE(z);
  CHECK(z->index == 2);
  CHECK(z->addr == "fe80::200:a2ff:fe0e:7543");
  CHECK(split_embedded_zone("ff02:1::1")->index == 1);
  CHECK_FALSE(split_embedded_zone("fe80::1"));
  CHECK_FALSE(split_embedded_zone("fe80:2::1%de0"));
  CHECK_FALSE(split_embedded_zone("2001:2::1"));
  CHECK(bsd_strerror("EEXIST", "x") == "File exists");
  CHECK(bsd_strerror("ESRCH", "x") == "No such process");
  CHECK(bsd_strerror("ENXIO", "x") == "Device not configured");
  CHECK(bsd_strerror("weird", "daemon text") == "daemon text");
}
