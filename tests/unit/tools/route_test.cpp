// route: argv grammar (keywords, default prefix lengths, errors), printers
// (add/delete lines, get, flush, monitor) and runs against a fake daemon.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include "fake_daemon.hpp"
#include "tools/common/kame_tools.hpp"
#include "tools/common/route_cmd.hpp"
#include "tools/common/route_print.hpp"

using namespace umi::tools;
using umi::tools::test::fake_daemon;
using umi::tools::test::fake_reply;

namespace {

route_cmd parsed(std::vector<std::string> args) {
  auto c = parse_route(args);
  INFO((c ? std::string() : c.error().message));
  REQUIRE(c);
  return *c;
}

cmd_error failed(std::vector<std::string> args) {
  auto c = parse_route(args);
  REQUIRE_FALSE(c);
  return c.error();
}

const char* const interfaces_json = R"({"interfaces": [
  {"name": "de0", "index": 1, "flags": 34883, "mtu": 1500},
  {"name": "de1", "index": 2, "flags": 34883, "mtu": 1500}]})";

boost::json::object route(const char* text) {
  return boost::json::parse(text).as_object();
}

void use_utc() {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
}

}  // namespace

TEST_CASE("route argv: the guide's default route and the embedded zone form",
          "[tools][route][argv]") {
  auto c = parsed({"add", "-inet6", "default", "fe80:2::200:a2ff:fe0e:7543"});
  CHECK(c.verb == route_verb::add);
  CHECK(c.family == "inet6");
  CHECK(c.dest == "default");
  CHECK(c.dest_addr == "::");
  CHECK(c.prefixlen == 0);
  CHECK_FALSE(c.host);
  CHECK(c.gateway == "fe80:2::200:a2ff:fe0e:7543");
  CHECK(c.gateway_addr == "fe80:2::200:a2ff:fe0e:7543");
  CHECK_FALSE(c.interface);

  auto z = parsed({"add", "-inet6", "default", "fe80::9876:5432:1234:abcd%ne0"});
  CHECK(z.gateway_addr == "fe80::9876:5432:1234:abcd%ne0");
}

TEST_CASE("route argv: inet6 prefix lengths", "[tools][route][argv]") {
  // "if prefixlen is omitted, 64 is assumed"
  auto omitted = parsed({"add", "-inet6", "3ffe:501:ffff::", "::1"});
  CHECK(omitted.prefixlen == 64);
  CHECK_FALSE(omitted.host);
  auto given = parsed({"add", "-inet6", "3ffe:501:ffff::", "-prefixlen", "48", "::1", "-reject"});
  CHECK(given.prefixlen == 48);
  CHECK(given.reject);
  CHECK(given.gateway == "::1");
  auto host128 = parsed({"add", "-inet6", "2001:db8::5", "-prefixlen", "128", "fe80::1%de0"});
  CHECK(host128.host);
  CHECK(host128.prefixlen == 128);
  auto host = parsed({"add", "-inet6", "-host", "2001:db8::5", "fe80::1%de0"});
  CHECK(host.host);
  CHECK(host.prefixlen == 128);
  auto unspecified = parsed({"add", "-inet6", "::", "fe80::1%de0"});
  CHECK(unspecified.prefixlen == 0);
  // An address with a colon is inet6 even without -inet6.
  auto inferred = parsed({"delete", "2001:db8:2::", "-prefixlen", "56"});
  CHECK(inferred.family == "inet6");
  CHECK(inferred.verb == route_verb::remove);
  CHECK(inferred.verb_word == "delete");
  auto mask = parsed({"add", "-inet6", "2001:db8::", "-netmask", "ffff:ffff:ffff::", "::1"});
  CHECK(mask.prefixlen == 48);
  auto blackhole = parsed({"change", "-inet6", "2001:db8::", "::1", "-blackhole"});
  CHECK(blackhole.verb == route_verb::change);
  CHECK(blackhole.blackhole);
}

TEST_CASE("route argv: -interface routes go through an interface", "[tools][route][argv]") {
  auto named = parsed({"add", "-inet6", "2001:db8:5::", "-interface", "de1"});
  CHECK(named.interface);
  CHECK(named.ifname == "de1");
  CHECK(named.gateway == "de1");  // printed as typed
  CHECK(named.gateway_addr.empty());
  auto addr = parsed({"add", "-inet6", "2001:db8:5::", "fe80::1%de1", "-iface"});
  CHECK(addr.interface);
  CHECK(addr.gateway_addr == "fe80::1%de1");
  auto ifp = parsed({"add", "-inet6", "2001:db8:5::", "fe80::1", "-ifp", "de1"});
  CHECK(ifp.ifname == "de1");
}

TEST_CASE("route argv: inet addresses follow BSD's getaddr()", "[tools][route][argv]") {
  auto def = parsed({"add", "default", "192.0.2.254"});
  CHECK(def.family == "inet");
  CHECK(def.dest_addr == "0.0.0.0");
  CHECK(def.prefixlen == 0);
  auto net = parsed({"add", "192.0.2.0", "192.0.2.1"});  // host part zero: classful net
  CHECK_FALSE(net.host);
  CHECK(net.prefixlen == 24);
  auto host = parsed({"add", "192.0.2.5", "192.0.2.1"});
  CHECK(host.host);
  CHECK(host.prefixlen == 32);
  auto shorthand = parsed({"add", "10.1", "192.0.2.1"});  // inet_addr: 10.0.0.1, a host
  CHECK(shorthand.host);
  CHECK(shorthand.dest_addr == "10.0.0.1");
  auto classb = parsed({"add", "-net", "10.1", "192.0.2.1"});  // inet_network: 10.1.0.0/16
  CHECK_FALSE(classb.host);
  CHECK(classb.dest_addr == "10.1.0.0");
  CHECK(classb.prefixlen == 16);
  auto cidr = parsed({"add", "198.51.100.0/25", "192.0.2.1"});
  CHECK(cidr.prefixlen == 25);
  CHECK_FALSE(cidr.host);
  auto mask = parsed({"add", "-net", "198.51.100.0", "192.0.2.1", "-netmask", "0xffffff80"});
  CHECK(mask.prefixlen == 25);
  auto dotted = parsed({"add", "198.51.100.0", "192.0.2.1", "255.255.255.128"});
  CHECK(dotted.prefixlen == 25);
  auto plen = parsed({"add", "-inet", "198.51.100.0", "-prefixlen", "20", "192.0.2.1"});
  CHECK(plen.prefixlen == 20);
}

TEST_CASE("route argv: commands, flags and flush", "[tools][route][argv]") {
  auto opts = parsed({"-nqv", "get", "-inet6", "2001:db8::1"});
  CHECK(opts.numeric);
  CHECK(opts.quiet);
  CHECK(opts.verbose);
  CHECK(opts.verb == route_verb::get);
  CHECK(parsed({"monitor"}).verb == route_verb::monitor);
  auto flush = parsed({"flush"});
  CHECK(flush.verb == route_verb::flush);
  CHECK(flush.family.empty());
  CHECK(parsed({"flush", "-inet6"}).family == "inet6");
  CHECK(parsed({"flush", "-inet"}).family == "inet");
  // Accepted and ignored like metrics and the static/llinfo flags.
  auto many = parsed({"add", "-inet6", "2001:db8::", "::1", "-mtu", "1280", "-static", "-lock"});
  CHECK(many.prefixlen == 64);
}

TEST_CASE("route argv: KAME's errors and exit statuses", "[tools][route][argv]") {
  auto none = failed({});
  CHECK(none.show_usage);
  CHECK(none.message.empty());
  CHECK(none.status == 64);
  auto verb = failed({"frob"});
  CHECK(verb.message == "bad keyword: frob");
  CHECK(verb.show_usage);
  CHECK(verb.status == 64);
  CHECK(failed({"add", "-inet6", "2001:db8::", "::1", "-bogus"}).message == "bad keyword: bogus");
  CHECK(failed({"add", "-add", "2001:db8::", "::1"}).message == "bad keyword: add");
  CHECK(failed({"-x", "add"}).show_usage);
  CHECK(failed({"add", "-inet6"}).show_usage);
  CHECK(failed({"add", "-inet6", "2001:db8::", "-prefixlen"}).show_usage);
  auto plen = failed({"add", "-inet6", "2001:db8::", "-prefixlen", "129", "::1"});
  CHECK(plen.message == "129: bad value");
  CHECK(plen.raw);  // fprintf(stderr, "%s: bad value\n") without "route: "
  CHECK(plen.status == 1);
  CHECK(failed({"add", "-inet6", "2001:db8::zz", "::1"}).message == "2001:db8::zz: bad value");
  CHECK(failed({"add", "-inet6", "2001:db8::", "nothere"}).message == "nothere: bad value");
  auto addr = failed({"add", "-inet", "no.such.host.invalid", "192.0.2.1"});
  CHECK(addr.message == "bad address: no.such.host.invalid");
  CHECK(addr.status == 68);
  CHECK(failed({"flush", "-inet6", "extra"}).message == "bad keyword: -inet6");
  CHECK(failed({"flush", "junk"}).message == "bad keyword: junk");
  CHECK(failed({"add", "-link", "x"}).message == "address family link is not supported");
  CHECK(route_needs_root({"add", "x"}));
  CHECK(route_needs_root({"-n", "flush"}));
  CHECK_FALSE(route_needs_root({"get", "x"}));
  CHECK_FALSE(route_needs_root({"monitor"}));
}

TEST_CASE("route keyword table is KAME's", "[tools][route][argv]") {
  std::string words;
  for (const auto& k : route_keywords()) words += std::string(k.word) + " ";
  CHECK(words ==
        "add atalk blackhole change cloning delete dst expire flush gateway genmask get host "
        "hopcount iface interface ifa ifp inet inet6 iso link llinfo lock lockrest mask monitor "
        "mtu net netmask nostatic osi prefixlen proto1 proto2 recvpipe reject rtt rttvar sa "
        "sendpipe ssthresh static x25 xns xresolve ");
}

TEST_CASE("route add/delete lines", "[tools][route]") {
  CHECK(format_route_change("add", false, "default", "fe80::9876:5432:1234:abcd%ne0", "") ==
        "add net default: gateway fe80::9876:5432:1234:abcd%ne0\n");
  CHECK(format_route_change("add", false, "default", "fe80:2::200:a2ff:fe0e:7543", "") ==
        "add net default: gateway fe80:2::200:a2ff:fe0e:7543\n");
  CHECK(format_route_change("add", true, "2001:db8::5", "fe80::1%de0", "File exists") ==
        "add host 2001:db8::5: gateway fe80::1%de0: File exists\n");
  CHECK(format_route_change("delete", false, "2001:db8:2::", "", "not in table") ==
        "delete net 2001:db8:2::: not in table\n");
  CHECK(route_error_text({"ESRCH", "not in table"}) == "not in table");
  CHECK(route_error_text({"EEXIST", "File exists"}) == "File exists");
  CHECK(route_error_text({"EBUSY", "x"}) == "entry in use");
  CHECK(route_error_text({"ENOBUFS", "x"}) == "routing table overflow");
  CHECK(route_error_text({"ENETUNREACH", "x"}) == "Network is unreachable");
  CHECK(route_write_error({"ESRCH", "not in table"}) ==
        "writing to routing socket: No such process");
  CHECK(route_flag_names("UGS", true) == "<UP,GATEWAY,DONE,STATIC>");
  CHECK(route_flag_names("UGHD", false) == "<UP,GATEWAY,HOST,DYNAMIC>");
  CHECK(route_flag_names("URSB", false) == "<UP,REJECT,STATIC,BLACKHOLE>");
  CHECK(route_flag_names("", false).empty());
}

TEST_CASE("route get prints print_getmsg()'s block", "[tools][route]") {
  auto r = boost::json::parse(R"({"route": {"family": "inet6", "dest": "2001:db8:2::",
      "prefixlen": 64, "gateway": "fe80::1%de1", "ifname": "de1", "flags": "UGS", "refs": 0,
      "use": 3, "mtu": 1500, "expire": null, "kind": "static"},
      "destination": "2001:db8:2::5", "interface": "de1", "if_address": "2001:db8:2::ff"})");
  CHECK(format_route_get(r, "2001:db8:2::5") ==
        "   route to: 2001:db8:2::5\n"
        "destination: 2001:db8:2::\n"
        "       mask: ffff:ffff:ffff:ffff::\n"
        "    gateway: fe80::1%de1\n"
        "  interface: de1\n"
        "      flags: <UP,GATEWAY,DONE,STATIC>\n"
        " recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire\n"
        "       0         0         0         0         0         0      1500         0 \n");
  auto onlink = boost::json::parse(R"({"route": {"family": "inet", "dest": "192.0.2.0",
      "prefixlen": 24, "gateway": null, "ifname": "de0", "flags": "UC", "mtu": 1500}})");
  CHECK(format_route_get(onlink, "192.0.2.7") ==
        "   route to: 192.0.2.7\n"
        "destination: 192.0.2.0\n"
        "       mask: 255.255.255.0\n"
        "  interface: de0\n"
        "      flags: <UP,DONE,CLONING>\n"
        " recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire\n"
        "       0         0         0         0         0         0      1500         0 \n");
  auto host = boost::json::parse(R"({"route": {"family": "inet6", "dest": "2001:db8:2::5",
      "prefixlen": 128, "gateway": "fe80::1%de1", "ifname": "de1", "flags": "UGHD",
      "mtu": 1280, "expire": 598}})");
  CHECK(format_route_get(host, "2001:db8:2::5") ==
        "   route to: 2001:db8:2::5\n"
        "destination: 2001:db8:2::5\n"
        "    gateway: fe80::1%de1\n"
        "  interface: de1\n"
        "      flags: <UP,GATEWAY,HOST,DYNAMIC,DONE>\n"
        " recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire\n"
        "       0         0         0         0         0         0      1280       598 \n");
}

TEST_CASE("route flush lines are %-20.20s %-20.20s done", "[tools][route]") {
  if_index_map idx{{"de0", 1}};
  CHECK(format_flush_line(route(R"({"family": "inet6", "dest": "2001:db8:2::", "prefixlen": 64,
            "gateway": "fe80::1%de1", "ifname": "de1", "flags": "UGS"})"),
                          idx) == "2001:db8:2::         fe80::1%de1          done\n");
  CHECK(format_flush_line(route(R"({"family": "inet", "dest": "10.1.0.0", "prefixlen": 16,
            "gateway": "192.0.2.1", "ifname": "de0", "flags": "UGS"})"),
                          idx) == "10.1                 192.0.2.1            done\n");
  CHECK(format_flush_line(route(R"({"family": "inet", "dest": "0.0.0.0", "prefixlen": 0,
            "gateway": "192.0.2.254", "ifname": "de0", "flags": "UGS"})"),
                          idx) == "default              192.0.2.254          done\n");
  CHECK(format_flush_line(route(R"({"family": "inet6", "dest": "2001:db8:3::77",
            "prefixlen": 128, "gateway": "fe80::200:a2ff:fe0e:7543%de0", "ifname": "de0",
            "flags": "UGHD"})"),
                          idx) == "2001:db8:3::77       fe80::200:a2ff:fe0e: done\n");
  CHECK(format_flush_line(route(R"({"family": "inet6", "dest": "2001:db8:4::",
            "prefixlen": 64, "gateway": null, "ifname": "de0", "flags": "US"})"),
                          idx) == "2001:db8:4::         link#1               done\n");
  CHECK(format_flush_line(route(R"({"family": "inet6", "dest": "2001:db8:5::",
            "prefixlen": 64})"),
                          idx) == "2001:db8:5::                              done\n");
}

TEST_CASE("route monitor prints got message + print_rtmsg()", "[tools][route]") {
  use_utc();
  if_index_map idx{{"de0", 1}, {"de1", 2}};
  auto add = route(R"({"type": "RTM_ADD", "route": {"family": "inet6", "dest": "2001:db8:2::",
      "prefixlen": 64, "gateway": "fe80::1%de0", "ifname": "de0", "flags": "UGS"}})");
  CHECK(format_route_message(add, 0, idx) ==
        "got message of size 164 on Thu Jan  1 00:00:00 1970\n"
        "RTM_ADD: Add Route: len 164, pid: 0, seq 0, errno 0, flags:<UP,GATEWAY,DONE,STATIC>\n"
        "locks:  inits: \n"
        "sockaddrs: <DST,GATEWAY,NETMASK>\n"
        " 2001:db8:2:: fe80::1%de0 ffff:ffff:ffff:ffff::\n");
  auto del = route(R"({"type": "RTM_DELETE", "route": {"family": "inet", "dest": "10.1.0.0",
      "prefixlen": 16, "gateway": "192.0.2.1", "ifname": "de0", "flags": "UGS"}})");
  CHECK(format_route_message(del, 86400 + 3661, idx) ==
        "got message of size 132 on Fri Jan  2 01:01:01 1970\n"
        "RTM_DELETE: Delete Route: len 132, pid: 0, seq 0, errno 0, "
        "flags:<UP,GATEWAY,DONE,STATIC>\n"
        "locks:  inits: \n"
        "sockaddrs: <DST,GATEWAY,NETMASK>\n"
        " 10.1.0.0 192.0.2.1 255.255.0.0\n");
  auto redirect = route(R"({"type": "RTM_ADD", "route": {"family": "inet6",
      "dest": "2001:db8:3::7", "prefixlen": 128, "gateway": "fe80::2%de1", "ifname": "de1",
      "flags": "UGHD"}})");
  CHECK(format_route_message(redirect, 0, idx) ==
        "got message of size 148 on Thu Jan  1 00:00:00 1970\n"
        "RTM_ADD: Add Route: len 148, pid: 0, seq 0, errno 0, "
        "flags:<UP,GATEWAY,HOST,DYNAMIC,DONE>\n"
        "locks:  inits: \n"
        "sockaddrs: <DST,GATEWAY>\n"
        " 2001:db8:3::7 fe80::2%de1\n");
  auto newaddr = route(R"({"type": "RTM_NEWADDR", "route": {"family": "inet6",
      "dest": "2001:db8:1::1", "prefixlen": 64, "gateway": null, "ifname": "de0",
      "flags": "U"}})");
  CHECK(format_route_message(newaddr, 0, idx) ==
        "got message of size 84 on Thu Jan  1 00:00:00 1970\n"
        "RTM_NEWADDR: address being added to iface: len 84, metric 0, flags:<UP>\n"
        "sockaddrs: <NETMASK,IFP,IFA>\n"
        " ffff:ffff:ffff:ffff:: de0 2001:db8:1::1\n");
  auto ifinfo = route(R"({"type": "RTM_IFINFO", "if_flags": 34883, "route": {"family": "inet6",
      "dest": "::", "prefixlen": 0, "ifname": "de1"}})");
  CHECK(format_route_message(ifinfo, 0, idx) ==
        "got message of size 116 on Thu Jan  1 00:00:00 1970\n"
        "RTM_IFINFO: iface status change: len 116, if# 2, "
        "flags:<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>\n"
        "sockaddrs: <IFP>\n"
        " de1\n");
}

TEST_CASE("route add, change and delete against a fake daemon", "[tools][route][daemon]") {
  fake_daemon d;
  d.on("interfaces", [](const boost::json::object&) {
    fake_reply r;
    r.result = boost::json::parse(interfaces_json);
    return r;
  });
  d.on("route_add", [](const boost::json::object& a) {
    if (a.at("dest").as_string() == "2001:db8:9::")
      return fake_reply::error("EEXIST", "File exists");
    return fake_reply{};
  });
  d.on("route_change",
       [](const boost::json::object&) { return fake_reply::error("ESRCH", "not in table"); });
  d.on("route_delete", [](const boost::json::object&) { return fake_reply{}; });

  auto guide = test::run_tool(&run_route,
                              {"add", "-inet6", "default", "fe80:2::200:a2ff:fe0e:7543"}, d.path());
  CHECK(guide.rc == 0);
  CHECK(guide.err.empty());
  CHECK(guide.out == "add net default: gateway fe80:2::200:a2ff:fe0e:7543\n");
  auto a = d.args_of("route_add").at(0);
  CHECK(a.at("family").as_string() == "inet6");
  CHECK(a.at("dest").as_string() == "::");
  CHECK(a.at("prefixlen").to_number<int>() == 0);
  CHECK(a.at("gateway").as_string() == "fe80::200:a2ff:fe0e:7543%de1");  // index 2 = de1
  CHECK_FALSE(a.at("interface").as_bool());
  CHECK(a.at("ifname").is_null());
  CHECK_FALSE(a.at("reject").as_bool());

  auto exists =
      test::run_tool(&run_route, {"add", "-inet6", "2001:db8:9::", "fe80::1%de0"}, d.path());
  CHECK(exists.rc == 1);
  CHECK(exists.err == "route: writing to routing socket: File exists\n");
  CHECK(exists.out == "add net 2001:db8:9::: gateway fe80::1%de0: File exists\n");

  auto reject = test::run_tool(
      &run_route, {"add", "-inet6", "3ffe:501:ffff::", "-prefixlen", "64", "::1", "-reject"},
      d.path());
  CHECK(reject.out == "add net 3ffe:501:ffff::: gateway ::1\n");
  CHECK(d.args_of("route_add").back().at("reject").as_bool());

  auto ifroute =
      test::run_tool(&run_route, {"add", "-inet6", "2001:db8:5::", "-interface", "de1"}, d.path());
  CHECK(ifroute.out == "add net 2001:db8:5::: gateway de1\n");
  auto ia = d.args_of("route_add").back();
  CHECK(ia.at("interface").as_bool());
  CHECK(ia.at("ifname").as_string() == "de1");
  CHECK(ia.at("gateway").is_null());

  auto change =
      test::run_tool(&run_route, {"change", "-inet6", "2001:db8:7::", "fe80::1%de0"}, d.path());
  CHECK(change.rc == 1);
  CHECK(change.err == "route: writing to routing socket: No such process\n");
  CHECK(change.out == "change net 2001:db8:7::: gateway fe80::1%de0: not in table\n");

  auto del = test::run_tool(&run_route, {"delete", "-inet6", "2001:db8:5::"}, d.path());
  CHECK(del.rc == 0);
  CHECK(del.out == "delete net 2001:db8:5::\n");
  auto da = d.args_of("route_delete").at(0);
  CHECK(da.at("prefixlen").to_number<int>() == 64);
  CHECK_FALSE(da.contains("gateway"));

  auto v4 = test::run_tool(&run_route, {"add", "-net", "10.1", "192.0.2.1"}, d.path());
  CHECK(v4.out == "add net 10.1: gateway 192.0.2.1\n");
  auto va = d.args_of("route_add").back();
  CHECK(va.at("family").as_string() == "inet");
  CHECK(va.at("dest").as_string() == "10.1.0.0");
  CHECK(va.at("prefixlen").to_number<int>() == 16);
}

TEST_CASE("route needs root to change the table; -t sends nothing", "[tools][route][daemon]") {
  fake_daemon d;
  auto r = test::run_tool(&run_route, {"add", "-inet6", "default", "fe80::1%de0"}, d.path(), 1000);
  CHECK(r.rc == 77);
  CHECK(r.err == "route: must be root to alter routing table\n");
  auto f = test::run_tool(&run_route, {"flush"}, d.path(), 1000);
  CHECK(f.rc == 77);
  auto t = test::run_tool(&run_route, {"-t", "add", "-inet6", "default", "fe80::1%de0"},
                          test::dead_socket_path());
  CHECK(t.rc == 0);
  CHECK(t.out == "add net default: gateway fe80::1%de0\n");
  auto bad = test::run_tool(&run_route, {"add", "-inet6", "x::y", "::1"}, d.path());
  CHECK(bad.rc == 1);
  CHECK(bad.err == "x::y: bad value\n");
  auto usage = test::run_tool(&run_route, {"bogus"}, d.path());
  CHECK(usage.rc == 64);
  CHECK(usage.err == "route: bad keyword: bogus\n" + route_usage());
  CHECK(d.args_of("route_add").empty());
}

TEST_CASE("route get and flush against a fake daemon", "[tools][route][daemon]") {
  fake_daemon d;
  d.on("route_get", [](const boost::json::object& a) {
    if (a.at("dest").as_string() != "2001:db8:2::5")
      return fake_reply::error("ESRCH", "not in table");
    fake_reply r;
    r.result = boost::json::parse(R"({"route": {"family": "inet6", "dest": "2001:db8:2::",
        "prefixlen": 64, "gateway": "fe80::1%de1", "ifname": "de1", "flags": "UGS",
        "mtu": 1500, "expire": null}, "destination": "2001:db8:2::5", "interface": "de1"})");
    return r;
  });
  d.on("route_flush", [](const boost::json::object&) {
    fake_reply r;
    r.result = boost::json::parse(R"({"deleted": [
        {"family": "inet", "dest": "0.0.0.0", "prefixlen": 0, "gateway": "192.0.2.254",
         "ifname": "de0", "flags": "UGS"},
        {"family": "inet6", "dest": "2001:db8:2::", "prefixlen": 64, "gateway": "fe80::1%de1",
         "ifname": "de1", "flags": "UGS"}]})");
    return r;
  });
  auto get = test::run_tool(&run_route, {"get", "-inet6", "2001:db8:2::5"}, d.path(), 1000);
  CHECK(get.rc == 0);  // get needs no privilege
  CHECK(get.out.rfind("   route to: 2001:db8:2::5\ndestination: 2001:db8:2::\n", 0) == 0);
  CHECK(d.args_of("route_get").at(0).at("family").as_string() == "inet6");
  auto miss = test::run_tool(&run_route, {"get", "-inet6", "2001:db8:9::1"}, d.path());
  CHECK(miss.rc == 1);
  CHECK(miss.out.empty());
  CHECK(miss.err == "route: writing to routing socket: No such process\n");

  auto flush = test::run_tool(&run_route, {"flush", "-inet6"}, d.path());
  CHECK(flush.rc == 0);
  CHECK(flush.out ==
        "default              192.0.2.254          done\n"
        "2001:db8:2::         fe80::1%de1          done\n");
  CHECK(d.args_of("route_flush").at(0).at("family").as_string() == "inet6");
  auto quiet = test::run_tool(&run_route, {"-q", "flush"}, d.path());
  CHECK(quiet.rc == 0);
  CHECK(quiet.out.empty());
  CHECK_FALSE(d.args_of("route_flush").at(1).contains("family"));
}

TEST_CASE("route monitor streams events until interrupted", "[tools][route][daemon]") {
  use_utc();
  fake_daemon d;
  d.on("route_monitor", [](const boost::json::object&) {
    fake_reply r;
    r.events.emplace_back("route", boost::json::parse(R"({"type": "RTM_ADD", "route": {
        "family": "inet6", "dest": "2001:db8:2::", "prefixlen": 64, "gateway": "fe80::1%de0",
        "ifname": "de0", "flags": "UGS"}})"));
    r.events.emplace_back("route", boost::json::parse(R"({"type": "RTM_DELETE", "route": {
        "family": "inet6", "dest": "2001:db8:2::", "prefixlen": 64, "gateway": "fe80::1%de0",
        "ifname": "de0", "flags": "UGS"}})"));
    return r;
  });
  int intr[2];
  REQUIRE(::pipe2(intr, O_CLOEXEC | O_NONBLOCK) == 0);
  REQUIRE(::write(intr[1], "i", 1) == 1);
  auto r = test::run_tool(&run_route, {"monitor"}, d.path(), 1000, intr[0]);
  ::close(intr[0]);
  ::close(intr[1]);
  CHECK(r.rc == 0);
  CHECK(r.out.find("RTM_ADD: Add Route: len 164, pid: 0, seq 0, errno 0, "
                   "flags:<UP,GATEWAY,DONE,STATIC>\n") != std::string::npos);
  CHECK(r.out.find("RTM_DELETE: Delete Route: len 164") != std::string::npos);
  CHECK(r.out.rfind("got message of size 164 on ", 0) == 0);
}
