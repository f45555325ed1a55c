// rtadvd: the command line, rtadvd.conf (termcap syntax, rtadvd's defaults
// and getconfig() errors), and a foreground run against a fake daemon.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "fake_daemon.hpp"
#include "tools/common/kame_tools.hpp"
#include "tools/common/rtadvd_cmd.hpp"

using namespace umi::tools;
using umi::tools::test::fake_daemon;
using umi::tools::test::fake_reply;

namespace {

// getconfig() of `ifname` from the text of an rtadvd.conf.
umi::result<umi::node::rtadv_config, std::string> conf(const std::string& text,
                                                       const std::string& ifname = "ef0") {
  auto f = termcap_file::parse(text);
  if (!f) return umi::unexpected{f.error()};
  auto caps = f->entry(ifname);
  if (!caps) return umi::unexpected{caps.error()};
  std::optional<termcap_entry> e;
  if (*caps) e.emplace(std::move(**caps));
  std::vector<std::string> info;
  return rtadvd_getconfig(ifname, e, info);
}

// The guide's example (kame-cli.md §15).
const char* guide_conf =
    "# rtadvd.conf of the KAME guide\n"
    "default:\\\n"
    "\t:raflags#0:rltime#3600:\\\n"
    "\t:pinfoflags#64:vltime#360000:pltime#360000:mtu#1500:\n"
    "ether:\\\n"
    "\t:mtu#1280:tc=default:\n"
    "ef0:\\\n"
    "\t:addrs#1:addr=\"3ffe:501:4819:1000::\":tc=ether:\n";

}  // namespace

TEST_CASE("rtadvd command line", "[rtadvd]") {
  auto c = parse_rtadvd({"-c", "/tmp/x.conf", "-dfs", "de0", "de1"});
  REQUIRE(c);
  CHECK(c->config == "/tmp/x.conf");
  CHECK(c->debug == 1);
  CHECK(c->foreground);
  CHECK(c->static_prefixes);
  CHECK(c->interfaces == std::vector<std::string>{"de0", "de1"});
  auto d = parse_rtadvd({"-Dc/etc/r.conf", "de0"});
  REQUIRE(d);
  CHECK(d->debug == 2);
  CHECK(d->config == "/etc/r.conf");
  CHECK(parse_rtadvd({"de0"})->config == "/usr/local/v6/etc/rtadvd.conf");
  CHECK(parse_rtadvd({"-f"}).error().show_usage);
  CHECK(parse_rtadvd({"-x", "de0"}).error().message == "illegal option -- x");
  CHECK(parse_rtadvd({"-c"}).error().message == "option requires an argument -- c");
  CHECK(parse_rtadvd({"-m", "de0"}).error().message == "mobile IPv6 (-m) is not supported");
  CHECK(rtadvd_usage() == "usage: rtadvd [-c configfile] [-dDfmRs] interface ...\n");
}

TEST_CASE("the guide's rtadvd.conf: continuation lines, tc= chains, first value wins", "[rtadvd]") {
  auto c = conf(guide_conf);
  REQUIRE(c);
  CHECK(c->mtu == 1280);  // ether's mtu before default's
  CHECK(c->rltime == 3600);
  CHECK(c->raflags == 0);
  CHECK(c->maxinterval == 600);
  CHECK(c->mininterval == 200);
  CHECK(c->chlim == 64);
  REQUIRE(c->prefixes);
  REQUIRE(c->prefixes->size() == 1);
  const auto& p = (*c->prefixes)[0];
  CHECK(p.prefix.to_string() == "3ffe:501:4819:1000::");
  CHECK(p.plen == 64);
  CHECK(p.flags == 64);
  CHECK(p.vltime == 360000);
  CHECK(p.pltime == 360000);
}

TEST_CASE("rtadvd.conf defaults and capability forms", "[rtadvd]") {
  SECTION("no entry: rtadvd's defaults, prefixes from the interface") {
    auto c = conf(guide_conf, "de3");
    REQUIRE(c);
    CHECK(c->maxinterval == 600);
    CHECK(c->mininterval == 200);
    CHECK(c->rltime == 1800);
    CHECK(c->mtu == 0);
    CHECK_FALSE(c->prefixes);
  }
  SECTION("numbers in decimal, octal and hex; letters for flags") {
    auto c = conf(
        "ef0:maxinterval#010:mininterval#0x3:raflags=\"mo\":rltime#0:"
        "addr=\"2001:db8:1::\":pinfoflags=\"l\":prefixlen#48:nolladdr:");
    REQUIRE(c);
    CHECK(c->maxinterval == 8);
    CHECK(c->mininterval == 3);
    CHECK(c->raflags == 0xc0);
    CHECK(c->rltime == 0);
    CHECK(c->nolladdr);
    REQUIRE(c->prefixes->size() == 1);
    CHECK((*c->prefixes)[0].flags == 0x80);
    CHECK((*c->prefixes)[0].plen == 48);
  }
  SECTION("several prefixes: addrs#N with indices, or numbered keys") {
    auto g = conf(
        "ef0:addrs#2:addr0=\"2001:db8:1::\":addr1=\"2001:db8:2::\":vltime1#100:"
        "pltime1#50:");
    REQUIRE(g);
    REQUIRE(g->prefixes->size() == 2);
    CHECK((*g->prefixes)[1].prefix.to_string() == "2001:db8:2::");
    CHECK((*g->prefixes)[1].vltime == 100);
    CHECK((*g->prefixes)[0].vltime == 2592000);
    auto l = conf("ef0:addr=\"2001:db8:1::\":addr3=\"2001:db8:3::\":");
    REQUIRE(l);
    CHECK(l->prefixes->size() == 2);
    auto zero = conf("ef0:addrs#0:");
    REQUIRE(zero);
    CHECK_FALSE(zero->prefixes);
  }
  SECTION("key@ cancels a capability of a tc= entry") {
    auto c = conf("base:mtu#1400:chlim#32:\nef0:mtu@:tc=base:\n");
    REQUIRE(c);
    CHECK(c->mtu == 0);
    CHECK(c->chlim == 32);
  }
  SECTION("aliases and comments") {
    auto c = conf("# comment\n\nether|ef0|ef1:chlim#10:\n", "ef1");
    REQUIRE(c);
    CHECK(c->chlim == 10);
  }
}

TEST_CASE("rtadvd.conf errors are rtadvd's getconfig() messages", "[rtadvd]") {
  auto err = [](const std::string& text) {
    auto c = conf(text);
    REQUIRE_FALSE(c);
    return c.error();
  };
  CHECK(err("ef0:maxinterval#2:") ==
        "<getconfig> maxinterval (2) on ef0 is invalid (must be between 4 and 1800)");
  CHECK(err("ef0:maxinterval#1801:") ==
        "<getconfig> maxinterval (1801) on ef0 is invalid (must be between 4 and 1800)");
  CHECK(err("ef0:maxinterval#4:") ==
        "<getconfig> mininterval (1) on ef0 is invalid (must be between 3 and 3)");
  CHECK(err("ef0:mininterval#500:") ==
        "<getconfig> mininterval (500) on ef0 is invalid (must be between 3 and 450)");
  CHECK(err("ef0:chlim#256:") ==
        "<getconfig> hoplimit (256) on ef0 is invalid (must be between 0 and 255)");
  CHECK(err("ef0:rltime#100:") ==
        "<getconfig> router lifetime (100) on ef0 is invalid (must be 0 or between 600 and 9000)");
  CHECK(err("ef0:rtime#3600001:") ==
        "<getconfig> reachable time (3600001) on ef0 is invalid (must be no greater than 3600000)");
  CHECK(err("ef0:mtu#1000:") ==
        "<getconfig> advertised link mtu (1000) on ef0 is invalid (must be at least 1280)");
  CHECK(err("ef0:chlim#abc:") == "<getconfig> bad number \"abc\" for chlim on ef0");
  CHECK(err("ef0:raflags=\"x\":") == "<getconfig> invalid raflags \"x\" on ef0");
  CHECK(err("ef0:addr=\"2001:db8::zz\":") == "<getconfig> inet_pton failed for 2001:db8::zz");
  CHECK(err("ef0:addr=\"ff02::\":") ==
        "<getconfig> multicast prefix (ff02::) must not be advertised on ef0");
  CHECK(err("ef0:addr=\"2001:db8::\":prefixlen#129:") ==
        "<getconfig> prefixlen (129) for 2001:db8:: on ef0 out of range");
  CHECK(err("ef0:addr=\"2001:db8::\":vltime#4294967296:") ==
        "<getconfig> vltime (4294967296) for 2001:db8::/64 on ef0 is out of range");
  CHECK(err("ef0:addrs#2:addr0=\"2001:db8::\":") ==
        "<getconfig> need addr1 as a prefix for interface ef0");
  CHECK(err("ef0:tc=nowhere:") == "<getconfig> entry ef0: tc=nowhere names no entry");
  CHECK(err("a:tc=ef0:\nef0:tc=a:\n") == "<getconfig> entry ef0: infinite tc= expansion");
  CHECK(err(":chlim#3:\n") == "line 1: entry without a name");
}

TEST_CASE("rtadvd -f starts, prints the daemon's log lines, and stops on a signal", "[rtadvd]") {
  fake_daemon d;
  d.on("rtadvd_start", [](const boost::json::object&) {
    fake_reply r;
    r.result = boost::json::object{{"interfaces", boost::json::array{"de0"}}};
    r.events.emplace_back("rtadvd_log",
                          boost::json::object{{"message", "<ra_input> CurHopLimit inconsistent"}});
    return r;
  });
  d.on("rtadvd_stop", [](const boost::json::object&) {
    fake_reply r;
    r.result = boost::json::object{{"stopped", boost::json::array{"de0"}}};
    return r;
  });
  char path[] = "/tmp/rtadvd-test-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(path) << "de0:maxinterval#10:mininterval#4:chlim#32:addr=\"2001:db8:1::\":\n";
  int sig[2];
  REQUIRE(::pipe(sig) == 0);
  REQUIRE(::write(sig[1], "t", 1) == 1);  // the SIGTERM is already waiting
  auto r = test::run_tool(&run_rtadvd, {"-f", "-c", path, "de0"}, d.path(), 0, sig[0]);
  ::close(sig[0]);
  ::close(sig[1]);
  std::remove(path);
  CHECK(r.rc == 0);
  CHECK(r.err.find("]: <ra_input> CurHopLimit inconsistent\n") != std::string::npos);
  auto starts = d.args_of("rtadvd_start");
  REQUIRE(starts.size() == 1);
  const auto& ifs = starts[0].at("interfaces").as_array();
  REQUIRE(ifs.size() == 1);
  const auto& o = ifs[0].as_object();
  CHECK(o.at("name") == "de0");
  CHECK(o.at("maxinterval") == 10);
  CHECK(o.at("chlim") == 32);
  CHECK(o.at("prefixes").as_array()[0].as_object().at("addr") == "2001:db8:1::");
  CHECK(starts[0].at("follow") == true);
  CHECK(d.args_of("rtadvd_stop").size() == 1);
}

TEST_CASE("rtadvd reports a refusal and a bad file before contacting the daemon", "[rtadvd]") {
  fake_daemon d;
  d.on("rtadvd_start", [](const boost::json::object&) {
    return fake_reply::error("EINVAL", "<getconfig> interface de7 does not exist");
  });
  auto r = test::run_tool(&run_rtadvd, {"-f", "-c", "/nonexistent/rtadvd.conf", "de7"}, d.path());
  CHECK(r.rc == 1);
  CHECK(r.err == "rtadvd: <getconfig> interface de7 does not exist\n");

  auto u = test::run_tool(&run_rtadvd, {"-q", "de0"}, d.path());
  CHECK(u.rc == 1);
  CHECK(u.err ==
        "rtadvd: illegal option -- q\nusage: rtadvd [-c configfile] [-dDfmRs] interface ...\n");
  CHECK(d.args_of("rtadvd_start").size() == 1);
}

TEST_CASE("the SIGUSR1 dump prints rtadvd's per-interface state", "[rtadvd]") {
  const auto status = boost::json::parse(R"({"interfaces": [{
      "name": "de0", "up": true, "lladdr": "2:0:0:0:0:1", "link_mtu": 1500,
      "last_ra_ago_ms": 2500, "next_ra_in_ms": 3000, "waits": 0, "initcount": 3,
      "maxinterval": 4, "mininterval": 3, "chlim": 64, "raflags": 192, "rltime": 1800,
      "rtime": 0, "retrans": 0, "mtu": 1400, "nolladdr": false, "stopping": false,
      "ra_out": 10, "ra_in": 2, "ra_inconsistent": 1, "rs_in": 4, "rs_bad": 0,
      "prefixes": [{"addr": "2001:db8:1::", "prefixlen": 64, "pinfoflags": 192,
                    "vltime": 2592000, "pltime": 604800, "origin": "KERNEL"}]}]})")
                          .as_object();
  std::tm tm{};
  tm.tm_year = 100;
  tm.tm_mon = 0;
  tm.tm_mday = 3;
  tm.tm_hour = 12;
  tm.tm_isdst = -1;
  const std::time_t now = std::mktime(&tm);
  CHECK(format_rtadvd_dump(status, now) ==
        "de0:\n"
        "  Status: UP\n"
        "  Last RA sent: Mon Jan  3 11:59:58 2000\n"
        "  Next RA will be sent: Mon Jan  3 12:00:03 2000\n"
        "  waits: 0, initcount: 3\n"
        "  statistics: RA(out/in/inconsistent): 10/2/1, RS(input/bad): 4/0\n"
        "  Link-layer address: 2:0:0:0:0:1\n"
        "  MTU: 1500\n"
        "  DefaultLifetime: 1800, MaxAdvInterval: 4, MinAdvInterval: 3\n"
        "  Flags: MO, Preference: medium, MTU: 1400\n"
        "  ReachableTime: 0, RetransTimer: 0, CurHopLimit: 64\n"
        "  Prefixes:\n"
        "    2001:db8:1::/64(KERNEL, vltime: 2592000, pltime: 604800, flags: LA)\n");
}
