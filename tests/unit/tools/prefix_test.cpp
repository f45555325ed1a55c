// prefix and ndp -p/-P: the guide's renumbering walk-through against a fake
// daemon, the argv grammar with its errors, and the guide-era prefix list.
#include <catch2/catch.hpp>

#include "fake_daemon.hpp"
#include "tools/common/kame_tools.hpp"
#include "tools/common/ndp_cmd.hpp"
#include "tools/common/ndp_print.hpp"
#include "tools/common/prefix_cmd.hpp"

using namespace umi::tools;
using umi::tools::test::fake_daemon;
using umi::tools::test::fake_reply;

namespace {

prefix_cmd parsed(std::vector<std::string> args) {
  auto c = parse_prefix(args);
  INFO((c ? std::string() : c.error().message));
  REQUIRE(c);
  return *c;
}

cmd_error failed(std::vector<std::string> args) {
  auto c = parse_prefix(args);
  REQUIRE_FALSE(c);
  return c.error();
}

const char* const two_interfaces = R"({"interfaces": [
  {"name": "de0", "index": 1, "flags": 34883, "mtu": 1500},
  {"name": "de1", "index": 2, "flags": 34883, "mtu": 1500},
  {"name": "de2", "index": 3, "flags": 34818, "mtu": 1500}]})";

boost::json::object static_prefix(const char* prefix, const char* ifname) {
  return {{"prefix", prefix},   {"prefixlen", 64},
          {"ifname", ifname},   {"onlink", true},
          {"autonomous", true}, {"vltime", 2592000},
          {"pltime", 604800},   {"expire", nullptr},
          {"origin", "static"}, {"advertising_routers", boost::json::array{}}};
}

}  // namespace

TEST_CASE("ndp -p prints the guide's prefix list", "[tools][ndp][prefix]") {
  boost::json::value list = boost::json::object{
      {"prefixes", boost::json::array{static_prefix("3ffe:501:808:1::", "de0"),
                                      static_prefix("3ffe:501:808:2::", "de1")}}};
  CHECK(format_prefixes(list) ==
        "3ffe:501:808:1::/64 if=de0\n"
        "  flags=LA, vltime=2592000, pltime=604800, expire=Never\n"
        "  No advertising router\n"
        "3ffe:501:808:2::/64 if=de1\n"
        "  flags=LA, vltime=2592000, pltime=604800, expire=Never\n"
        "  No advertising router\n");
  auto ra = boost::json::parse(R"({"prefix": "3ffe:501:4819:2000::", "prefixlen": 64,
      "ifname": "ed0", "onlink": true, "autonomous": true, "vltime": 2592000, "pltime": 604800,
      "expire": 2591998, "origin": "RA", "advertising_routers": ["fe80::5254:ff:fedc:5217%ed0",
      {"addr": "fe80::260:97ff:fec2:80bf"}, "fe80::200:eff:fe49:f929"]})");
  CHECK(format_prefix(ra.as_object()) ==
        "3ffe:501:4819:2000::/64 if=ed0\n"
        "  flags=LA, vltime=2592000, pltime=604800, expire=29d23h59m58s\n"
        "  advertised by\n"
        "    fe80::5254:ff:fedc:5217\n"
        "    fe80::260:97ff:fec2:80bf\n"
        "    fe80::200:eff:fe49:f929\n");
  // What umigamed reports for a prefix learned from radvd: the router's
  // neighbour state follows each address (guide-era 2000 ndp).
  auto learned = boost::json::parse(R"({"prefix": "2001:db8:1::", "prefixlen": 64,
      "ifname": "de0", "onlink": true, "autonomous": true, "vltime": 86400, "pltime": 0,
      "expire": 7199, "origin": "RA", "advertising_routers": [
      {"addr": "fe80::1", "ifname": "de0", "state": "reachable"},
      {"addr": "fe80::2", "ifname": "de0", "state": "unreachable"},
      {"addr": "fe80::3", "ifname": "de0", "state": "none"}]})");
  CHECK(format_prefix(learned.as_object()) ==
        "2001:db8:1::/64 if=de0\n"
        "  flags=LA, vltime=86400, pltime=0, expire=1h59m59s\n"
        "  advertised by\n"
        "    fe80::1 (reachable)\n"
        "    fe80::2 (unreachable)\n"
        "    fe80::3 (no neighbor state)\n");
  auto odd = boost::json::parse(R"({"prefix": "2001:db8::", "prefixlen": 48, "ifname": "de0",
      "onlink": false, "autonomous": true, "vltime": null, "pltime": null, "expire": 0})");
  CHECK(format_prefix(odd.as_object()) ==
        "2001:db8::/48 if=de0\n"
        "  flags=A, vltime=infinity, pltime=infinity, expired\n"
        "  No advertising router\n");
}

TEST_CASE("prefix argv: set and delete", "[tools][prefix][argv]") {
  auto s = parsed({"de0", "3ffe:501:808:1::"});
  CHECK(s.ifname == "de0");
  CHECK(s.op == prefix_op::set);
  CHECK(s.prefix == "3ffe:501:808:1::");
  CHECK(s.prefixlen == 64);
  CHECK(s.vltime == 2592000);
  CHECK(s.pltime == 604800);
  CHECK(s.onlink);
  CHECK(s.autonomous);
  auto d = parsed({"de0", "2001:db8::", "prefixlen", "48", "vltime", "infinity", "pltime",
                   "d01h02m03s04", "-raf_auto", "delete"});
  CHECK(d.op == prefix_op::remove);
  CHECK(d.prefixlen == 48);
  CHECK(d.vltime == prefix_infinity);
  CHECK(d.pltime == 86400 + 2 * 3600 + 3 * 60 + 4);
  CHECK_FALSE(d.autonomous);
  CHECK(parsed({"de0", "2001:db8::", "vltime", "3600"}).vltime == 3600);
  CHECK(parsed({"de0", "2001:db8::", "vltime", "4294967295"}).vltime == prefix_infinity);
  CHECK_FALSE(parsed({"de0"}).have_words);
}

TEST_CASE("prefix argv: renumbering as in the guide", "[tools][prefix][argv]") {
  auto g = parsed({"-a", "matchpr", "3ffe:501:808::", "mp_len", "48", "usepr",
                   "3ffe:501:4819::", "up_uselen", "48", "change"});
  CHECK(g.all);
  CHECK(g.op == prefix_op::change);
  CHECK(g.matchpr == "3ffe:501:808::");
  CHECK(g.mp_len == 48);
  CHECK(g.mp_minlen == 0);
  CHECK(g.mp_maxlen == 128);
  CHECK(g.usepr == "3ffe:501:4819::");
  CHECK(g.up_uselen == 48);
  CHECK(g.up_keeplen == 16);  // uselen + keeplen = 64
  auto add = parsed({"de0", "matchpr", "2001:db8::", "mp_len", "32"});
  CHECK(add.op == prefix_op::add);  // matchpr turns the default set into add
  CHECK(add.usepr.empty());
  CHECK(add.up_uselen == 0);  // no use prefix: nothing is added
  auto keep = parsed({"-a", "-u", "matchpr", "2001:db8::", "mp_len", "32", "usepr",
                      "2001:db9::", "up_keeplen", "8", "setglobal"});
  CHECK(keep.up_only);
  CHECK(keep.op == prefix_op::setglobal);
  CHECK(keep.up_uselen == 64);  // usepr without up_uselen
  CHECK(keep.up_keeplen == 8);
}

TEST_CASE("prefix argv: KAME's messages", "[tools][prefix][argv]") {
  CHECK(failed({}).show_usage);
  CHECK(failed({"-a", "-d", "-u"}).show_usage);
  CHECK(failed({"-x", "de0"}).show_usage);
  CHECK(failed({"de0", "set"}).show_usage);               // set without a prefix
  CHECK(failed({"de0", "3ffe::", "change"}).show_usage);  // change without matchpr
  CHECK(failed({"de0", "3ffe::zz"}).message == "3ffe::zz: bad value");
  CHECK(failed({"de0", "3ffe::", "prefixlen", "129"}).message == "129: bad value");
  CHECK(failed({"de0", "3ffe::", "prefixlen"}).message == "'prefixlen' requires argument");
  CHECK(failed({"de0", "matchpr", "3ffe::", "mp_len", "x"}).message == "x: bad value");
  CHECK(failed({"de0", "3ffe::", "vltime", "soon"}).message.rfind("wrong time format", 0) == 0);
  std::string words;
  for (const auto& k : prefix_keywords()) words += std::string(k.word) + " ";
  CHECK(words ==
        "set delete prefixlen add change setglobal matchpr usepr mp_len mp_minlen mp_maxlen "
        "up_uselen up_keeplen vltime pltime raf_onlink -raf_onlink raf_auto -raf_auto "
        "rrf_decrvalid -rrf_decrvalid rrf_decrprefd -rrf_decrprefd ");
}

TEST_CASE("the guide's prefix walk-through against a fake daemon", "[tools][prefix][daemon]") {
  fake_daemon d;
  boost::json::array prefixes;
  d.on("interfaces", [](const boost::json::object&) {
    fake_reply r;
    r.result = boost::json::parse(two_interfaces);
    return r;
  });
  d.on("prefix_set", [&prefixes](const boost::json::object& a) {
    std::string name(a.at("name").as_string());
    prefixes.push_back(static_prefix(a.at("prefix").as_string().c_str(), name.c_str()));
    return fake_reply{};
  });
  d.on("prefixes", [&prefixes](const boost::json::object&) {
    fake_reply r;
    r.result = boost::json::object{{"prefixes", prefixes}};
    return r;
  });
  d.on("prefix_renumber", [&prefixes](const boost::json::object& a) {
    if (a.at("matchpr").as_string() != "3ffe:501:808::")
      return fake_reply::error("EADDRNOTAVAIL", "Can't assign requested address");
    boost::json::array renumbered;
    for (auto& p : prefixes) {
      auto& o = p.as_object();
      std::string from(o["prefix"].as_string());
      std::string to = "3ffe:501:4819" + from.substr(std::string("3ffe:501:808").size());
      o["prefix"] = to;
      renumbered.push_back(
          boost::json::object{{"ifname", o["ifname"]}, {"from", from}, {"to", to}});
    }
    fake_reply r;
    r.result = boost::json::object{{"renumbered", renumbered}};
    return r;
  });

  auto set0 = test::run_tool(&run_prefix, {"de0", "3ffe:501:808:1::"}, d.path());
  CHECK(set0.rc == 0);
  CHECK(set0.out.empty());
  CHECK(set0.err.empty());
  auto a = d.args_of("prefix_set").at(0);
  CHECK(a.at("name").as_string() == "de0");
  CHECK(a.at("prefix").as_string() == "3ffe:501:808:1::");
  CHECK(a.at("prefixlen").to_number<int>() == 64);
  CHECK(a.at("vltime").to_number<int>() == 2592000);
  CHECK(a.at("pltime").to_number<int>() == 604800);
  CHECK(a.at("onlink").as_bool());
  CHECK(a.at("autonomous").as_bool());
  CHECK(test::run_tool(&run_prefix, {"de1", "3ffe:501:808:2::"}, d.path()).rc == 0);

  auto before = test::run_tool(&run_ndp, {"-p"}, d.path());
  CHECK(before.rc == 0);
  CHECK(before.out ==
        "3ffe:501:808:1::/64 if=de0\n"
        "  flags=LA, vltime=2592000, pltime=604800, expire=Never\n"
        "  No advertising router\n"
        "3ffe:501:808:2::/64 if=de1\n"
        "  flags=LA, vltime=2592000, pltime=604800, expire=Never\n"
        "  No advertising router\n");

  auto change = test::run_tool(&run_prefix,
                               {"-a", "matchpr", "3ffe:501:808::", "mp_len", "48", "usepr",
                                "3ffe:501:4819::", "up_uselen", "48", "change"},
                               d.path());
  CHECK(change.rc == 0);
  CHECK(change.out.empty());
  auto rr = d.args_of("prefix_renumber").at(0);
  CHECK_FALSE(rr.contains("names"));  // -a: every interface
  CHECK(rr.at("op").as_string() == "change");
  CHECK(rr.at("mp_len").to_number<int>() == 48);
  CHECK(rr.at("up_uselen").to_number<int>() == 48);
  CHECK(rr.at("up_keeplen").to_number<int>() == 16);
  CHECK(rr.at("usepr").as_string() == "3ffe:501:4819::");

  auto after = test::run_tool(&run_ndp, {"-p"}, d.path());
  CHECK(after.out ==
        "3ffe:501:4819:1::/64 if=de0\n"
        "  flags=LA, vltime=2592000, pltime=604800, expire=Never\n"
        "  No advertising router\n"
        "3ffe:501:4819:2::/64 if=de1\n"
        "  flags=LA, vltime=2592000, pltime=604800, expire=Never\n"
        "  No advertising router\n");

  // No match: silent with -a, SIOCCIFPREFIX_IN6's error for one interface.
  auto quiet = test::run_tool(
      &run_prefix, {"-a", "matchpr", "2001:db8::", "mp_len", "32", "usepr", "2001:db9::", "change"},
      d.path());
  CHECK(quiet.rc == 0);
  CHECK(quiet.err.empty());
  auto loud = test::run_tool(
      &run_prefix,
      {"de0", "matchpr", "2001:db8::", "mp_len", "32", "usepr", "2001:db9::", "change"}, d.path());
  CHECK(loud.rc == 1);
  CHECK(loud.err == "prefix: SIOCCIFPREFIX_IN6 failed: Can't assign requested address\n");
  CHECK(d.args_of("prefix_renumber").back().at("names").as_array() == boost::json::array{"de0"});
  // -u leaves the down de2 out.
  (void)test::run_tool(&run_prefix,
                       {"-a", "-u", "matchpr", "3ffe:501:4819::", "mp_len", "48", "add"}, d.path());
  CHECK(d.args_of("prefix_renumber").back().at("names").as_array() ==
        (boost::json::array{"de0", "de1"}));
}

TEST_CASE("prefix errors against a fake daemon", "[tools][prefix][daemon]") {
  fake_daemon d;
  d.on("interfaces", [](const boost::json::object&) {
    fake_reply r;
    r.result = boost::json::parse(two_interfaces);
    return r;
  });
  d.on("prefix_set",
       [](const boost::json::object&) { return fake_reply::error("EPERM", "permission denied"); });
  d.on("prefix_delete", [](const boost::json::object&) {
    return fake_reply::error("ENXIO", "interface de0 does not exist");
  });
  auto nodev = test::run_tool(&run_prefix, {"de9", "3ffe:501:808:1::"}, d.path());
  CHECK(nodev.rc == 1);
  CHECK(nodev.err == "prefix: interface de9 does not exist\n");
  // The interface is looked up before the words are.
  auto first = test::run_tool(&run_prefix, {"de9", "bogus"}, d.path());
  CHECK(first.err == "prefix: interface de9 does not exist\n");
  auto bad = test::run_tool(&run_prefix, {"de0", "bogus"}, d.path());
  CHECK(bad.err == "prefix: bogus: bad value\n");
  auto perm = test::run_tool(&run_prefix, {"de0", "3ffe:501:808:1::"}, d.path(), 1000);
  CHECK(perm.rc == 1);
  CHECK(perm.err == "prefix: SIOCSIFPREFIX_IN6 failed: permission denied\n");
  auto gone = test::run_tool(&run_prefix, {"de0", "3ffe:501:808:1::", "delete"}, d.path());
  CHECK(gone.err == "prefix: SIOCDIFPREFIX_IN6 failed: no such interface\n");
  auto usage = test::run_tool(&run_prefix, {}, d.path());
  CHECK(usage.rc == 1);
  CHECK(usage.err == prefix_usage());
  auto nothing = test::run_tool(&run_prefix, {"de0"}, d.path());
  CHECK(nothing.rc == 0);
  CHECK(d.args_of("prefix_set").size() == 1);
}

TEST_CASE("ndp -P deletes every prefix", "[tools][ndp][prefix][daemon]") {
  CHECK(parse_ndp({"-P"})->mode == ndp_mode::prefix_flush);
  CHECK(parse_ndp({"-p"})->mode == ndp_mode::prefixes);
  fake_daemon d;
  d.on("prefixes", [](const boost::json::object&) {
    fake_reply r;
    r.result =
        boost::json::object{{"prefixes", boost::json::array{static_prefix("2001:db8:1::", "de0"),
                                                            static_prefix("2001:db8:2::", "de1")}}};
    return r;
  });
  d.on("prefix_delete", [](const boost::json::object&) { return fake_reply{}; });
  auto r = test::run_tool(&run_ndp, {"-P"}, d.path());
  CHECK(r.rc == 0);
  CHECK(r.out.empty());
  auto del = d.args_of("prefix_delete");
  REQUIRE(del.size() == 2);
  CHECK(del[1].at("name").as_string() == "de1");
  CHECK(del[1].at("prefix").as_string() == "2001:db8:2::");
  CHECK(del[1].at("prefixlen").to_number<int>() == 64);
  d.on("prefix_delete",
       [](const boost::json::object&) { return fake_reply::error("EPERM", "permission denied"); });
  auto perm = test::run_tool(&run_ndp, {"-P"}, d.path(), 1000);
  CHECK(perm.rc == 1);
  CHECK(perm.err == "ndp: ioctl(SIOCSPFXFLUSH_IN6): Operation not permitted\n");
}
