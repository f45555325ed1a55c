// rtsol / rtsold: ask umigamed to solicit routers on the interfaces and
// follow the solicitor's log (stack/control/PROTOCOL.md, rtsol_start). The
// solicitation state machine runs in the daemon, beside the RAs it waits
// for; this process is what KAME's rtsold process was: it keeps the run
// alive (the run ends with the connection), prints the log in foreground
// mode (-f, and always for rtsol) and sends it to syslog as a daemon.
#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include "tools/common/kame_format.hpp"
#include "tools/common/kame_tools.hpp"
#include "tools/common/rtsold_cmd.hpp"

namespace umi::tools {

namespace {

// KAME rtsold's start-up warnings (warnx): the node will ignore the RAs it
// solicits.
void warn_sysctls(std::string_view prog, control_client& c, const tool_env& env) {
  auto r = c.call(
      "sysctl_get",
      {{"names", boost::json::array{"net.inet6.ip6.accept_rtadv", "net.inet6.ip6.forwarding"}}});
  if (!r) return;
  for (const auto& v : json_array(as_object(*r), "values")) {
    if (!v.is_object()) continue;
    const auto& o = v.get_object();
    const std::string name = json_str(o, "name");
    const auto value = json_int(o, "value");
    if (name == "net.inet6.ip6.accept_rtadv" && value == 0)
      print_error(prog, env, "kernel is configured not to accept RAs");
    if (name == "net.inet6.ip6.forwarding" && value != 0)
      print_error(prog, env, "kernel is configured as a router, not a host");
  }
}

void detach() {
  // daemon(0, 0): the parent returns to the shell, the child keeps the
  // control connection (and with it the run).
  if (::daemon(0, 0) != 0) _exit(1);
}

}  // namespace

int run_rtsold(bool rtsol, std::vector<std::string> args, const tool_env& env) {
  const std::string prog = rtsol ? "rtsol" : "rtsold";
  auto cmd = parse_rtsold(rtsol, args);
  if (!cmd) return report_cmd_error(prog, env, cmd.error(), rtsold_usage(rtsol));
  auto client = open_session(prog, env);
  if (!client) return 1;
  auto& c = *client;
  warn_sysctls(prog, c, env);

  const int upto = rtsold_log_upto(*cmd);
  bool done = false;
  bool daemonized = false;
  c.on_event([&](const control_event& e) {
    if (e.name == "rtsol_done") {
      done = true;
      return;
    }
    if (e.name != "rtsol_log" || !e.data.is_object()) return;
    const auto& d = e.data.get_object();
    const int prio = static_cast<int>(json_int(d, "priority", 7));
    if (prio > upto) return;
    if (daemonized) {
      ::syslog(prio, "<%s> %s", json_str(d, "func").c_str(), json_str(d, "message").c_str());
    } else {
      env.err << json_str(d, "message") << "\n";
      env.err.flush();
    }
  });

  boost::json::array names;
  for (const auto& i : cmd->interfaces) names.push_back(boost::json::string(i));
  auto r = c.call("rtsol_start", {{"names", std::move(names)},
                                  {"mobile", cmd->mobile},
                                  {"once", cmd->once},
                                  {"debug", cmd->debug}});
  if (!r) {
    const auto& e = r.error();
    if (e.code == "ENXIO" || e.code == "EEXIST") {
      // warnmsg(LOG_ERR) from ifconfig(), then errx(1, "failed to initilize %s").
      if (cmd->foreground) env.err << e.message << "\n";
      // "failed to get link layer information for IF" / "interface IF was already cofigured"
      std::string ifname = e.code == "ENXIO" ? e.message.substr(e.message.rfind(' ') + 1)
                                             : e.message.substr(10, e.message.find(' ', 10) - 10);
      print_error(prog, env, "failed to initilize " + ifname);
      return 1;
    }
    print_error(prog, env, e.message);
    return 1;
  }
  if (!cmd->foreground) {
    env.out.flush();
    env.err.flush();
    detach();
    daemonized = true;
    ::openlog(prog.c_str(), LOG_NDELAY | LOG_PID, LOG_DAEMON);
  }
  while (!done) {
    if (!c.pump(-1)) {
      if (!daemonized) print_error(prog, env, "lost the connection to umigamed");
      return 1;
    }
  }
  return 0;
}

}  // namespace umi::tools
