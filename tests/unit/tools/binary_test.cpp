// The installed shape: the multi-call binary run through its build-dir
// symlinks (build/tools/kame/{ifconfig,ndp,ping6,netstat,route,...}) against a
// fake daemon.
#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>

#include "fake_daemon.hpp"

using umi::tools::test::fake_daemon;
using umi::tools::test::fake_reply;

namespace {

struct proc_output {
  int status = -1;
  std::string out;
  std::string err;
};

std::atomic<pid_t> running_child{0};  // the process run_binary started, for signals

std::string kame_dir() {
  const char* d = std::getenv("UMI_KAME_DIR");
  return d != nullptr ? d : "";
}

// Runs dir/name with args and UMIGAME_SOCKET=socket; collects stdout, stderr, exit status.
proc_output run_binary(const std::string& name, const std::vector<std::string>& args,
                       const std::string& socket) {
  int out[2], err[2];
  REQUIRE(::pipe(out) == 0);
  REQUIRE(::pipe(err) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::close(out[0]);
    ::close(err[0]);
    ::setenv("UMIGAME_SOCKET", socket.c_str(), 1);
    std::string path = kame_dir() + "/" + name;
    std::vector<char*> argv{const_cast<char*>(path.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(path.c_str(), argv.data());
    ::_exit(127);
  }
  running_child = pid;
  ::close(out[1]);
  ::close(err[1]);
  proc_output r;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open = 2;
  while (open > 0) {
    ::poll(fds, 2, -1);
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
        continue;
      }
      (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
    }
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  running_child = 0;
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace

TEST_CASE("build/tools/kame/ndp -a talks to the daemon", "[tools][binary]") {
  if (kame_dir().empty()) {
    WARN("UMI_KAME_DIR not set: run through `meson test`");
    return;
  }
  fake_daemon d;
  d.on("neighbors", [](const boost::json::object&) {
    fake_reply r;
    r.result = boost::json::parse(R"({"neighbors": [{"addr": "fe80::1", "ifname": "de0",
        "scopeid": 1, "lladdr": "02:00:00:00:00:02", "state": "reachable", "expire": 29,
        "router": false, "probes": 0, "static": false}]})");
    return r;
  });
  auto r = run_binary("ndp", {"-a"}, d.path());
  CHECK(r.status == 0);
  CHECK(r.err.empty());
  CHECK(r.out ==
        "Neighbor                        Linklayer Address  Netif Expire    St Flgs Prbs\n"
        "fe80::1%de0                     2:0:0:0:0:2          de0 29s       R      \n");
  REQUIRE(d.requests().size() == 2);
  CHECK(d.requests()[0].args.at("client").as_string() == "ndp");
}

TEST_CASE("every symlink and `umigame-kame TOOL` dispatch", "[tools][binary]") {
  if (kame_dir().empty()) {
    WARN("UMI_KAME_DIR not set: run through `meson test`");
    return;
  }
  std::string dead = umi::tools::test::dead_socket_path();
  auto ifc = run_binary("ifconfig", {"-a"}, dead);
  CHECK(ifc.status == 1);
  CHECK(ifc.err == "ifconfig: cannot connect to umigamed at " + dead +
                       ": No such file or directory (is umigamed running?)\n");
  auto ns = run_binary("netstat", {"-r"}, dead);
  CHECK(ns.status == 1);
  CHECK(ns.err == "netstat: cannot connect to umigamed at " + dead +
                      ": No such file or directory (is umigamed running?)\n");
  auto route = run_binary("route", {"add", "-inet6", "x::y", "::1"}, dead);
  CHECK(route.status == 1);
  CHECK(route.err == "x::y: bad value\n");
  auto bad = run_binary("route", {"frob"}, dead);
  CHECK(bad.status == 64);
  CHECK(bad.err == "route: bad keyword: frob\nusage: route [-dnqtv] command [[modifiers] args]\n");
  auto t6 = run_binary("traceroute6", {"-w", "1", "::1"}, dead);
  CHECK(t6.status == 1);
  CHECK(t6.err == "traceroute6: wait must be >1 sec.\n");
  auto t4 = run_binary("traceroute", {"-m", "0", "192.0.2.1"}, dead);
  CHECK(t4.err == "traceroute: max ttl must be > 0\n");
  for (const char* tool : {"prefix", "sysctl", "arp"}) {
    auto u = run_binary(tool, {}, dead);
    CHECK(u.status == 1);
    CHECK(u.err.find("sage: ") != std::string::npos);
  }
  auto p = run_binary("ping6", {"-c", "0", "::1"}, dead);
  CHECK(p.status == 1);
  CHECK(p.err == "ping6: illegal number of packets -- 0\n");
  auto multi = run_binary("umigame-kame", {"ndp", "-d"}, dead);
  CHECK(multi.status == 1);
  CHECK(multi.out.rfind("usage: ndp hostname\n", 0) == 0);
  auto none = run_binary("umigame-kame", {}, dead);
  CHECK(none.status == 1);
  CHECK(none.err ==
        "usage: umigame-kame ifconfig|ndp|ping6|netstat|route|prefix|sysctl|arp|traceroute6|"
        "traceroute|hostname|rtadvd|rtsol|rtsold [arguments...]\n");
  auto h = run_binary("hostname", {"-x"}, dead);
  CHECK(h.status == 1);
  CHECK(h.err == "hostname: illegal option -- x\nusage: hostname [-s] [name-of-host]\n");
  auto hn = run_binary("hostname", {}, dead);
  CHECK(hn.status == 1);
  CHECK(hn.err.rfind("hostname: cannot connect to umigamed at ", 0) == 0);
}

TEST_CASE("ping6 prints its statistics on SIGINT and exits 0 after replies", "[tools][binary]") {
  if (kame_dir().empty()) {
    WARN("UMI_KAME_DIR not set: run through `meson test`");
    return;
  }
  fake_daemon d;
  int sends = 0;
  d.on("ping6_listen", [](const boost::json::object&) { return fake_reply{}; });
  d.on("ping6_send", [&](const boost::json::object& a) {
    fake_reply r;
    r.result =
        boost::json::object{{"src", "2001:db8::1"}, {"dst", "2001:db8::2"}, {"ifname", "de0"}};
    std::string hex(a.at("payload_hex").as_string());
    r.events.emplace_back("echo_reply", boost::json::object{{"from", "2001:db8::2"},
                                                            {"seq", a.at("seq")},
                                                            {"hlim", 64},
                                                            {"len", 16},
                                                            {"payload_hex", hex}});
    if (++sends == 3 && running_child != 0) ::kill(running_child, SIGINT);
    return r;
  });
  auto r = run_binary("ping6", {"-i", "0.01", "2001:db8::2"}, d.path());
  CHECK(r.status == 0);
  INFO(r.out);
  CHECK(r.out.rfind("PING6(56=40+8+8 bytes) 2001:db8::1 --> 2001:db8::2\n", 0) == 0);
  CHECK(r.out.find("\n--- 2001:db8::2 ping6 statistics ---\n"
                   "3 packets transmitted, 3 packets received, 0% packet loss\n"
                   "round-trip min/avg/max = ") != std::string::npos);
}

TEST_CASE("build/tools/kame/route and sysctl talk to the daemon", "[tools][binary]") {
  if (kame_dir().empty()) {
    WARN("UMI_KAME_DIR not set: run through `meson test`");
    return;
  }
  fake_daemon d;
  d.on("route_add", [](const boost::json::object&) { return fake_reply{}; });
  d.on("sysctl_get", [](const boost::json::object&) {
    fake_reply r;
    r.result = boost::json::parse(R"({"values": [{"name": "net.inet6.ip6.accept_rtadv",
        "value": 0, "type": "int", "writable": true}]})");
    return r;
  });
  d.on("sysctl_set", [](const boost::json::object&) {
    fake_reply r;
    r.result = boost::json::parse(R"({"name": "net.inet6.ip6.accept_rtadv", "old": 0,
        "new": 1})");
    return r;
  });
  if (::getuid() == 0) {
    auto r = run_binary("route", {"add", "-inet6", "default", "fe80::1%de0"}, d.path());
    CHECK(r.status == 0);
    CHECK(r.out == "add net default: gateway fe80::1%de0\n");
  }
  auto s = run_binary("sysctl", {"-w", "net.inet6.ip6.accept_rtadv=1"}, d.path());
  CHECK(s.status == 0);
  CHECK(s.out == "net.inet6.ip6.accept_rtadv: 0 -> 1\n");
}
