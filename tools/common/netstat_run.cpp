// netstat: -s/-p counters, -r routing tables, -i interfaces.
#include "tools/common/kame_format.hpp"
#include "tools/common/kame_tools.hpp"
#include "tools/common/netstat_cmd.hpp"
#include "tools/common/netstat_print.hpp"
#include "tools/common/netstat_route_print.hpp"

namespace umi::tools {

namespace {

constexpr std::string_view prog = "netstat";

int daemon_error(const tool_env& env, const control_error& e) {
  print_error(prog, env, e.message);
  return 1;
}

int routes(control_client& c, const netstat_cmd& cmd, bool json, const tool_env& env) {
  boost::json::object args;
  if (!cmd.family.empty()) args["family"] = cmd.family;
  auto r = c.call("routes", std::move(args));
  if (!r) return daemon_error(env, r.error());
  if (json) {
    env.out << json_line(*r);
    return 0;
  }
  auto ifs = c.call("interfaces");
  netstat_route_view view;
  view.numeric = cmd.numeric;
  view.long_format = cmd.long_format;
  view.all = cmd.all;
  view.family = cmd.family;
  env.out << format_routing_tables(*r, ifs ? index_interfaces(*ifs) : if_index_map{}, view);
  return 0;
}

int interfaces(control_client& c, const netstat_cmd& cmd, bool json, const tool_env& env) {
  auto ifs = c.call("interfaces");
  if (!ifs) return daemon_error(env, ifs.error());
  auto st = c.call("stats");
  if (!st) return daemon_error(env, st.error());
  if (json) {
    env.out << json_line(
        boost::json::object{{"interfaces", json_array(as_object(*ifs), "interfaces")},
                            {"ports", json_array(as_object(*st), "ports")}});
    return 0;
  }
  netstat_if_view view;
  view.numeric = cmd.numeric;
  view.interface = cmd.interface;
  env.out << format_interface_table(*ifs, *st, view);
  return 0;
}

}  // namespace

int run_netstat(std::vector<std::string> args, const tool_env& env) {
  bool json = take_json_flag(args);
  auto cmd = parse_netstat(args);
  if (!cmd) return report_cmd_error(prog, env, cmd.error(), netstat_usage());
  auto client = open_session(prog, env);
  if (!client) return 1;
  if (cmd->mode == netstat_mode::routes) return routes(*client, *cmd, json, env);
  if (cmd->mode == netstat_mode::interfaces) return interfaces(*client, *cmd, json, env);
  auto r = client->call("stats");
  if (!r) return daemon_error(env, r.error());
  if (json) {
    env.out << json_line(*r);
    return 0;
  }
  netstat_view view;
  view.skip_zero = cmd->sflag > 1;
  if (!cmd->protocol.empty()) {
    view.ip = cmd->protocol == "ip";
    view.icmp = cmd->protocol == "icmp";
    view.ip6 = cmd->protocol == "ip6";
    view.icmp6 = cmd->protocol == "icmp6";
    view.drops = false;
  } else if (cmd->family == "inet") {
    view.ip6 = view.icmp6 = view.drops = false;
  } else if (cmd->family == "inet6") {
    view.ip = view.icmp = false;
  }
  env.out << format_stats(*r, view);
  return 0;
}

}  // namespace umi::tools
