// sysctl: read and write umigamed's knobs with FreeBSD's sysctl(8) output.
#include <cerrno>
#include <cstdlib>

#include "tools/common/inet_addr.hpp"
#include "tools/common/kame_format.hpp"
#include "tools/common/kame_tools.hpp"
#include "tools/common/sysctl_cmd.hpp"
#include "tools/common/sysctl_print.hpp"

namespace umi::tools {

namespace {

constexpr std::string_view prog = "sysctl";

// errx(1, ...) texts of FreeBSD sysctl for the daemon's answers.
int fail(const tool_env& env, const std::string& name, const control_error& e) {
  if (e.code == "ENOENT")
    print_error(prog, env, "unknown oid '" + name + "'");
  else if (e.code == "EPERM" && e.message.find("read only") != std::string::npos)
    print_error(prog, env, "oid '" + name + "' is read only");
  else if (e.code == "EPERM" || e.code == "EINVAL")
    print_error(prog, env, name + ": " + bsd_strerror(e.code, e.message));
  else
    print_error(prog, env, e.message);
  return 1;
}

int write_one(control_client& c, const sysctl_item& item, const sysctl_view& view, bool json,
              const tool_env& env) {
  auto g = c.call("sysctl_get", {{"names", boost::json::array{boost::json::value(item.name)}}});
  if (!g) return fail(env, item.name, g.error());
  const boost::json::object* entry = nullptr;
  for (const auto& v : json_array(as_object(*g), "values"))
    if (v.is_object() && json_str(v.get_object(), "name") == item.name) entry = &v.get_object();
  if (entry == nullptr) {
    print_error(prog, env, "oid '" + item.name + "' isn't a leaf node");
    return 1;
  }
  if (!json_bool(*entry, "writable", true)) {
    print_error(prog, env, "oid '" + item.name + "' is read only");
    return 1;
  }
  boost::json::value value(item.value);
  if (json_str(*entry, "type", "int") != "string") {
    char* end = nullptr;
    errno = 0;
    long long n = std::strtoll(item.value.c_str(), &end, 0);
    if (item.value.empty() || *end != '\0' || errno != 0) {
      print_error(prog, env, "invalid integer '" + item.value + "'");
      return 1;
    }
    value = n;
  }
  auto r = c.call("sysctl_set", {{"name", item.name}, {"value", value}});
  if (!r) return fail(env, item.name, r.error());
  env.out << (json ? json_line(*r) : format_sysctl_set(*r, item.name, view));
  return 0;
}

}  // namespace

int run_sysctl(std::vector<std::string> args, const tool_env& env) {
  bool json = take_json_flag(args);
  auto cmd = parse_sysctl(args);
  if (!cmd) return report_cmd_error(prog, env, cmd.error(), sysctl_usage());
  auto client = open_session(prog, env);
  if (!client) return 1;
  sysctl_view view;
  view.numeric = cmd->numeric;
  view.names_only = cmd->names_only;
  if (cmd->all) {
    auto r = client->call("sysctl_get");
    if (!r) return fail(env, "", r.error());
    env.out << (json ? json_line(*r) : format_sysctl_values(*r, view));
    return 0;
  }
  for (const auto& item : cmd->items) {
    if (item.write) {
      if (int rc = write_one(*client, item, view, json, env); rc != 0) return rc;
      continue;
    }
    auto r =
        client->call("sysctl_get", {{"names", boost::json::array{boost::json::value(item.name)}}});
    if (!r) return fail(env, item.name, r.error());
    env.out << (json ? json_line(*r) : format_sysctl_values(*r, view));
  }
  return 0;
}

}  // namespace umi::tools
