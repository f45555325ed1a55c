// ping6 node information queries (-w -W -a -t -N): argv, the KAME reply
// printers (golden text), and runs against a fake daemon.
#include <catch2/catch.hpp>

#include <unistd.h>

#include "fake_daemon.hpp"
#include "stack/wire/nodeinfo.hpp"
#include "tools/common/kame_tools.hpp"
#include "tools/common/ping6_cmd.hpp"
#include "tools/common/ping6_print.hpp"

using namespace umi::tools;
using umi::tools::test::fake_daemon;
using umi::tools::test::fake_reply;
namespace ni = umi::wire::ni;
using bytevec = std::vector<std::uint8_t>;

namespace {

ping6_cmd parsed(std::vector<std::string> args) {
  auto c = parse_ping6(args, 0);
  REQUIRE(c);
  return *c;
}

bytevec addr_entry(std::uint32_t ttl, const char* a) {
  bytevec v(4);
  umi::store_be32(v.data(), ttl);
  auto p = umi::ip6_addr::parse(a);
  REQUIRE(p);
  v.insert(v.end(), p->b.begin(), p->b.end());
  return v;
}

boost::json::object ni_event(const boost::json::object& send, const char* from, unsigned qtype,
                             const bytevec& data, unsigned code = 0, unsigned flags = 0) {
  return {{"from", from},
          {"ifname", "de0"},
          {"scopeid", 1},
          {"to", "fe80::5254:ff:feda:cb7d"},
          {"seq", send.at("seq")},
          {"hlim", 64},
          {"len", 16 + data.size()},
          {"code", code},
          {"qtype", qtype},
          {"flags", flags},
          {"data_hex", to_hex(data)}};
}

fake_reply send_ok(const boost::json::object& a) {
  fake_reply r;
  r.result = boost::json::object{
      {"src", "fe80::5254:ff:feda:cb7d"}, {"dst", a.at("dst")}, {"ifname", "de0"}};
  return r;
}

}  // namespace

TEST_CASE("ping6 argv: -w -W -t -a FLAGS -N", "[tools][ping6][ni][argv]") {
  CHECK(parsed({"-w", "ff02::1"}).ni == ni_mode::node_name);
  CHECK(parsed({"-W", "ff02::1"}).ni == ni_mode::node_name_draft03);
  CHECK(parsed({"-t", "ff02::1"}).ni == ni_mode::qtypes);
  auto a = parsed({"-a", "aAclsg", "::1"});
  CHECK(a.ni == ni_mode::node_addrs);
  CHECK(a.naflags == (ni::flag_all | ni::flag_anycast | ni::flag_compat | ni::flag_link |
                      ni::flag_site | ni::flag_global));
  CHECK(parsed({"-aCLSG", "::1"}).naflags ==
        (ni::flag_compat | ni::flag_link | ni::flag_site | ni::flag_global));
  auto n = parsed({"-N", "-w", "banana"});
  CHECK(n.nigroup);
  CHECK(n.host == "banana");
  auto bad = parse_ping6({"-a", "x", "::1"}, 0);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().show_usage);
}

TEST_CASE("ping6 NI printer: node names as the guide shows them", "[tools][ping6][ni]") {
  bytevec d{0, 0, 0, 0};
  auto name = *umi::wire::encode_dns_name("fto.kame.net");
  d.insert(d.end(), name.begin(), name.end());
  CHECK(format_ni_reply(74, "fe80::5254:ff:feda:cb7d", 0, ni::qtype_node_name, 0, d, false) ==
        "74 bytes from fe80::5254:ff:feda:cb7d: fto.kame.net.\n");
  // A single-label name arrives truncated and prints without the dot.
  bytevec t{0, 0, 0, 0, 6, 'b', 'a', 'n', 'a', 'n', 'a', 0, 0};
  CHECK(format_ni_reply(69, "fe80::1", 0, ni::qtype_node_name, 0, t, false) ==
        "69 bytes from fe80::1: banana\n");
  CHECK(format_ni_reply(69, "fe80::1", 0, ni::qtype_node_name, 0, t, true) ==
        "69 bytes from fe80::1: banana (TTL=0:meaningless)\n");
  // Draft-03 form: a length octet and the raw name.
  bytevec old{0, 0, 0, 0, 5, 't', 'a', 'r', 'o', 'h'};
  CHECK(format_ni_reply(66, "fe80::1", 0, ni::qtype_node_name, 0, old, true) ==
        "66 bytes from fe80::1: taroh (TTL=0:meaningless,03 draft)\n");
  bytevec broken{0, 0, 0, 0, 9, 'a', 'b'};
  CHECK(format_ni_reply(63, "fe80::1", 0, ni::qtype_node_name, 0, broken, false) ==
        "63 bytes from fe80::1: ???\n");
}

TEST_CASE("ping6 NI printer: refused and unknown replies", "[tools][ping6][ni]") {
  CHECK(format_ni_reply(56, "2001:db8::1", 1, 2, 0, {}, false) ==
        "56 bytes from 2001:db8::1: refused, type 0x2\n");
  CHECK(format_ni_reply(56, "2001:db8::1", 2, 0x63, 0, {}, false) ==
        "56 bytes from 2001:db8::1: unknown, type 0x63\n");
  CHECK(format_ni_reply(56, "2001:db8::1", 9, 3, 0, {}, false) ==
        "56 bytes from 2001:db8::1: unknown code 0x9, type 0x3\n");
}

TEST_CASE("ping6 NI printer: node addresses with TTLs, one per line", "[tools][ping6][ni]") {
  bytevec d = addr_entry(ni::ttl_infinite, "fe80::1");
  auto g = addr_entry(2592000, "2001:db8::1");
  d.insert(d.end(), g.begin(), g.end());
  CHECK(format_ni_reply(96, "fe80::1", 0, ni::qtype_node_addrs, 0, d, false) ==
        "96 bytes from fe80::1: \n"
        "  fe80::1(TTL=infty)\n"
        "  2001:db8::1(TTL=2592000)\n"
        "\n");
  CHECK(format_ni_reply(56, "fe80::1", 0, ni::qtype_node_addrs, 0, {}, false) ==
        "56 bytes from fe80::1: \n  no address\n\n");
  CHECK(format_ni_reply(56, "fe80::1", 0, ni::qtype_node_addrs, ni::flag_truncated, {}, true) ==
        "56 bytes from fe80::1:  truncated\n  no address\n\n");
}

TEST_CASE("ping6 NI printer: supported qtypes as ranges", "[tools][ping6][ni]") {
  CHECK(format_ni_reply(60, "fe80::1", 0, ni::qtype_supported, 0, {0, 0, 0, 0x1f}, false) ==
        "60 bytes from fe80::1: NodeInfo Supported Qtypes 0-4\n");
  CHECK(format_ni_reply(60, "fe80::1", 0, ni::qtype_supported, 0, {0, 0, 0, 0x0d}, true) ==
        "60 bytes from fe80::1: NodeInfo Supported Qtypes, raw bitmap 0 2-3\n");
  CHECK(format_ni_reply(56, "fe80::1", 0, ni::qtype_noop, 0, {}, false) ==
        "56 bytes from fe80::1: NodeInfo NOOP\n");
}

TEST_CASE("ping6 -w to a group prints a line per responder", "[tools][ping6][ni][daemon]") {
  fake_daemon d;
  d.on("ping6_listen", [](const boost::json::object&) { return fake_reply{}; });
  d.on("ni_send", [](const boost::json::object& a) {
    auto r = send_ok(a);
    bytevec n1{0, 0, 0, 0, 3, 'f', 't', 'o', 0, 0};
    bytevec n2{0, 0, 0, 0, 6, 'b', 'a', 'n', 'a', 'n', 'a', 0, 0};
    r.events.emplace_back("ni_reply", ni_event(a, "fe80::5254:ff:feda:cb7d", 2, n1));
    r.events.emplace_back("ni_reply", ni_event(a, "fe80::5254:ff:feda:d161", 2, n2));
    return r;
  });
  auto r = test::run_tool(&run_ping6, {"-c", "1", "-I", "ed0", "-w", "ff02::1"}, d.path());
  CHECK(r.rc == 0);
  CHECK(r.out ==
        "PING6(72=40+8+24 bytes) fe80::5254:ff:feda:cb7d --> ff02::1\n"
        "66 bytes from fe80::5254:ff:feda:cb7d: fto\n"
        "69 bytes from fe80::5254:ff:feda:d161: banana\n"
        "\n--- ff02::1 ping6 statistics ---\n"
        "1 packets transmitted, 1 packets received, +1 duplicates, 0% packet loss\n");
  auto sends = d.args_of("ni_send");
  REQUIRE(sends.size() == 1);
  CHECK(sends[0].at("qtype").to_number<int>() == ni::qtype_node_name);
  CHECK(sends[0].find("subject_type") == sends[0].end());  // the destination as subject
  CHECK(sends[0].at("ident").to_number<int>() == (::getpid() & 0xffff));
  CHECK(sends[0].find("payload_hex") == sends[0].end());
}

TEST_CASE("ping6 -a, -t and -N send the right ni_send requests", "[tools][ping6][ni][daemon]") {
  fake_daemon d;
  d.on("ping6_listen", [](const boost::json::object&) { return fake_reply{}; });
  d.on("ni_send", [](const boost::json::object& a) {
    auto r = send_ok(a);
    r.events.emplace_back("ni_reply", ni_event(a, "fe80::1", 1, {0, 0, 0, 0x1f}));
    return r;
  });
  auto a = test::run_tool(&run_ping6, {"-c", "1", "-a", "lg", "fe80::1%de0"}, d.path());
  auto t = test::run_tool(&run_ping6, {"-c", "1", "-t", "fe80::1%de0"}, d.path());
  auto n = test::run_tool(&run_ping6, {"-c", "1", "-I", "de0", "-N", "-w", "Banana"}, d.path());
  CHECK(t.out.find("PING6(56=40+8+8 bytes)") == 0);
  CHECK(t.out.find("bytes from fe80::1: NodeInfo Supported Qtypes 0-4\n") != std::string::npos);
  auto s = d.args_of("ni_send");
  REQUIRE(s.size() == 3);
  CHECK(s[0].at("qtype").to_number<int>() == ni::qtype_node_addrs);
  CHECK(s[0].at("flags").to_number<int>() == (ni::flag_link | ni::flag_global));
  CHECK(s[1].at("qtype").to_number<int>() == ni::qtype_supported);
  CHECK(s[1].at("subject_type").as_string() == "none");
  // -N: to the name's NI group (KAME's 32-bit form), the name as subject.
  CHECK(s[2].at("dst").as_string() == umi::wire::ni_group_address_kame("banana")->to_string());
  CHECK(s[2].at("subject_type").as_string() == "name");
  CHECK(s[2].at("subject").as_string() == "Banana");
  CHECK(n.out.find("PING6(65=40+8+17 bytes)") == 0);
}
