// hostname: print or set the node's name (BSD hostname(1)); the name is
// umigamed's kern.hostname, the one node information replies carry.
#include "stack/wire/nodeinfo.hpp"
#include "tools/common/inet_addr.hpp"
#include "tools/common/kame_format.hpp"
#include "tools/common/kame_tools.hpp"

namespace umi::tools {

namespace {

constexpr std::string_view prog = "hostname";
constexpr std::string_view oid = "kern.hostname";

std::string usage() {
  return "usage: hostname [-s] [name-of-host]\n";
}

}  // namespace

int run_hostname(std::vector<std::string> args, const tool_env& env) {
  bool json = take_json_flag(args);
  bool shortname = false;
  std::size_t i = 0;
  for (; i < args.size() && args[i].size() > 1 && args[i][0] == '-'; ++i) {
    if (args[i] == "--") {
      ++i;
      break;
    }
    for (std::size_t j = 1; j < args[i].size(); ++j) {
      if (args[i][j] != 's') {
        print_error(prog, env, std::string("illegal option -- ") + args[i][j]);
        env.err << usage();
        return 1;
      }
      shortname = true;
    }
  }
  if (args.size() - i > 1) {
    env.err << usage();
    return 1;
  }
  if (i < args.size() && (env.uid != 0 || !wire::encode_dns_name(args[i]))) {
    print_error(prog, env,
                std::string("sethostname: ") +
                    (env.uid != 0 ? "Operation not permitted" : "Invalid argument"));
    return 1;
  }
  auto client = open_session(prog, env);
  if (!client) return 1;
  if (i < args.size()) {
    auto r = client->call("sysctl_set", {{"name", oid}, {"value", args[i]}});
    if (!r) {
      print_error(prog, env, "sethostname: " + bsd_strerror(r.error().code, r.error().message));
      return 1;
    }
    if (json) env.out << json_line(*r);
    return 0;
  }
  auto r = client->call("sysctl_get", {{"names", boost::json::array{boost::json::value(oid)}}});
  if (!r) {
    print_error(prog, env, "gethostname: " + r.error().message);
    return 1;
  }
  std::string name;
  for (const auto& v : json_array(as_object(*r), "values"))
    if (v.is_object() && json_str(v.get_object(), "name") == oid)
      name = json_str(v.get_object(), "value");
  if (shortname) name = name.substr(0, name.find('.'));
  env.out << (json ? json_line(boost::json::object{{"hostname", name}}) : name + "\n");
  return 0;
}

}  // namespace umi::tools
