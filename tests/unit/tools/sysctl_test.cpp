// sysctl: FreeBSD output forms, argv, and runs against a fake daemon with a
// small table of knobs.
#include <catch2/catch.hpp>

#include <map>

#include "fake_daemon.hpp"
#include "tools/common/kame_tools.hpp"
#include "tools/common/sysctl_cmd.hpp"
#include "tools/common/sysctl_print.hpp"

using namespace umi::tools;
using umi::tools::test::fake_daemon;
using umi::tools::test::fake_reply;

namespace {

struct knob {
  boost::json::value value;
  bool writable;
};

// A fake umigamed sysctl tree: prefix queries, unknown names, read-only knobs.
class sysctl_tree {
 public:
  std::map<std::string, knob> knobs{
      {"net.inet.ip.forwarding", {0, true}},
      {"net.inet6.icmp6.errppslimit", {100, true}},
      {"net.inet6.icmp6.rediraccept", {1, true}},
      {"net.inet6.ip6.accept_rtadv", {0, true}},
      {"net.inet6.ip6.forwarding", {0, true}},
      {"net.inet6.ip6.hlim", {64, true}},
      {"net.inet6.ip6.kame_version", {"SNAP 20000103 umigame", false}},
  };

  fake_reply get(const boost::json::object& a) {
    boost::json::array out;
    auto add = [&out](const std::string& n, const knob& k) {
      out.push_back(boost::json::object{{"name", n},
                                        {"value", k.value},
                                        {"type", k.value.is_string() ? "string" : "int"},
                                        {"writable", k.writable}});
    };
    if (const auto* names = a.if_contains("names")) {
      for (const auto& v : names->as_array()) {
        std::string want(v.as_string());
        std::size_t before = out.size();
        for (const auto& [n, k] : knobs)
          if (n == want || n.rfind(want + ".", 0) == 0) add(n, k);
        if (out.size() == before) return fake_reply::error("ENOENT", "unknown oid '" + want + "'");
      }
    } else {
      for (const auto& [n, k] : knobs) add(n, k);
    }
    fake_reply r;
    r.result = boost::json::object{{"values", out}};
    return r;
  }

  fake_reply set(const boost::json::object& a) {
    std::string name(a.at("name").as_string());
    auto it = knobs.find(name);
    if (it == knobs.end()) return fake_reply::error("ENOENT", "unknown oid '" + name + "'");
    if (!it->second.writable) return fake_reply::error("EPERM", "oid '" + name + "' is read only");
    if (a.at("value").to_number<long>() > 255)
      return fake_reply::error("EINVAL", "Invalid argument");
    fake_reply r;
    r.result =
        boost::json::object{{"name", name}, {"old", it->second.value}, {"new", a.at("value")}};
    it->second.value = a.at("value");
    return r;
  }
};

void serve(fake_daemon& d, sysctl_tree& t) {
  d.on("sysctl_get", [&t](const boost::json::object& a) { return t.get(a); });
  d.on("sysctl_set", [&t](const boost::json::object& a) { return t.set(a); });
}

}  // namespace

TEST_CASE("sysctl prints name: value, -n values, -N names", "[tools][sysctl]") {
  auto r = boost::json::parse(R"({"values": [
      {"name": "net.inet6.ip6.forwarding", "value": 0, "type": "int", "writable": true},
      {"name": "net.inet6.ip6.kame_version", "value": "SNAP 20000103", "type": "string",
       "writable": false}]})");
  CHECK(format_sysctl_values(r, {}) ==
        "net.inet6.ip6.forwarding: 0\nnet.inet6.ip6.kame_version: SNAP 20000103\n");
  sysctl_view n;
  n.numeric = true;
  CHECK(format_sysctl_values(r, n) == "0\nSNAP 20000103\n");
  sysctl_view names;
  names.names_only = true;
  CHECK(format_sysctl_values(r, names) == "net.inet6.ip6.forwarding\nnet.inet6.ip6.kame_version\n");
  auto set = boost::json::parse(R"({"name": "net.inet6.ip6.forwarding", "old": 0, "new": 1})");
  CHECK(format_sysctl_set(set, "net.inet6.ip6.forwarding", {}) ==
        "net.inet6.ip6.forwarding: 0 -> 1\n");
  CHECK(format_sysctl_set(set, "net.inet6.ip6.forwarding", n) == "0 -> 1\n");
}

TEST_CASE("sysctl argv", "[tools][sysctl][argv]") {
  auto r = parse_sysctl({"net.inet6.ip6.forwarding", "net.inet6.icmp6"});
  REQUIRE(r);
  REQUIRE(r->items.size() == 2);
  CHECK_FALSE(r->items[0].write);
  auto w = parse_sysctl({"-w", "net.inet6.ip6.accept_rtadv=1"});
  REQUIRE(w);
  CHECK(w->items.at(0).write);
  CHECK(w->items.at(0).name == "net.inet6.ip6.accept_rtadv");
  CHECK(w->items.at(0).value == "1");
  auto bare = parse_sysctl({"net.inet6.ip6.hlim=255"});
  REQUIRE(bare);
  CHECK(bare->items.at(0).write);
  auto a = parse_sysctl({"-an"});
  REQUIRE(a);
  CHECK(a->all);
  CHECK(a->numeric);
  CHECK(parse_sysctl({"-N", "-A"})->names_only);
  CHECK(parse_sysctl({}).error().show_usage);
  CHECK(parse_sysctl({"-x", "a"}).error().show_usage);
  CHECK(parse_sysctl({"=1"}).error().show_usage);
  CHECK(parse_sysctl({"-n"}).error().show_usage);
}

TEST_CASE("sysctl reads, writes and refuses like FreeBSD", "[tools][sysctl][daemon]") {
  fake_daemon d;
  sysctl_tree tree;
  serve(d, tree);
  auto one = test::run_tool(&run_sysctl, {"net.inet6.ip6.accept_rtadv"}, d.path());
  CHECK(one.rc == 0);
  CHECK(one.out == "net.inet6.ip6.accept_rtadv: 0\n");
  auto node = test::run_tool(&run_sysctl, {"net.inet6.icmp6"}, d.path());
  CHECK(node.out == "net.inet6.icmp6.errppslimit: 100\nnet.inet6.icmp6.rediraccept: 1\n");
  auto n = test::run_tool(&run_sysctl, {"-n", "net.inet6.ip6.hlim"}, d.path());
  CHECK(n.out == "64\n");

  // The guide: sysctl -w net.inet6.ip6.accept_rtadv=1
  auto w = test::run_tool(&run_sysctl, {"-w", "net.inet6.ip6.accept_rtadv=1"}, d.path());
  CHECK(w.rc == 0);
  CHECK(w.out == "net.inet6.ip6.accept_rtadv: 0 -> 1\n");
  CHECK(tree.knobs["net.inet6.ip6.accept_rtadv"].value == 1);
  auto bare = test::run_tool(&run_sysctl, {"net.inet6.ip6.forwarding=1"}, d.path());
  CHECK(bare.out == "net.inet6.ip6.forwarding: 0 -> 1\n");
  auto hex = test::run_tool(&run_sysctl, {"-n", "net.inet6.ip6.hlim=0x40"}, d.path());
  CHECK(hex.out == "64 -> 64\n");
  CHECK(d.args_of("sysctl_set").back().at("value").to_number<int>() == 64);

  auto unknown = test::run_tool(&run_sysctl, {"net.inet6.ip6.bogus"}, d.path());
  CHECK(unknown.rc == 1);
  CHECK(unknown.out.empty());
  CHECK(unknown.err == "sysctl: unknown oid 'net.inet6.ip6.bogus'\n");
  auto wunknown = test::run_tool(&run_sysctl, {"-w", "net.bogus=1"}, d.path());
  CHECK(wunknown.err == "sysctl: unknown oid 'net.bogus'\n");
  auto ro = test::run_tool(&run_sysctl, {"-w", "net.inet6.ip6.kame_version=x"}, d.path());
  CHECK(ro.rc == 1);
  CHECK(ro.err == "sysctl: oid 'net.inet6.ip6.kame_version' is read only\n");
  auto node_w = test::run_tool(&run_sysctl, {"net.inet6.icmp6=1"}, d.path());
  CHECK(node_w.err == "sysctl: oid 'net.inet6.icmp6' isn't a leaf node\n");
  auto notint = test::run_tool(&run_sysctl, {"net.inet6.ip6.hlim=lots"}, d.path());
  CHECK(notint.err == "sysctl: invalid integer 'lots'\n");
  auto range = test::run_tool(&run_sysctl, {"net.inet6.ip6.hlim=300"}, d.path());
  CHECK(range.rc == 1);
  CHECK(range.err == "sysctl: net.inet6.ip6.hlim: Invalid argument\n");
  // The first failure ends the run, as errx() does.
  auto stop = test::run_tool(&run_sysctl, {"net.bogus", "net.inet6.ip6.hlim"}, d.path());
  CHECK(stop.rc == 1);
  CHECK(stop.out.empty());

  auto all = test::run_tool(&run_sysctl, {"-a"}, d.path());
  CHECK(all.rc == 0);
  CHECK(all.out.rfind("net.inet.ip.forwarding: 0\nnet.inet6.icmp6.errppslimit: 100\n", 0) == 0);
  CHECK(all.out.find("net.inet6.ip6.kame_version: SNAP 20000103 umigame\n") != std::string::npos);
  CHECK_FALSE(d.args_of("sysctl_get").back().contains("names"));

  auto usage = test::run_tool(&run_sysctl, {}, d.path());
  CHECK(usage.rc == 1);
  CHECK(usage.err == sysctl_usage());
}

TEST_CASE("sysctl -w as a user gets the daemon's permission error", "[tools][sysctl][daemon]") {
  fake_daemon d;
  sysctl_tree tree;
  serve(d, tree);
  d.on("sysctl_set",
       [](const boost::json::object&) { return fake_reply::error("EPERM", "permission denied"); });
  auto r = test::run_tool(&run_sysctl, {"-w", "net.inet6.ip6.forwarding=1"}, d.path(), 1000);
  CHECK(r.rc == 1);
  CHECK(r.err == "sysctl: net.inet6.ip6.forwarding: Operation not permitted\n");
}
