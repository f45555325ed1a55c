#include "tools/common/tool_env.hpp"

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
