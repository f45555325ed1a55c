// netstat: only -s (and -p) for now; the routing table dump needs a FIB op.
#include "tools/common/kame_format.hpp"
#include "tools/common/kame_tools.hpp"
#include "tools/common/netstat_cmd.hpp"
#include "tools/common/netstat_print.hpp"

namespace umi::tools {

int run_netstat(std::vector<std::string> args, const tool_env& env) {
  constexpr std::string_view prog = "netstat";
  bool json = take_json_flag(args);
  auto cmd = parse_netstat(args);
  if (!cmd) {
    if (!cmd.error().message.empty()) print_error(prog, env, cmd.error().message);
    if (cmd.error().show_usage) env.err << netstat_usage();
    return 1;
  }
  if (cmd->mode == netstat_mode::routes) {
    print_error(prog, env, "routing tables are not available yet");
    return 1;
  }
  auto client = open_session(prog, env);
  if (!client) return 1;
  auto r = client->call("stats");
  if (!r) {
    print_error(prog, env, r.error().message);
    return 1;
  }
  if (json) {
    env.out << json_line(*r);
    return 0;
  }
  netstat_view view;
  view.skip_zero = cmd->sflag > 1;
  if (!cmd->protocol.empty()) {
    view.ip6 = cmd->protocol == "ip6";
    view.icmp6 = cmd->protocol == "icmp6";
    view.drops = false;
  }
  env.out << format_stats(*r, view);
  return 0;
}

}  // namespace umi::tools
