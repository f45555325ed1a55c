// ndp: parse, ask umigamed, print (kame-cli.md §6).
#include <sys/time.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "stack/base/addr.hpp"
#include "tools/common/inet_addr.hpp"
#include "tools/common/kame_format.hpp"
#include "tools/common/kame_tools.hpp"
#include "tools/common/ndp_cmd.hpp"
#include "tools/common/ndp_print.hpp"

namespace umi::tools {

namespace {

constexpr std::string_view prog = "ndp";

int daemon_error(const tool_env& env, const control_error& e) {
  print_error(prog, env, e.message);
  return 1;
}

ndp_view view_of(const ndp_cmd& cmd) {
  ndp_view v;
  v.long_addr = cmd.long_addr;
  v.header = !cmd.timestamps;
  if (cmd.timestamps) {
    timeval tv{};
    gettimeofday(&tv, nullptr);
    v.timestamp = ndp_timestamp(tv.tv_sec, tv.tv_usec);
  }
  return v;
}

int dump(control_client& c, const ndp_cmd& cmd, bool json, const tool_env& env) {
  for (;;) {
    auto r = c.call("neighbors");
    if (!r) return daemon_error(env, r.error());
    env.out << (json ? json_line(*r) : format_neighbors(*r, view_of(cmd), true));
    env.out.flush();
    if (cmd.repeat == 0) return 0;
    env.out << "\n";
    env.out.flush();
    ::sleep(static_cast<unsigned>(cmd.repeat));
  }
}

int get(control_client& c, const ndp_cmd& cmd, bool json, const tool_env& env) {
  std::string gai;
  auto h = resolve_host(cmd.host, gai);
  if (!h) {
    print_error(prog, env, cmd.host + ": " + gai);
    return 1;
  }
  auto r = c.call("neighbors", {{"addr", h->numeric()}});
  if (!r && r.error().code != "ESRCH") return daemon_error(env, r.error());
  if (r && !json_array(as_object(*r), "neighbors").empty()) {
    env.out << (json ? json_line(*r) : format_neighbors(*r, view_of(cmd), false));
    return 0;
  }
  env.out << format_no_entry(cmd.host, h->numeric());
  return 1;
}

int remove(control_client& c, const ndp_cmd& cmd, bool json, const tool_env& env) {
  std::string gai;
  auto h = resolve_host(cmd.host, gai);
  if (!h) {
    print_error(prog, env, cmd.host + ": " + gai);
    return 1;
  }
  auto r = c.call("neighbor_del", {{"addr", h->numeric()}});
  if (!r) {
    if (r.error().code != "ESRCH") return daemon_error(env, r.error());
    env.out << "cannot locate " << cmd.host << "\n";  // KAME prints this on stdout
    return 1;
  }
  if (json) {
    env.out << json_line(*r);
    return 0;
  }
  const auto& o = as_object(*r);
  boost::json::object n{{"addr", json_str(o, "addr", h->addr)},
                        {"ifname", json_str(o, "ifname", h->zone)}};
  env.out << format_deleted(cmd.host, ndp_neighbor_addr(n));
  return 0;
}

// KAME set(): returns 0 on success, 1 after printing why not.
int set(control_client& c, const std::string& host, const std::string& lladdr, bool temp,
        bool proxy, const tool_env& env) {
  std::string gai;
  auto h = resolve_host(host, gai);
  if (!h) {
    print_error(prog, env, host + ": " + gai);
    return 1;
  }
  auto mac = mac_addr::parse(lladdr);
  if (!mac) {
    print_error(prog, env, "invalid Ethernet address '" + lladdr + "'");
    return 1;
  }
  if (proxy) {
    print_error(prog, env, "proxy entries are not supported yet");
    return 1;
  }
  boost::json::object args{{"addr", h->numeric()}, {"lladdr", mac->to_string()}, {"temp", temp}};
  if (!h->zone.empty()) args["name"] = h->zone;
  auto r = c.call("neighbor_set", std::move(args));
  if (!r) {
    // KAME prints "set: cannot configure a new entry" without the program name.
    if (r.error().code == "EINVAL" && r.error().message.rfind("set: ", 0) == 0) {
      env.err << r.error().message << "\n";
      return 1;
    }
    return daemon_error(env, r.error());
  }
  return 0;
}

int file(control_client& c, const ndp_cmd& cmd, const tool_env& env) {
  std::ifstream in(cmd.filename);
  if (!in) {
    env.err << "ndp: cannot open " << cmd.filename << "\n";
    return 1;
  }
  int rv = 0;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; w.size() < 5 && words >> x;) w.push_back(x);
    if (w.size() < 2) {
      env.err << "ndp: bad line: " << line << "\n";
      rv = 1;
      continue;
    }
    bool temp = false, proxy = false;
    for (std::size_t k = 2; k < w.size(); ++k) {
      temp = temp || w[k].rfind("temp", 0) == 0;
      proxy = proxy || w[k].rfind("proxy", 0) == 0;
    }
    if (set(c, w[0], w[1], temp, proxy, env) != 0) rv = 1;
  }
  return rv;
}

int ifinfo(control_client& c, const ndp_cmd& cmd, bool json, const tool_env& env) {
  if (!cmd.if_flags.empty()) {
    print_error(prog, env, "setting ND interface flags is not supported yet");
    return 1;
  }
  auto r = c.call("interfaces", {{"name", cmd.ifname}});
  if (!r) return daemon_error(env, r.error());
  if (json) {
    env.out << json_line(*r);
    return 0;
  }
  const auto& list = json_array(as_object(*r), "interfaces");
  std::string text = list.empty() ? "" : format_ifinfo(as_object(list.front()));
  if (text.empty()) {
    print_error(prog, env, cmd.ifname + ": not initialized yet");
    return 1;
  }
  env.out << text;
  return 0;
}

// err(1, "ioctl(SIOC...)"): "ndp: ioctl(SIOCGPRLST_IN6): <strerror>".
int ioctl_error(const tool_env& env, std::string_view ioctl, const control_error& e) {
  print_error(prog, env, "ioctl(" + std::string(ioctl) + "): " + bsd_strerror(e.code, e.message));
  return 1;
}

// ndp -P (SIOCSPFXFLUSH_IN6): every prefix goes; nothing is printed.
int prefix_flush(control_client& c, bool json, const tool_env& env) {
  auto r = c.call("prefixes");
  if (!r) return ioctl_error(env, "SIOCSPFXFLUSH_IN6", r.error());
  boost::json::array deleted;
  for (const auto& p : json_array(as_object(*r), "prefixes")) {
    if (!p.is_object()) continue;
    const auto& o = p.get_object();
    auto d = c.call("prefix_delete", {{"name", json_str(o, "ifname")},
                                      {"prefix", json_str(o, "prefix")},
                                      {"prefixlen", json_int(o, "prefixlen")}});
    if (!d) return ioctl_error(env, "SIOCSPFXFLUSH_IN6", d.error());
    deleted.push_back(p);
  }
  if (json) env.out << json_line(boost::json::object{{"deleted", std::move(deleted)}});
  return 0;
}

}  // namespace

int run_ndp(std::vector<std::string> args, const tool_env& env) {
  bool json = take_json_flag(args);
  auto cmd = parse_ndp(args);
  if (!cmd) {
    env.out << ndp_usage();  // KAME ndp prints its usage on stdout
    return 1;
  }
  if (cmd->mode == ndp_mode::unsupported) {
    print_error(prog, env, "not supported yet");
    return 1;
  }
  if (cmd->mode == ndp_mode::default_if && !cmd->ifname.empty()) {
    print_error(prog, env, "not supported yet");
    return 1;
  }
  auto client = open_session(prog, env);
  if (!client) return 1;
  auto& c = *client;
  switch (cmd->mode) {
    case ndp_mode::dump:
      return dump(c, *cmd, json, env);
    case ndp_mode::get:
      return get(c, *cmd, json, env);
    case ndp_mode::remove:
      return remove(c, *cmd, json, env);
    case ndp_mode::flush: {
      auto r = c.call("neighbor_flush");
      if (!r) return daemon_error(env, r.error());
      env.out << (json ? json_line(*r) : format_flushed(*r));
      return 0;
    }
    case ndp_mode::set: {
      int rc = set(c, cmd->host, cmd->lladdr, cmd->temp, cmd->proxy, env);
      if (rc == 0 && json) env.out << json_line(boost::json::object{});
      return rc;
    }
    case ndp_mode::file:
      return file(c, *cmd, env);
    case ndp_mode::ifinfo:
      return ifinfo(c, *cmd, json, env);
    case ndp_mode::prefixes: {
      auto r = c.call("prefixes");
      if (!r) return ioctl_error(env, "SIOCGPRLST_IN6", r.error());
      env.out << (json ? json_line(*r) : format_prefixes(*r));
      return 0;
    }
    case ndp_mode::prefix_flush:
      return prefix_flush(c, json, env);
    case ndp_mode::routers: {
      auto r = c.call("default_routers");
      if (!r) return ioctl_error(env, "SIOCGDRLST_IN6", r.error());
      env.out << (json ? json_line(*r) : format_routers(*r));
      return 0;
    }
    case ndp_mode::router_flush: {
      // SIOCSRTRFLUSH_IN6: silent, like -P.
      auto r = c.call("default_router_flush");
      if (!r) return ioctl_error(env, "SIOCSRTRFLUSH_IN6", r.error());
      if (json) env.out << json_line(*r);
      return 0;
    }
    case ndp_mode::default_if:
      // umigamed has no ND default interface (KAME's SIOCGDEFIFACE_IN6).
      env.out << (json ? std::string("{\"default_interface\":null}\n")
                       : std::string("No default interface.\n"));
      return 0;
    case ndp_mode::unsupported:
      break;
  }
  return 1;
}

}  // namespace umi::tools
