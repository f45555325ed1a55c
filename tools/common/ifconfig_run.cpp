// ifconfig: parse, ask umigamed, print (kame-cli.md §2).
#include "tools/common/ifconfig_cmd.hpp"
#include "tools/common/ifconfig_print.hpp"
#include "tools/common/kame_format.hpp"
#include "tools/common/kame_tools.hpp"

namespace umi::tools {

namespace {

constexpr std::string_view prog = "ifconfig";

int report(const tool_env& env, const control_error& e, const std::string& ifname) {
  // ENXIO keeps the KAME wording whatever the daemon's text is.
  if (e.code == "ENXIO" && !ifname.empty())
    print_error(prog, env, "interface " + ifname + " does not exist");
  else
    print_error(prog, env, e.message);
  return 1;
}

int configure(control_client& c, const ifconfig_cmd& cmd, bool json, const tool_env& env) {
  boost::json::value last = boost::json::object{};
  if (cmd.up) {
    auto r = c.call("interface_set", {{"name", cmd.ifname}, {"up", *cmd.up}});
    if (!r) return report(env, r.error(), cmd.ifname);
    last = *r;
  }
  if (cmd.addr) {
    const auto& a = *cmd.addr;
    boost::json::object args{{"name", cmd.ifname}};
    if (a.family == "inet") args["family"] = "inet";
    args["addr"] = a.addr;
    if (!a.remove) {
      args["prefixlen"] = a.prefixlen;
      args["alias"] = a.alias;
      if (a.family != "inet") {
        args["anycast"] = a.anycast;
        args["tentative"] = a.tentative;
      }
    }
    auto r = c.call(a.remove ? "addr_del" : "addr_add", std::move(args));
    if (!r) return report(env, r.error(), cmd.ifname);
    last = *r;
  }
  if (json) env.out << json_line(last);
  return 0;
}

}  // namespace

int run_ifconfig(std::vector<std::string> args, const tool_env& env) {
  bool json = take_json_flag(args);
  auto cmd = parse_ifconfig(args);
  if (!cmd) {
    if (!cmd.error().message.empty()) print_error(prog, env, cmd.error().message);
    if (cmd.error().show_usage) env.err << ifconfig_usage();
    return 1;
  }
  auto client = open_session(prog, env);
  if (!client) return 1;
  ifconfig_view view;
  view.lifetimes = cmd->lifetimes;
  view.inet6_only = cmd->af == "inet6";
  view.inet_only = cmd->af == "inet";
  view.only_up = cmd->only_up;
  view.only_down = cmd->only_down;
  switch (cmd->mode) {
    case ifconfig_mode::configure:
      return configure(*client, *cmd, json, env);
    case ifconfig_mode::show_one: {
      auto r = client->call("interfaces", {{"name", cmd->ifname}});
      if (!r) return report(env, r.error(), cmd->ifname);
      env.out << (json ? json_line(*r) : format_interfaces(*r, view));
      return 0;
    }
    case ifconfig_mode::show_all:
    case ifconfig_mode::list_names: {
      auto r = client->call("interfaces");
      if (!r) return report(env, r.error(), "");
      if (json)
        env.out << json_line(*r);
      else if (cmd->mode == ifconfig_mode::show_all)
        env.out << format_interfaces(*r, view);
      else
        env.out << format_interface_names(*r, view);
      return 0;
    }
  }
  return 1;
}

}  // namespace umi::tools
