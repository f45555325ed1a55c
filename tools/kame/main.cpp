// umigame-kame: the KAME shims as one multi-call binary. Dispatches on the
// name it was called by (ifconfig, ndp, ping6, netstat, route, prefix, sysctl,
// arp, traceroute6, traceroute, hostname, rtadvd, rtsol, rtsold) or, called as
// `umigame-kame TOOL args...`, on
// its first argument.
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "tools/common/kame_tools.hpp"

namespace {

int interrupt_pipe[2] = {-1, -1};

extern "C" void on_sigint(int) {
  if (interrupt_pipe[1] >= 0) {
    char c = 'i';
    [[maybe_unused]] auto n = ::write(interrupt_pipe[1], &c, 1);
  }
}

// ping6 prints its statistics on SIGINT: the handler only writes to a
// self-pipe that the ping6 loop polls beside the control socket.
int install_interrupt_pipe() {
  if (::pipe2(interrupt_pipe, O_CLOEXEC | O_NONBLOCK) < 0) return -1;
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  return interrupt_pipe[0];
}

extern "C" void on_sigusr1(int) {
  if (interrupt_pipe[1] >= 0) {
    char c = 'u';
    [[maybe_unused]] auto n = ::write(interrupt_pipe[1], &c, 1);
  }
}

std::string base_name(const char* path) {
  std::string s = path != nullptr ? path : "";
  auto slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

int dispatch(const std::string& tool, std::vector<std::string> args) {
  umi::tools::tool_env env{std::cout, std::cerr, umi::tools::socket_path_from_env(),
                           static_cast<unsigned>(::getuid()), -1};
  if (tool == "ifconfig") return umi::tools::run_ifconfig(std::move(args), env);
  if (tool == "ndp") return umi::tools::run_ndp(std::move(args), env);
  if (tool == "netstat") return umi::tools::run_netstat(std::move(args), env);
  if (tool == "ping6") {
    env.interrupt_fd = install_interrupt_pipe();
    return umi::tools::run_ping6(std::move(args), env);
  }
  // route monitor, like BSD's, runs until SIGINT ends the process.
  if (tool == "route") return umi::tools::run_route(std::move(args), env);
  if (tool == "prefix") return umi::tools::run_prefix(std::move(args), env);
  if (tool == "sysctl") return umi::tools::run_sysctl(std::move(args), env);
  if (tool == "arp") return umi::tools::run_arp(std::move(args), env);
  if (tool == "traceroute6") return umi::tools::run_traceroute6(std::move(args), env);
  if (tool == "traceroute") return umi::tools::run_traceroute(std::move(args), env);
  if (tool == "hostname") return umi::tools::run_hostname(std::move(args), env);
  if (tool == "rtadvd") {
    // SIGTERM, as SIGINT, ends advertising with the final RAs (KAME die()).
    env.interrupt_fd = install_interrupt_pipe();
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGTERM, &sa, nullptr);
    sa.sa_handler = on_sigusr1;  // state to /var/run/rtadvd.dump
    ::sigaction(SIGUSR1, &sa, nullptr);
    return umi::tools::run_rtadvd(std::move(args), env);
  }
  if (tool == "rtsol" || tool == "rtsold")
    return umi::tools::run_rtsold(tool == "rtsol", std::move(args), env);
  std::cerr << "usage: umigame-kame ifconfig|ndp|ping6|netstat|route|prefix|sysctl|arp|"
               "traceroute6|traceroute|hostname|rtadvd|rtsol|rtsold [arguments...]\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string tool = argc > 0 ? base_name(argv[0]) : "umigame-kame";
  try {
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    if (tool.rfind("umigame-kame", 0) == 0) {
      if (args.empty()) return dispatch("", {});
      tool = args.front();
      args.erase(args.begin());
    }
    return dispatch(tool, std::move(args));
  } catch (const std::exception& e) {
    std::cerr << tool << ": " << e.what() << "\n";
  } catch (...) {
    std::cerr << tool << ": internal error\n";
  }
  return 1;
}
