// netstat -s: KAME layout from the stats tables; argv; a run against a fake daemon.
#include <catch2/catch.hpp>

#include "fake_daemon.hpp"
#include "stack/control/stats.hpp"
#include "tools/common/kame_tools.hpp"
#include "tools/common/netstat_cmd.hpp"
#include "tools/common/netstat_print.hpp"

using namespace umi::tools;
using umi::tools::test::fake_daemon;
using umi::tools::test::fake_reply;

namespace {

const char* const stats_json = R"({
  "ip6": {"total": 10, "badvers": 1, "delivered": 8, "forward": 2},
  "ip6_in_hist": {"58": 10, "17": 1, "200": 2, "6": 0},
  "icmp6": {"error": 1, "reflect": 3},
  "icmp6_in_hist": {"135": 2, "128": 3},
  "icmp6_out_hist": {"129": 3, "136": 2},
  "drops": [{"stage": "ip6-input", "reason": "bad_version",
             "description": "IPv6 version field is not 6", "count": 1},
            {"stage": "ip6-input", "reason": "too_short",
             "description": "shorter than the IPv6 header", "count": 0}],
  "workers": 1})";

const char* const ip6_text =
    "ip6:\n"
    "\t10 total packets received\n"
    "\t0 with size smaller than minimum\n"
    "\t0 with data size < data length\n"
    "\t0 with bad options\n"
    "\t1 with incorrect version number\n"
    "\t0 fragments received\n"
    "\t0 fragments dropped (dup or out of space)\n"
    "\t0 fragments dropped after timeout\n"
    "\t0 packets reassembled ok\n"
    "\t8 packets for this host\n"
    "\t2 packets forwarded\n"
    "\t0 packets not forwardable\n"
    "\t0 packets sent from this host\n"
    "\t0 output packets dropped due to no bufs, etc.\n"
    "\t0 output packets discarded due to no route\n"
    "\t0 packets that violated scope rules\n"
    "\t0 multicast packets which we don't join\n"
    "\tInput histogram:\n"
    "\t\tUDP: 1\n"
    "\t\tICMP6: 10\n"
    "\t\t#200: 2\n"
    "\t0 packets discarded due to too may headers\n"
    "\t0 packets with an invalid source address\n"
    "\t0 packets with an unknown next header\n";

const char* const icmp6_text =
    "icmp6:\n"
    "\t1 calls to icmp6_error\n"
    "\t0 errors not generated because old message was icmp error\n"
    "\t0 errors not generated because rate limitation\n"
    "\tOutput histogram:\n"
    "\t\techo reply: 3\n"
    "\t\tneighbor advertisement: 2\n"
    "\t0 messages with bad code fields\n"
    "\t0 messages < minimum length\n"
    "\t0 bad checksums\n"
    "\t0 messages with bad length\n"
    "\tInput histogram:\n"
    "\t\techo: 3\n"
    "\t\tneighbor solicitation: 2\n"
    "\t3 message responses generated\n"
    "\t0 neighbor discovery messages with hop limit != 255\n"
    "\t0 neighbor discovery messages with bad options\n"
    "\t0 invalid neighbor discovery messages\n"
    "\t0 neighbor cache entries refused because the cache is full\n"
    "\t0 packets dropped awaiting address resolution\n"
    "\t0 addresses found duplicated by DAD\n"
    "\t0 node information queries refused\n"
    "\t0 node information queries not for this node\n"
    "\t0 node information replies not sent because of rate limitation\n"
    "\t0 bad router solicitation messages\n"
    "\t0 router advertisements inconsistent with ours\n"
    "\t0 router advertisements processed\n"
    "\t0 router advertisements ignored (not accepting RAs)\n"
    "\t0 router advertisements with hop limit != 255\n"
    "\t0 router advertisements from a non-link-local source\n"
    "\t0 router advertisements too short or with a bad code\n"
    "\t0 router advertisements with bad options\n"
    "\t0 prefix options ignored (bad length, scope or lifetimes)\n"
    "\t0 prefixes refused because the prefix list is full\n"
    "\t0 routers refused because the default router list is full\n";

const char* const drops_text =
    "drops by reason:\n"
    "\t1 IPv6 version field is not 6 (ip6-input: bad_version)\n"
    "\t0 shorter than the IPv6 header (ip6-input: too_short)\n";

boost::json::value sample() {
  return boost::json::parse(stats_json);
}

}  // namespace

TEST_CASE("netstat -s prints every ip6 counter and the input histogram", "[tools][netstat]") {
  CHECK(format_ip6_stats(sample().as_object(), false) == ip6_text);
}

TEST_CASE("netstat -s prints icmp6 with both histograms where KAME has them", "[tools][netstat]") {
  CHECK(format_icmp6_stats(sample().as_object(), false) == icmp6_text);
}

TEST_CASE("netstat -s ends with drops by reason", "[tools][netstat]") {
  CHECK(format_drop_stats(sample().as_object(), false) == drops_text);
  CHECK(format_stats(sample(), {}) == std::string(ip6_text) + icmp6_text + drops_text);
}

TEST_CASE("netstat -ss hides zero counters", "[tools][netstat]") {
  CHECK(format_ip6_stats(sample().as_object(), true) ==
        "ip6:\n"
        "\t10 total packets received\n"
        "\t1 with incorrect version number\n"
        "\t8 packets for this host\n"
        "\t2 packets forwarded\n"
        "\tInput histogram:\n"
        "\t\tUDP: 1\n"
        "\t\tICMP6: 10\n"
        "\t\t#200: 2\n");
  CHECK(format_drop_stats(sample().as_object(), true) ==
        "drops by reason:\n\t1 IPv6 version field is not 6 (ip6-input: bad_version)\n");
}

TEST_CASE("netstat -s with an empty result still lists every counter", "[tools][netstat]") {
  auto text = format_ip6_stats(boost::json::object{}, false);
  std::size_t lines = 0;
  for (char c : text) lines += c == '\n';
  CHECK(lines == 1 + umi::stats::ip6_desc.size());  // "ip6:" + one line per counter
  CHECK(text.find("Input histogram") == std::string::npos);
}

TEST_CASE("netstat argv", "[tools][netstat][argv]") {
  auto s = parse_netstat({"-s"});
  REQUIRE(s);
  CHECK(s->mode == netstat_mode::stats);
  CHECK(s->sflag == 1);
  CHECK(parse_netstat({"-ss"})->sflag == 2);
  auto p = parse_netstat({"-s", "-p", "icmp6"});
  REQUIRE(p);
  CHECK(p->protocol == "icmp6");
  CHECK(parse_netstat({"-pip6"})->protocol == "ip6");
  CHECK(parse_netstat({"-s", "-f", "inet6"}));
  CHECK(parse_netstat({"-nr"})->mode == netstat_mode::routes);
  CHECK(parse_netstat({"-i"})->mode == netstat_mode::interfaces);

  CHECK(parse_netstat({}).error().show_usage);
  CHECK(parse_netstat({"-z"}).error().show_usage);
  CHECK(parse_netstat({"-p"}).error().show_usage);
  CHECK(parse_netstat({"-s", "extra"}).error().show_usage);
  CHECK(parse_netstat({"-p", "tcp"}).error().message == "tcp: unknown or uninstrumented protocol");
  CHECK(parse_netstat({"-s", "-f", "ipx"}).error().message ==
        "address family ipx is not supported");
  CHECK(parse_netstat({"-s", "-f", "bogus"}).error().message == "bogus: unknown address family");
}

TEST_CASE("netstat runs against a fake daemon", "[tools][netstat][daemon]") {
  fake_daemon d;
  d.on("stats", [](const boost::json::object&) {
    fake_reply r;
    r.result = sample();
    return r;
  });
  auto all = test::run_tool(&run_netstat, {"-s"}, d.path());
  CHECK(all.rc == 0);
  CHECK(all.out == std::string(ip6_text) + icmp6_text + drops_text);
  auto icmp = test::run_tool(&run_netstat, {"-s", "-p", "icmp6"}, d.path());
  CHECK(icmp.out == icmp6_text);
  auto ip6 = test::run_tool(&run_netstat, {"-p", "ip6"}, d.path());
  CHECK(ip6.out == ip6_text);
  auto json = test::run_tool(&run_netstat, {"-s", "--json"}, d.path());
  CHECK(boost::json::parse(json.out) == sample());
  auto usage = test::run_tool(&run_netstat, {}, d.path());
  CHECK(usage.rc == 1);
  CHECK(usage.err == netstat_usage());
}
