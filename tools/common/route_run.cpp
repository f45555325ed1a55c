// route: parse, ask umigamed, print (kame-cli.md §4).
#include <poll.h>

#include <ctime>
#include <deque>

#include "tools/common/inet_addr.hpp"
#include "tools/common/kame_format.hpp"
#include "tools/common/kame_tools.hpp"
#include "tools/common/route_cmd.hpp"
#include "tools/common/route_print.hpp"

namespace umi::tools {

namespace {

constexpr std::string_view prog = "route";

boost::json::value or_null(const std::string& s) {
  return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
}

if_index_map fetch_interfaces(control_client& c) {
  auto r = c.call("interfaces");
  return r ? index_interfaces(*r) : if_index_map{};
}

// KAME's embedded form fe80:2::1 names interface 2: send fe80::1%<name of 2>.
// Without such an interface the text goes as typed (umigamed accepts it too).
std::string unembed(control_client& c, const std::string& addr, if_index_map& ifindex,
                    bool& fetched) {
  auto z = split_embedded_zone(addr);
  if (!z) return addr;
  if (!fetched) {
    ifindex = fetch_interfaces(c);
    fetched = true;
  }
  for (const auto& [name, index] : ifindex)
    if (index == static_cast<std::int64_t>(z->index)) return z->addr + "%" + name;
  return addr;
}

int change(control_client& c, const route_cmd& cmd, bool json, const tool_env& env) {
  if_index_map ifindex;
  bool fetched = false;
  std::string dest = unembed(c, cmd.dest_addr, ifindex, fetched);
  std::string gateway = unembed(c, cmd.gateway_addr, ifindex, fetched);
  boost::json::object args{{"family", cmd.family}, {"dest", dest}, {"prefixlen", cmd.prefixlen}};
  std::string_view op = "route_delete";
  if (cmd.verb == route_verb::remove) {
    if (!gateway.empty()) args["gateway"] = gateway;
  } else {
    op = cmd.verb == route_verb::add ? "route_add" : "route_change";
    args["gateway"] = or_null(gateway);
    args["interface"] = cmd.interface;
    args["ifname"] = or_null(cmd.ifname);
    args["reject"] = cmd.reject;
    args["blackhole"] = cmd.blackhole;
  }
  auto r = c.call(op, std::move(args));
  if (!r) {
    print_error(prog, env, route_write_error(r.error()));
    env.out << format_route_change(cmd.verb_word, cmd.host, cmd.dest, cmd.gateway,
                                   route_error_text(r.error()));
    return 1;
  }
  env.out << (json ? json_line(*r)
                   : format_route_change(cmd.verb_word, cmd.host, cmd.dest, cmd.gateway, ""));
  return 0;
}

int get(control_client& c, const route_cmd& cmd, bool json, const tool_env& env) {
  if_index_map ifindex;
  bool fetched = false;
  std::string dest = unembed(c, cmd.dest_addr, ifindex, fetched);
  auto r = c.call("route_get", {{"family", cmd.family}, {"dest", dest}});
  if (!r) {
    print_error(prog, env, route_write_error(r.error()));
    return 1;
  }
  if (json) {
    env.out << json_line(*r);
    return 0;
  }
  std::string route_to = cmd.family == "inet" && cmd.dest_addr == "0.0.0.0" ? "default" : dest;
  env.out << format_route_get(*r, route_to);
  return 0;
}

int flush(control_client& c, const route_cmd& cmd, bool json, const tool_env& env) {
  boost::json::object args;
  if (!cmd.family.empty()) args["family"] = cmd.family;
  auto r = c.call("route_flush", std::move(args));
  if (!r) {
    print_error(prog, env, route_write_error(r.error()));
    return 1;
  }
  if (json) {
    env.out << json_line(*r);
    return 0;
  }
  if (cmd.quiet) return 0;
  const auto& deleted = json_array(as_object(*r), "deleted");
  bool on_link = false;  // a null gateway prints as link#N: needs the indexes
  for (const auto& d : deleted)
    if (d.is_object() && d.get_object().contains("gateway") &&
        json_str(d.get_object(), "gateway").empty())
      on_link = true;
  if_index_map ifindex = on_link ? fetch_interfaces(c) : if_index_map{};
  for (const auto& d : deleted)
    if (d.is_object()) env.out << format_flush_line(d.get_object(), ifindex);
  return 0;
}

bool interrupted(const tool_env& env) {
  if (env.interrupt_fd < 0) return false;
  pollfd p{env.interrupt_fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

// Prints every `route` event until the connection closes or SIGINT (when main
// installed the self-pipe; otherwise the signal ends the process as in BSD).
int monitor(control_client& c, bool json, const tool_env& env) {
  if_index_map ifindex = fetch_interfaces(c);
  std::deque<control_event> events;
  c.on_event([&events](const control_event& e) { events.push_back(e); });
  auto r = c.call("route_monitor");
  if (!r) {
    print_error(prog, env, r.error().message);
    return 1;
  }
  for (;;) {
    while (!events.empty()) {
      control_event e = std::move(events.front());
      events.pop_front();
      if (e.name != "route") continue;
      env.out << (json ? json_line(e.data)
                       : format_route_message(as_object(e.data), std::time(nullptr), ifindex));
      env.out.flush();
    }
    if (interrupted(env)) return 0;
    pollfd fds[2] = {{c.fd(), POLLIN, 0}, {env.interrupt_fd, POLLIN, 0}};
    int rc = ::poll(fds, env.interrupt_fd >= 0 ? 2 : 1, -1);
    if (rc > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !c.pump(0)) {
      while (!events.empty()) {
        const auto& e = events.front();
        if (e.name == "route")
          env.out << (json ? json_line(e.data)
                           : format_route_message(as_object(e.data), std::time(nullptr), ifindex));
        events.pop_front();
      }
      env.out.flush();
      return 0;
    }
  }
}

}  // namespace

int run_route(std::vector<std::string> args, const tool_env& env) {
  bool json = take_json_flag(args);
  if (env.uid != 0 && route_needs_root(args)) {
    print_error(prog, env, "must be root to alter routing table");
    return ex_noperm;
  }
  auto cmd = parse_route(args);
  if (!cmd) return report_cmd_error(prog, env, cmd.error(), route_usage());
  bool changes = cmd->verb == route_verb::add || cmd->verb == route_verb::remove ||
                 cmd->verb == route_verb::change;
  if ((cmd->test_only || cmd->debug_only) && changes) {
    // -t writes the message to /dev/null, -d never sends it: both "succeed".
    env.out << format_route_change(cmd->verb_word, cmd->host, cmd->dest, cmd->gateway, "");
    return 0;
  }
  if (cmd->debug_only && cmd->verb == route_verb::flush) return 0;
  auto client = open_session(prog, env);
  if (!client) return 1;
  switch (cmd->verb) {
    case route_verb::add:
    case route_verb::remove:
    case route_verb::change:
      return change(*client, *cmd, json, env);
    case route_verb::get:
      return get(*client, *cmd, json, env);
    case route_verb::flush:
      return flush(*client, *cmd, json, env);
    case route_verb::monitor:
      return monitor(*client, json, env);
  }
  return 1;
}

}  // namespace umi::tools
