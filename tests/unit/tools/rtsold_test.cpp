// rtsol / rtsold: the guide-era argv (kame-cli.md §9), the start-up warnings,
// and the foreground log against a fake umigamed.
#include "tools/common/rtsold_cmd.hpp"

#include <catch2/catch.hpp>

#include "tests/unit/tools/fake_daemon.hpp"
#include "tools/common/kame_tools.hpp"

using namespace umi::tools;
using umi::tools::test::fake_daemon;
using umi::tools::test::fake_reply;

namespace {

int rtsol(std::vector<std::string> a, const tool_env& e) {
  return run_rtsold(true, std::move(a), e);
}
int rtsold(std::vector<std::string> a, const tool_env& e) {
  return run_rtsold(false, std::move(a), e);
}

fake_reply sysctls(int accept_rtadv, int forwarding) {
  fake_reply r;
  r.result = boost::json::object{
      {"values",
       boost::json::array{
           boost::json::object{{"name", "net.inet6.ip6.accept_rtadv"}, {"value", accept_rtadv}},
           boost::json::object{{"name", "net.inet6.ip6.forwarding"}, {"value", forwarding}}}}};
  return r;
}

boost::json::value log_event(int prio, const char* func, const char* msg) {
  return boost::json::object{{"priority", prio}, {"func", func}, {"message", msg}};
}

}  // namespace

TEST_CASE("rtsol and rtsold argv", "[tools][rtsold][argv]") {
  auto a = parse_rtsold(true, {"de0", "de1"});
  REQUIRE(a);
  CHECK(a->rtsol);
  CHECK(a->foreground);  // rtsol is rtsold -f1
  CHECK(a->once);
  CHECK_FALSE(a->mobile);
  CHECK(a->interfaces == std::vector<std::string>{"de0", "de1"});
  auto d = parse_rtsold(false, {"-dfm1", "ep0", "cnw0"});
  REQUIRE(d);
  CHECK(d->debug == 1);
  CHECK(d->foreground);
  CHECK(d->mobile);
  CHECK(d->once);
  CHECK(d->interfaces == std::vector<std::string>{"ep0", "cnw0"});
  CHECK(parse_rtsold(false, {"-D", "de0"})->debug == 2);
  CHECK_FALSE(parse_rtsold(false, {"de0"})->foreground);
  CHECK(rtsold_log_upto(*parse_rtsold(false, {"de0"})) == 5);
  CHECK(rtsold_log_upto(*parse_rtsold(false, {"-d", "de0"})) > 7);

  CHECK(parse_rtsold(true, {}).error().show_usage);
  CHECK(parse_rtsold(false, {"-m"}).error().show_usage);
  auto m = parse_rtsold(true, {"-m", "de0"});  // rtsol takes only -d and -D
  REQUIRE_FALSE(m);
  CHECK(m.error().message == "illegal option -- m");
  CHECK(rtsold_usage(true) == "usage: rtsol [-dD] interfaces\n");
  CHECK(rtsold_usage(false) == "usage: rtsold [-dDfm1] interfaces\n");
}

TEST_CASE("rtsol prints usage on stderr and exits 1", "[tools][rtsold]") {
  auto r = test::run_tool(&rtsold, {"-x", "de0"}, test::dead_socket_path());
  CHECK(r.rc == 1);
  CHECK(r.out.empty());
  CHECK(r.err == "rtsold: illegal option -- x\nusage: rtsold [-dDfm1] interfaces\n");
}

TEST_CASE("rtsol solicits, follows the log and exits when the run is done", "[tools][rtsold]") {
  fake_daemon d;
  d.on("sysctl_get", [](const boost::json::object&) { return sysctls(0, 1); });
  d.on("rtsol_start", [](const boost::json::object&) {
    fake_reply r;
    r.result = boost::json::object{{"run", 1}};
    r.events = {{"rtsol_log", log_event(7, "sendpacket", "send RS on de0, whose state is 2")},
                {"rtsol_log", log_event(6, "rtsol_check_timer", "No answer after sending 3 RSs")},
                {"rtsol_done", boost::json::object{}}};
    return r;
  });
  // Without -d only LOG_NOTICE and worse are shown; the warnings always are.
  auto quiet = test::run_tool(&rtsol, {"de0"}, d.path());
  CHECK(quiet.rc == 0);
  CHECK(quiet.out.empty());
  CHECK(quiet.err ==
        "rtsol: kernel is configured not to accept RAs\n"
        "rtsol: kernel is configured as a router, not a host\n");
  auto args = d.args_of("rtsol_start").at(0);
  CHECK(args.at("names") == boost::json::array{"de0"});
  CHECK(args.at("once") == true);
  CHECK(args.at("mobile") == false);
  CHECK(args.at("debug") == 0);

  auto loud = test::run_tool(&rtsol, {"-d", "de0"}, d.path());
  CHECK(loud.rc == 0);
  CHECK(loud.err ==
        "rtsol: kernel is configured not to accept RAs\n"
        "rtsol: kernel is configured as a router, not a host\n"
        "send RS on de0, whose state is 2\n"
        "No answer after sending 3 RSs\n");
}

TEST_CASE("rtsold reports interfaces it cannot use as KAME did", "[tools][rtsold]") {
  fake_daemon d;
  d.on("sysctl_get", [](const boost::json::object&) { return sysctls(1, 0); });
  d.on("rtsol_start", [](const boost::json::object& a) {
    if (a.at("names").as_array().size() == 2)
      return fake_reply::error("EEXIST", "interface de0 was already cofigured");
    return fake_reply::error("ENXIO", "failed to get link layer information for de9");
  });
  auto bad = test::run_tool(&rtsold, {"-f", "de9"}, d.path());
  CHECK(bad.rc == 1);
  CHECK(bad.err ==
        "failed to get link layer information for de9\nrtsold: failed to initilize de9\n");
  auto twice = test::run_tool(&rtsold, {"-f", "de0", "de0"}, d.path());
  CHECK(twice.rc == 1);
  CHECK(twice.err == "interface de0 was already cofigured\nrtsold: failed to initilize de0\n");
}
