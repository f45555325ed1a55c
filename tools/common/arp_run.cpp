// arp: IPv4 neighbour cache through umigamed's arp* operations.
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "stack/base/addr.hpp"
#include "tools/common/arp_cmd.hpp"
#include "tools/common/arp_print.hpp"
#include "tools/common/inet_addr.hpp"
#include "tools/common/kame_format.hpp"
#include "tools/common/kame_tools.hpp"

namespace umi::tools {

namespace {

constexpr std::string_view prog = "arp";

// getinetaddr(): inet_aton, then gethostbyname; "%s: Unknown host" otherwise.
std::optional<std::string> inet_host(const std::string& host, const tool_env& env) {
  if (auto a = parse_ip4(host)) return ip4_to_string(*a);
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* res = nullptr;
  if (!host.empty() && getaddrinfo(host.c_str(), nullptr, &hints, &res) == 0 && res != nullptr) {
    auto a = ntohl(reinterpret_cast<const sockaddr_in*>(res->ai_addr)->sin_addr.s_addr);
    freeaddrinfo(res);
    return ip4_to_string(a);
  }
  print_error(prog, env, host + ": Unknown host");
  return std::nullopt;
}

std::function<std::string(const std::string&)> namer(const arp_cmd& cmd, const tool_env& env) {
  if (cmd.numeric) return {};
  return [&env](const std::string& addr) { return reverse_name(env, addr); };
}

int set(control_client& c, const std::string& host, const std::string& ether, bool temp, bool pub,
        const tool_env& env) {
  auto addr = inet_host(host, env);
  if (!addr) return 1;
  auto mac = mac_addr::parse(ether);
  if (!mac) {
    print_error(prog, env, "invalid Ethernet address '" + ether + "'");
    return 1;
  }
  if (pub) {
    print_error(prog, env, "proxy entries are not supported yet");
    return 1;
  }
  auto r = c.call("arp_set", {{"addr", *addr}, {"lladdr", mac->to_string()}, {"temp", temp}});
  if (!r) {
    if (r.error().message.rfind("set: ", 0) == 0) {
      env.err << r.error().message << "\n";
      return 1;
    }
    print_error(prog, env, r.error().message);
    return 1;
  }
  return 0;
}

int remove(control_client& c, const std::string& host, bool json, const tool_env& env) {
  auto addr = inet_host(host, env);
  if (!addr) return 1;
  auto r = c.call("arp_delete", {{"addr", *addr}});
  if (!r) {
    if (r.error().code != "ESRCH") {
      print_error(prog, env, r.error().message);
      return 1;
    }
    env.out << "delete: cannot locate " << host << "\n";
    return 1;
  }
  env.out << (json ? json_line(*r) : format_arp_deleted(host, *addr));
  return 0;
}

int file(control_client& c, const arp_cmd& cmd, const tool_env& env) {
  std::ifstream in(cmd.filename);
  if (!in) {
    print_error(prog, env, "cannot open " + cmd.filename);
    return 1;
  }
  int rv = 0;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; w.size() < 4 && words >> x;) w.push_back(x);
    if (w.size() < 2) {
      print_error(prog, env, "bad line: " + line);
      rv = 1;
      continue;
    }
    bool temp = false, pub = false;
    for (std::size_t k = 2; k < w.size(); ++k) {
      temp = temp || w[k] == "temp";
      pub = pub || w[k] == "pub";
    }
    if (set(c, w[0], w[1], temp, pub, env) != 0) rv = 1;
  }
  return rv;
}

}  // namespace

int run_arp(std::vector<std::string> args, const tool_env& env) {
  bool json = take_json_flag(args);
  auto cmd = parse_arp(args);
  if (!cmd) return report_cmd_error(prog, env, cmd.error(), arp_usage());
  auto client = open_session(prog, env);
  if (!client) return 1;
  auto& c = *client;
  switch (cmd->mode) {
    case arp_mode::dump: {
      auto r = c.call("arp");
      if (!r) {
        print_error(prog, env, r.error().message);
        return 1;
      }
      env.out << (json ? json_line(*r) : format_arp_entries(*r, namer(*cmd, env)));
      return 0;
    }
    case arp_mode::get: {
      auto addr = inet_host(cmd->host, env);
      if (!addr) return 1;
      auto r = c.call("arp", {{"addr", *addr}});
      if (!r && r.error().code != "ESRCH") {
        print_error(prog, env, r.error().message);
        return 1;
      }
      std::string text = r ? format_arp_entries(*r, namer(*cmd, env)) : "";
      if (text.empty()) {
        env.out << format_arp_no_entry(cmd->host, *addr);
        return 1;
      }
      env.out << (json ? json_line(*r) : text);
      return 0;
    }
    case arp_mode::remove:
      return remove(c, cmd->host, json, env);
    case arp_mode::flush: {
      auto r = c.call("arp_flush");
      if (!r) {
        print_error(prog, env, r.error().message);
        return 1;
      }
      if (json) {
        env.out << json_line(*r);
        return 0;
      }
      for (const auto& e : json_array(as_object(*r), "deleted")) {
        std::string a = json_str(as_object(e), "addr");
        env.out << format_arp_deleted(a, a);
      }
      return 0;
    }
    case arp_mode::replace:
      (void)c.call(
          "arp_delete",
          {{"addr", parse_ip4(cmd->host) ? ip4_to_string(*parse_ip4(cmd->host)) : cmd->host}});
      [[fallthrough]];
    case arp_mode::set:
      return set(c, cmd->host, cmd->ether, cmd->temp, cmd->pub, env);
    case arp_mode::file:
      return file(c, *cmd, env);
  }
  return 1;
}

}  // namespace umi::tools
