// ping6: argv grammar, printers (the guide's reply form), the run bookkeeping,
// and runs against a fake daemon that echoes the requests back.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <regex>

#include "fake_daemon.hpp"
#include "tools/common/kame_tools.hpp"
#include "tools/common/ping6_cmd.hpp"
#include "tools/common/ping6_print.hpp"

using namespace umi::tools;
using umi::tools::test::fake_daemon;
using umi::tools::test::fake_reply;

namespace {

ping6_cmd parsed(std::vector<std::string> args) {
  auto c = parse_ping6(args, 0);
  REQUIRE(c);
  return *c;
}

std::string parse_error(std::vector<std::string> args, unsigned uid = 0) {
  auto c = parse_ping6(args, uid);
  REQUIRE_FALSE(c);
  return c.error().show_usage ? "<usage>" : c.error().message;
}

boost::json::object reply_event(const boost::json::object& send, const char* from, long hlim) {
  std::string hex(send.at("payload_hex").as_string());
  return {{"from", from},
          {"ifname", "de0"},
          {"scopeid", 1},
          {"to", "fe80::5254:ff:feda:cb7d"},
          {"seq", send.at("seq")},
          {"hlim", hlim},
          {"len", static_cast<long>(8 + hex.size() / 2)},
          {"payload_hex", hex}};
}

fake_reply send_ok(const boost::json::object& a) {
  fake_reply r;
  r.result = boost::json::object{
      {"src", "fe80::5254:ff:feda:cb7d"}, {"dst", a.at("dst")}, {"ifname", "de0"}};
  return r;
}

}  // namespace

TEST_CASE("ping6 header counts IPv6, ICMPv6 and data bytes", "[tools][ping6]") {
  CHECK(format_ping6_header(8, "fe80::5254:ff:feda:cb7d", "ff02::1") ==
        "PING6(56=40+8+8 bytes) fe80::5254:ff:feda:cb7d --> ff02::1\n");
  CHECK(format_ping6_header(1000, "3ffe:501:4819:1000::1", "3ffe:501:4819:2000::1") ==
        "PING6(1048=40+8+1000 bytes) 3ffe:501:4819:1000::1 --> 3ffe:501:4819:2000::1\n");
}

TEST_CASE("ping6 reply lines follow the guide", "[tools][ping6]") {
  CHECK(format_echo_reply(56, "fe80::5254:ff:feda:cb7d", 0, 64, "", 0.25, false, "") ==
        "56 bytes from fe80::5254:ff:feda:cb7d, icmp_seq=0 hlim=64 time=0.25 ms\n");
  CHECK(format_echo_reply(56, "fe80::2a0:c9ff:fe84:ed6c", 0, 64, "", 1.333, true, "") ==
        "56 bytes from fe80::2a0:c9ff:fe84:ed6c, icmp_seq=0 hlim=64 time=1.333 ms(DUP!)\n");
  CHECK(
      format_echo_reply(56, "3ffe:501:4819:2000:5054:ff:fedb:aa46", 0, 255, "", 1.615, true, "") ==
      "56 bytes from 3ffe:501:4819:2000:5054:ff:fedb:aa46, icmp_seq=0 hlim=255 time=1.615 "
      "ms(DUP!)\n");
  CHECK(format_echo_reply(52, "2001:db8::1", 7, 63, "2001:db8::2", std::nullopt, false, "") ==
        "52 bytes from 2001:db8::1, icmp_seq=7 hlim=63 dst=2001:db8::2\n");
  CHECK(format_echo_reply(60, "2001:db8::1", 1, 64, "", 12.5, false,
                          "\nwrong data byte #9 should be 0x9 but was 0x0") ==
        "60 bytes from 2001:db8::1, icmp_seq=1 hlim=64 time=12.5 ms\n"
        "wrong data byte #9 should be 0x9 but was 0x0\n");
}

TEST_CASE("ping6 statistics use the guide-era wording", "[tools][ping6]") {
  ping6_stats st;
  st.transmitted = 1;
  st.received = 1;
  st.repeats = 4;
  st.timing = true;
  st.tmin = 0.25;
  st.tmax = 1.615;
  st.tsum = 0.25 + 1.333 + 1.459 + 1.538 + 1.615;
  CHECK(format_ping6_summary(st, "ff02::1") ==
        "\n--- ff02::1 ping6 statistics ---\n"
        "1 packets transmitted, 1 packets received, +4 duplicates, 0% packet loss\n"
        "round-trip min/avg/max = 0.250/1.239/1.615 ms\n");
  ping6_stats lost;
  lost.transmitted = 3;
  lost.timing = true;
  CHECK(format_ping6_summary(lost, "2001:db8::9") ==
        "\n--- 2001:db8::9 ping6 statistics ---\n"
        "3 packets transmitted, 0 packets received, 100% packet loss\n");
  ping6_stats third{3, 2, 0, true, 1.0, 3.0, 4.0};
  CHECK(format_ping6_summary(third, "h") ==
        "\n--- h ping6 statistics ---\n"
        "3 packets transmitted, 2 packets received, 33% packet loss\n"
        "round-trip min/avg/max = 1.000/2.000/3.000 ms\n");
}

TEST_CASE("ping6 -v describes ICMPv6 errors as KAME's pr_icmph", "[tools][ping6]") {
  CHECK(format_icmp6_error(104, "2001:db8::1", 1, 3, 0) ==
        "104 bytes from 2001:db8::1: Destination Host Unreachable\n");
  CHECK(format_icmp6_error(104, "2001:db8::1", 1, 0, 0) ==
        "104 bytes from 2001:db8::1: No Route to Destination\n");
  CHECK(format_icmp6_error(104, "2001:db8::1", 1, 9, 0) ==
        "104 bytes from 2001:db8::1: Destination Unreachable, Bad Code: 9\n");
  CHECK(format_icmp6_error(104, "2001:db8::1", 2, 0, 1280) ==
        "104 bytes from 2001:db8::1: Packet too big mtu = 1280\n");
  CHECK(format_icmp6_error(104, "2001:db8::1", 3, 0, 0) ==
        "104 bytes from 2001:db8::1: Time to live exceeded\n");
  CHECK(format_icmp6_error(104, "2001:db8::1", 4, 1, 6) ==
        "104 bytes from 2001:db8::1: Parameter problem: Unknown Nextheader pointer = 0x06\n");
  CHECK(format_icmp6_error(104, "2001:db8::1", 200, 0, 0) ==
        "104 bytes from 2001:db8::1: Bad ICMP type: 200\n");
}

TEST_CASE("ping6 payload is a big-endian timestamp then KAME's fill", "[tools][ping6]") {
  auto cmd = parsed({"-s", "12", "::1"});
  ping6_run_state st(cmd);
  auto p = st.payload(3000000123);  // 3000 s and 123 µs
  CHECK(to_hex(p) ==
        "00000bb80000007b"
        "08090a0b");
  auto pat = parsed({"-s", "13", "-p", "abc", "::1"});
  CHECK(pat.pattern == std::vector<std::uint8_t>{0xab, 0x0c});
  ping6_run_state ps(pat);
  CHECK(to_hex(ps.payload(0)).substr(16) == "ab0cab0cab");
  auto tiny = parsed({"-s", "4", "::1"});
  ping6_run_state ts(tiny);
  CHECK(to_hex(ts.payload(99)) == "00000000");  // no room for a timestamp: no timing
  CHECK_FALSE(ts.stats().timing);
  CHECK(format_pattern(pat.pattern) == "PATTERN: 0xab0c\n");
}

TEST_CASE("ping6 matches replies: RTT, duplicates, data check", "[tools][ping6]") {
  auto cmd = parsed({"ff02::1"});
  ping6_run_state st(cmd);
  CHECK(st.on_sent() == 0);
  std::string hex = to_hex(st.payload(1000000));  // sent at t = 1 s
  boost::json::object ev{{"from", "fe80::5254:ff:feda:cb7d"},
                         {"to", "ff02::1"},
                         {"seq", 0},
                         {"hlim", 64},
                         {"len", 16},
                         {"payload_hex", hex}};
  CHECK(st.on_echo_reply(ev, 1000250) ==
        "56 bytes from fe80::5254:ff:feda:cb7d, icmp_seq=0 hlim=64 time=0.25 ms\n");
  ev["from"] = "fe80::2a0:c9ff:fe84:ed6c";
  CHECK(st.on_echo_reply(ev, 1001333) ==
        "56 bytes from fe80::2a0:c9ff:fe84:ed6c, icmp_seq=0 hlim=64 time=1.333 ms(DUP!)\n");
  CHECK(st.stats().received == 1);
  CHECK(st.stats().repeats == 1);
  CHECK(st.stats().tmax == Approx(1.333));

  auto big = parsed({"-s", "12", "::1"});
  ping6_run_state bs(big);
  bs.on_sent();
  auto data = bs.payload(0);
  data[9] = 0;
  boost::json::object bad{
      {"from", "::1"}, {"seq", 0}, {"hlim", 64}, {"len", 20}, {"payload_hex", to_hex(data)}};
  CHECK(bs.on_echo_reply(bad, 2000) ==
        "60 bytes from ::1, icmp_seq=0 hlim=64 time=2 ms\n"
        "wrong data byte #9 should be 0x9 but was 0x0\n");

  auto quiet = parsed({"-q", "::1"});
  ping6_run_state qs(quiet);
  qs.on_sent();
  CHECK(qs.on_echo_reply(bad, 5).empty());
  CHECK(qs.stats().received == 1);
}

TEST_CASE("ping6 argv: options", "[tools][ping6][argv]") {
  auto c = parsed({"-c", "3", "-i", "0.5", "-I", "ed0", "-s", "100", "-h", "5", "-S", "fe80::1%ed0",
                   "-q", "-v", "-l", "2", "ff02::1"});
  CHECK(c.count == 3);
  CHECK(c.interval_us == 500000);
  CHECK(c.ifname == "ed0");
  CHECK(c.datalen == 100);
  CHECK(c.hoplimit == 5);
  CHECK(c.source == "fe80::1%ed0");
  CHECK(c.quiet);
  CHECK(c.verbose);
  CHECK(c.preload == 2);
  CHECK(c.host == "ff02::1");
  auto joined = parsed({"-c3", "-Ied0", "-nd", "fe80::1%ed0"});
  CHECK(joined.count == 3);
  CHECK(joined.ifname == "ed0");
  CHECK(joined.host == "fe80::1%ed0");
  auto fast = parsed({"-i", "0.001", "::1"});
  CHECK(fast.interval_us == 10000);
  CHECK(fast.warnings == std::vector<std::string>{"too small interval, raised to 0.01"});
}

TEST_CASE("ping6 argv: KAME error messages", "[tools][ping6][argv]") {
  CHECK(parse_error({}) == "<usage>");
  CHECK(parse_error({"-x", "::1"}) == "<usage>");
  CHECK(parse_error({"-c"}) == "<usage>");
  CHECK(parse_error({"-c", "0", "::1"}) == "illegal number of packets -- 0");
  CHECK(parse_error({"-c", "x", "::1"}) == "illegal number of packets -- x");
  CHECK(parse_error({"-h", "256", "::1"}) == "illegal hoplimit -- 256");
  CHECK(parse_error({"-s", "0", "::1"}) == "illegal datalen value -- 0");
  CHECK(parse_error({"-s", "131025", "::1"}) == "datalen value too large, maximum is 131024");
  CHECK(parse_error({"-i", "abc", "::1"}) == "illegal timing interval abc");
  CHECK(parse_error({"-i", "0.5", "::1"}, 1000) ==
        "Operation not permitted: only root may use interval < 1s");
  CHECK(parse_error({"-l", "3", "::1"}, 1000) == "Must be superuser to preload");
  CHECK(parse_error({"-l", "-3", "::1"}) == "illegal preload value -- -3");
  CHECK(parse_error({"-p", "xyz", "::1"}) == "patterns must be specified as hex digits");
  CHECK(parse_error({"-S", "nothere", "::1"}) == "invalid source address: nothere");
  CHECK(parse_error({"-f", "::1"}, 1000) == "Must be superuser to flood ping");
  CHECK(parse_error({"::2", "::1"}) == "intermediate hops (routing headers) are not supported yet");
  CHECK(ping6_usage().rfind("usage: ping6 [-dfHnNqvwW] [-P policy]", 0) == 0);
}

TEST_CASE("ping6 -c 2 against a fake daemon", "[tools][ping6][daemon]") {
  fake_daemon d;
  d.on("ping6_listen", [](const boost::json::object&) { return fake_reply{}; });
  d.on("ping6_send", [](const boost::json::object& a) {
    auto r = send_ok(a);
    r.events.emplace_back("echo_reply", reply_event(a, "fe80::1", 64));
    return r;
  });
  auto r = test::run_tool(&run_ping6, {"-c", "2", "-i", "0.01", "fe80::1%de0"}, d.path());
  CHECK(r.rc == 0);
  CHECK(r.err.empty());
  std::regex expected(
      "PING6\\(56=40\\+8\\+8 bytes\\) fe80::5254:ff:feda:cb7d --> fe80::1\n"
      "56 bytes from fe80::1, icmp_seq=0 hlim=64 time=[0-9.e-]+ ms\n"
      "56 bytes from fe80::1, icmp_seq=1 hlim=64 time=[0-9.e-]+ ms\n"
      "\n--- fe80::1%de0 ping6 statistics ---\n"
      "2 packets transmitted, 2 packets received, 0% packet loss\n"
      "round-trip min/avg/max = [0-9]+\\.[0-9]{3}/[0-9]+\\.[0-9]{3}/[0-9]+\\.[0-9]{3} ms\n");
  CHECK(std::regex_match(r.out, expected));
  INFO(r.out);
  auto listen = d.args_of("ping6_listen");
  REQUIRE(listen.size() == 1);
  CHECK(listen[0].at("ident").to_number<int>() == (::getpid() & 0xffff));
  auto sends = d.args_of("ping6_send");
  REQUIRE(sends.size() == 2);
  CHECK(sends[0].at("dst").as_string() == "fe80::1%de0");
  CHECK(sends[0].at("seq").to_number<int>() == 0);
  CHECK(sends[1].at("seq").to_number<int>() == 1);
  CHECK(sends[0].at("ident") == listen[0].at("ident"));
  CHECK(sends[0].at("payload_hex").as_string().size() == 16);
  CHECK(sends[0].at("ifname").is_null());
  CHECK(sends[0].at("hlim").is_null());
}

TEST_CASE("ping6 to a multicast group marks duplicates", "[tools][ping6][daemon]") {
  fake_daemon d;
  d.on("ping6_listen", [](const boost::json::object&) { return fake_reply{}; });
  d.on("ping6_send", [](const boost::json::object& a) {
    auto r = send_ok(a);
    r.events.emplace_back("echo_reply", reply_event(a, "fe80::5254:ff:feda:cb7d", 64));
    r.events.emplace_back("echo_reply", reply_event(a, "fe80::2a0:c9ff:fe84:ed6c", 64));
    return r;
  });
  auto r = test::run_tool(&run_ping6, {"-c", "1", "-I", "ed0", "ff02::1"}, d.path());
  CHECK(r.rc == 0);
  INFO(r.out);
  CHECK(r.out.rfind("PING6(56=40+8+8 bytes) fe80::5254:ff:feda:cb7d --> ff02::1\n", 0) == 0);
  CHECK(std::regex_search(r.out, std::regex("\n56 bytes from fe80::2a0:c9ff:fe84:ed6c, icmp_seq=0 "
                                            "hlim=64 time=[0-9.e-]+ ms\\(DUP!\\)\n")));
  CHECK(r.out.find("1 packets transmitted, 1 packets received, +1 duplicates, 0% packet loss\n") !=
        std::string::npos);
  CHECK(d.args_of("ping6_send").at(0).at("ifname").as_string() == "ed0");
}

TEST_CASE("ping6 prints statistics on interrupt and exits 1 without replies",
          "[tools][ping6][daemon]") {
  int intr[2];
  REQUIRE(::pipe2(intr, O_CLOEXEC) == 0);
  fake_daemon d;
  int sends = 0;
  d.on("ping6_listen", [](const boost::json::object&) { return fake_reply{}; });
  d.on("ping6_send", [&](const boost::json::object& a) {
    if (++sends == 2) {
      char c = 'i';  // what the SIGINT handler of main.cpp writes
      CHECK(::write(intr[1], &c, 1) == 1);
    }
    return send_ok(a);
  });
  auto r = test::run_tool(&run_ping6, {"-i", "0.01", "2001:db8::9"}, d.path(), 0, intr[0]);
  ::close(intr[0]);
  ::close(intr[1]);
  CHECK(r.rc == 1);
  CHECK(r.out ==
        "PING6(56=40+8+8 bytes) fe80::5254:ff:feda:cb7d --> 2001:db8::9\n"
        "\n--- 2001:db8::9 ping6 statistics ---\n"
        "2 packets transmitted, 0 packets received, 100% packet loss\n");
}

TEST_CASE("ping6 -v shows ICMPv6 errors; -q only header and summary", "[tools][ping6][daemon]") {
  fake_daemon d;
  d.on("ping6_listen", [](const boost::json::object&) { return fake_reply{}; });
  d.on("ping6_send", [](const boost::json::object& a) {
    auto r = send_ok(a);
    r.events.emplace_back(
        "icmp6_error",
        boost::json::object{
            {"from", "2001:db8::ff"}, {"type", 1}, {"code", 3}, {"seq", a.at("seq")}, {"mtu", 0}});
    r.events.emplace_back("echo_reply", reply_event(a, "2001:db8::9", 62));
    return r;
  });
  auto v = test::run_tool(&run_ping6, {"-v", "-c", "1", "2001:db8::9"}, d.path());
  CHECK(v.rc == 0);
  CHECK(v.out.find("\n104 bytes from 2001:db8::ff: Destination Host Unreachable\n"
                   "56 bytes from 2001:db8::9, icmp_seq=0 hlim=62 dst=fe80::5254:ff:feda:cb7d "
                   "time=") != std::string::npos);
  auto q = test::run_tool(&run_ping6, {"-q", "-c", "1", "2001:db8::9"}, d.path());
  CHECK(q.rc == 0);
  CHECK(std::regex_match(q.out, std::regex("PING6\\(56=40\\+8\\+8 bytes\\) [^\n]*\n\n--- "
                                           "2001:db8::9 ping6 statistics ---\n1 packets "
                                           "transmitted, 1 packets received, 0% packet loss\n"
                                           "round-trip [^\n]*\n")));
}

TEST_CASE("ping6 reports a failing first send like KAME's source selection",
          "[tools][ping6][daemon]") {
  fake_daemon d;
  d.on("ping6_listen", [](const boost::json::object&) { return fake_reply{}; });
  d.on("ping6_send", [](const boost::json::object& a) {
    if (!a.at("ifname").is_null()) return fake_reply::error("ENXIO", "no such interface");
    return fake_reply::error("ENETUNREACH", "Network is unreachable");
  });
  auto r = test::run_tool(&run_ping6, {"-c", "1", "2001:db8::9"}, d.path());
  CHECK(r.rc == 1);
  CHECK(r.out.empty());
  CHECK(r.err == "ping6: UDP connect: Network is unreachable\n");
  auto i = test::run_tool(&run_ping6, {"-c", "1", "-I", "zz0", "ff02::1"}, d.path());
  CHECK(i.rc == 1);
  CHECK(i.err == "ping6: zz0: invalid interface name\n");
}

TEST_CASE("ping6 --json prints the send result, events and a summary", "[tools][ping6][daemon]") {
  fake_daemon d;
  d.on("ping6_listen", [](const boost::json::object&) { return fake_reply{}; });
  d.on("ping6_send", [](const boost::json::object& a) {
    auto r = send_ok(a);
    r.events.emplace_back("echo_reply", reply_event(a, "2001:db8::9", 64));
    return r;
  });
  auto r = test::run_tool(&run_ping6, {"--json", "-c", "1", "2001:db8::9"}, d.path());
  CHECK(r.rc == 0);
  std::vector<boost::json::value> lines;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);) lines.push_back(boost::json::parse(l));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].at("src").as_string() == "fe80::5254:ff:feda:cb7d");
  CHECK(lines[1].at("event").as_string() == "echo_reply");
  CHECK(lines[1].at("dup").as_bool() == false);
  CHECK(lines[2].at("transmitted").to_number<int>() == 1);
  CHECK(lines[2].at("received").to_number<int>() == 1);
}
