#include "tools/common/tool_env.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace umi::tools {

bool take_json_flag(std::vector<std::string>& args) {
  auto it = std::remove(args.begin(), args.end(), std::string("--json"));
  bool found = it != args.end();
  args.erase(it, args.end());
  return found;
}

void print_error(std::string_view prog, const tool_env& env, std::string_view message) {
  env.err << prog << ": " << message << "\n";
  env.err.flush();
}

int report_cmd_error(std::string_view prog, const tool_env& env, const cmd_error& e,
                     std::string_view usage) {
  if (!e.message.empty()) {
    if (e.raw)
      env.err << e.message << "\n";
    else
      env.err << prog << ": " << e.message << "\n";
  }
  if (e.show_usage) env.err << usage;
  env.err.flush();
  return e.status;
}

std::string reverse_name(const tool_env& env, const std::string& numeric) {
  if (env.reverse_lookup) return env.reverse_lookup(numeric);
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* res = nullptr;
  if (getaddrinfo(numeric.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) return "";
  char host[NI_MAXHOST];
  int rc = getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof host, nullptr, 0, NI_NAMEREQD);
  freeaddrinfo(res);
  return rc == 0 ? std::string(host) : std::string();
}

std::optional<control_client> open_session(std::string_view prog, const tool_env& env) {
  auto c = control_client::connect(env.socket_path);
  if (!c) {
    env.err << prog << ": cannot connect to umigamed at " << env.socket_path << ": "
            << std::strerror(c.error()) << " (is umigamed running?)\n";
    env.err.flush();
    return std::nullopt;
  }
  auto h = c->hello(prog);
  if (!h) {
    print_error(prog, env, h.error().message);
    return std::nullopt;
  }
  return std::move(*c);
}

}  // namespace umi::tools
