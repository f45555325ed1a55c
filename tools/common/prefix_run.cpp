// prefix: install, delete and renumber prefixes (kame-cli.md §3). Success
// prints nothing.
#include "tools/common/kame_format.hpp"
#include "tools/common/kame_tools.hpp"
#include "tools/common/prefix_cmd.hpp"

namespace umi::tools {

namespace {

constexpr std::string_view prog = "prefix";

boost::json::value lifetime_json(std::int64_t t) {
  return t == prefix_infinity ? boost::json::value(nullptr) : boost::json::value(t);
}

std::string_view op_word(prefix_op op) {
  switch (op) {
    case prefix_op::add:
      return "add";
    case prefix_op::change:
      return "change";
    default:
      return "setglobal";
  }
}

// The interfaces the command applies to: the named one, or with -a every
// interface (only the up ones with -u, only the down ones with -d).
std::vector<std::string> targets(const prefix_cmd& cmd, const boost::json::value& ifs) {
  std::vector<std::string> names;
  for (const auto& i : json_array(as_object(ifs), "interfaces")) {
    if (!i.is_object()) continue;
    std::string name = json_str(i.get_object(), "name");
    bool up = (json_int(i.get_object(), "flags") & 0x1) != 0;
    if (!cmd.all) {
      if (name == cmd.ifname) names.push_back(name);
      continue;
    }
    if ((cmd.up_only && !up) || (cmd.down_only && up)) continue;
    names.push_back(name);
  }
  return names;
}

}  // namespace

int run_prefix(std::vector<std::string> args, const tool_env& env) {
  bool json = take_json_flag(args);
  std::vector<std::string> words;
  auto cmd = parse_prefix_options(args, words);
  if (!cmd) return report_cmd_error(prog, env, cmd.error(), prefix_usage());
  auto client = open_session(prog, env);
  if (!client) return 1;
  auto& c = *client;
  auto ifs = c.call("interfaces");
  if (!ifs) {
    print_error(prog, env, ifs.error().message);
    return 1;
  }
  auto names = targets(*cmd, *ifs);
  if (!cmd->all && names.empty()) {
    print_error(prog, env, "interface " + cmd->ifname + " does not exist");
    return 1;
  }
  if (auto w = parse_prefix_words(*cmd, words); !w)
    return report_cmd_error(prog, env, w.error(), prefix_usage());
  if (!cmd->have_words) return 0;  // "prefix de0": nothing to do (no status display)
  if (names.empty()) return 0;     // -a -u with every interface down, and so on

  if (cmd->op == prefix_op::set || cmd->op == prefix_op::remove) {
    for (const auto& name : names) {
      boost::json::object a{{"name", name}, {"prefix", cmd->prefix}, {"prefixlen", cmd->prefixlen}};
      if (cmd->op == prefix_op::set) {
        a["vltime"] = lifetime_json(cmd->vltime);
        a["pltime"] = lifetime_json(cmd->pltime);
        a["onlink"] = cmd->onlink;
        a["autonomous"] = cmd->autonomous;
      }
      auto r = c.call(cmd->op == prefix_op::set ? "prefix_set" : "prefix_delete", std::move(a));
      if (!r) {
        if (cmd->all && r.error().code == "EADDRNOTAVAIL") continue;
        print_error(prog, env, prefix_failure(cmd->op, r.error()));
        return 1;
      }
      if (json) env.out << json_line(*r);
    }
    return 0;
  }

  boost::json::object a{
      {"matchpr", cmd->matchpr},
      {"mp_len", cmd->mp_len},
      {"mp_minlen", cmd->mp_minlen},
      {"mp_maxlen", cmd->mp_maxlen},
      {"usepr", cmd->usepr.empty() ? boost::json::value(nullptr) : boost::json::value(cmd->usepr)},
      {"up_uselen", cmd->up_uselen},
      {"up_keeplen", cmd->up_keeplen},
      {"op", op_word(cmd->op)},
      {"vltime", lifetime_json(cmd->vltime)},
      {"pltime", lifetime_json(cmd->pltime)},
      {"onlink", cmd->onlink},
      {"autonomous", cmd->autonomous}};
  if (!cmd->all || cmd->up_only || cmd->down_only) {
    boost::json::array list;
    for (const auto& n : names) list.emplace_back(n);
    a["names"] = std::move(list);
  }
  auto r = c.call("prefix_renumber", std::move(a));
  if (!r) {
    if (cmd->all && r.error().code == "EADDRNOTAVAIL") return 0;  // -a: no match is fine
    print_error(prog, env, prefix_failure(cmd->op, r.error()));
    return 1;
  }
  if (json) env.out << json_line(*r);
  return 0;
}

}  // namespace umi::tools
