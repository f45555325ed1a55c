// rtadvd: reads rtadvd.conf, asks umigamed to advertise on the interfaces
// and stays attached while it does, like KAME's rtadvd process: with -f in
// the foreground printing the advertiser's log lines on stderr, otherwise in
// the background (pid in /var/run/rtadvd.pid, logs to syslog). SIGTERM or
// SIGINT makes umigamed send the final RAs (router lifetime 0) and stop;
// SIGUSR1 writes the advertising state to /var/run/rtadvd.dump.
#include <fcntl.h>
#include <poll.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>

#include "tools/common/kame_tools.hpp"
#include "tools/common/rtadvd_cmd.hpp"

namespace umi::tools {

namespace {

constexpr std::string_view prog = "rtadvd";

std::string pidfile_path() {
  const char* p = std::getenv("UMIGAME_RTADVD_PIDFILE");
  return p != nullptr && *p != '\0' ? p : "/var/run/rtadvd.pid";
}

// Reads the configuration of every interface named; prints the error and
// returns nothing when one is wrong (rtadvd exits before advertising).
std::optional<boost::json::array> load_configs(const rtadvd_cmd& cmd, const tool_env& env) {
  std::optional<termcap_file> file;
  if (std::ifstream in(cmd.config); in) {
    std::stringstream ss;
    ss << in.rdbuf();
    auto f = termcap_file::parse(ss.str());
    if (!f) {
      print_error(prog, env, "<getconfig> " + cmd.config + ": " + f.error());
      return std::nullopt;
    }
    file = std::move(*f);
  }
  boost::json::array out;
  for (const auto& ifname : cmd.interfaces) {
    std::optional<termcap_entry> entry;
    if (file) {
      auto caps = file->entry(ifname);
      if (!caps) {
        print_error(prog, env, caps.error());
        return std::nullopt;
      }
      if (*caps) entry.emplace(std::move(**caps));
    }
    std::vector<std::string> info;
    auto c = rtadvd_getconfig(ifname, entry, info);
    if (cmd.debug > 0)
      for (const auto& line : info) print_error(prog, env, line);
    if (!c) {
      print_error(prog, env, c.error());
      return std::nullopt;
    }
    out.push_back(rtadv_config_json(*c));
  }
  return out;
}

std::string dumpfile_path() {
  const char* p = std::getenv("UMIGAME_RTADVD_DUMPFILE");
  return p != nullptr && *p != '\0' ? p : "/var/run/rtadvd.dump";
}

// What the signal handlers wrote to the self-pipe: 'u' for SIGUSR1 (dump),
// anything else ends rtadvd.
struct signals {
  bool stop = false;
  bool dump = false;
};
signals pending_signals(const tool_env& env) {
  signals s;
  if (env.interrupt_fd < 0) return s;
  pollfd p{env.interrupt_fd, POLLIN, 0};
  char buf[16];
  while (::poll(&p, 1, 0) > 0) {
    const ssize_t n = ::read(env.interrupt_fd, buf, sizeof buf);
    if (n <= 0) {
      s.stop = true;  // a closed pipe: nobody can stop us any more
      break;
    }
    for (ssize_t i = 0; i < n; ++i) (buf[i] == 'u' ? s.dump : s.stop) = true;
  }
  return s;
}

// SIGUSR1: the state of every advertising interface to the dump file.
void dump_state(control_client& c, const std::function<void(const std::string&)>& say) {
  auto st = c.call("rtadvd_status");
  if (!st || !st->is_object()) {
    say("<rtadvd_dump_file> " + (st ? std::string("bad reply") : st.error().message));
    return;
  }
  const std::string path = dumpfile_path();
  std::ofstream out(path);
  out << format_rtadvd_dump(st->as_object(), std::time(nullptr));
  if (!out) say("<rtadvd_dump_file> open a dump file(" + path + "): " + std::strerror(errno));
}

// Starts advertising; `started` learns the outcome ("" or the error) as soon
// as the daemon answered. Then relays log lines to `say` until a signal (stop
// and exit 0) or the daemon going away (exit 1).
int advertise(const rtadvd_cmd& cmd, const boost::json::array& configs, const tool_env& env,
              const std::function<void(const std::string&)>& started,
              const std::function<void(const std::string&)>& say) {
  auto client = control_client::connect(env.socket_path);
  if (!client) {
    started("cannot connect to umigamed at " + env.socket_path + ": " +
            std::strerror(client.error()) + " (is umigamed running?)");
    return 1;
  }
  if (auto h = client->hello(prog); !h) {
    started(h.error().message);
    return 1;
  }
  std::deque<std::string> lines;
  // Without -d only LOG_NOTICE and worse, as rtadvd's setlogmask; -d adds
  // LOG_INFO (there are no LOG_DEBUG lines from umigamed).
  const int upto = cmd.debug > 0 ? LOG_DEBUG : LOG_NOTICE;
  client->on_event([&lines, upto](const control_event& e) {
    if (e.name != "rtadvd_log" || !e.data.is_object()) return;
    const auto& d = e.data.as_object();
    const auto* pri = d.if_contains("priority");
    if (pri != nullptr && pri->is_int64() && pri->as_int64() > upto) return;
    if (auto* m = d.if_contains("message"); m && m->is_string()) lines.emplace_back(m->as_string());
  });
  auto r = client->call(
      "rtadvd_start", {{"interfaces", configs}, {"follow", true}, {"static", cmd.static_prefixes}});
  if (!r) {
    started(r.error().code == "EPERM" ? "must be root to advertise" : r.error().message);
    return 1;
  }
  started("");
  for (;;) {
    while (!lines.empty()) {
      say(lines.front());
      lines.pop_front();
    }
    const signals sig = pending_signals(env);
    if (sig.dump) dump_state(*client, say);
    if (sig.stop) {
      // KAME die(): the final RAs with router lifetime 0 (umigamed sends
      // them MIN_DELAY_BETWEEN_RAS apart).
      auto s = client->call("rtadvd_stop");
      if (!s) say("<die> " + s.error().message);
      return s ? 0 : 1;
    }
    pollfd fds[2] = {{client->fd(), POLLIN, 0}, {env.interrupt_fd, POLLIN, 0}};
    const int rc = ::poll(fds, env.interrupt_fd >= 0 ? 2 : 1, -1);
    if (rc > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !client->pump(0)) {
      for (const auto& l : lines) say(l);
      say("<main> lost the connection to umigamed");
      return 1;
    }
  }
}

// Without -f: like daemon(3), the parent returns once umigamed has accepted
// the configuration; the child stays to hold the advertisement.
int run_background(const rtadvd_cmd& cmd, const boost::json::array& configs, const tool_env& env) {
  int status_pipe[2];
  if (::pipe(status_pipe) < 0) {
    print_error(prog, env, std::string("pipe: ") + std::strerror(errno));
    return 1;
  }
  env.out.flush();
  env.err.flush();
  const pid_t pid = ::fork();
  if (pid < 0) {
    print_error(prog, env, std::string("fork: ") + std::strerror(errno));
    return 1;
  }
  if (pid > 0) {
    ::close(status_pipe[1]);
    std::string msg;
    char buf[256];
    ssize_t n;
    bool any = false;
    while ((n = ::read(status_pipe[0], buf, sizeof buf)) > 0) {
      any = true;
      msg.append(buf, static_cast<std::size_t>(n));
      if (msg.find('\n') != std::string::npos) break;
    }
    ::close(status_pipe[0]);
    if (!any) {
      print_error(prog, env, "the background process exited before advertising");
      return 1;
    }
    msg.erase(msg.find('\n'));
    if (!msg.empty()) {
      print_error(prog, env, msg);
      return 1;
    }
    return 0;
  }
  ::close(status_pipe[0]);
  ::setsid();
  openlog("rtadvd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
  const std::string pidfile = pidfile_path();
  auto started = [&](const std::string& err) {
    if (err.empty()) {
      std::ofstream(pidfile) << ::getpid() << "\n";
      // Nothing of ours is printed from here on.
      if (int devnull = ::open("/dev/null", O_RDWR); devnull >= 0) {
        ::dup2(devnull, 0);
        ::dup2(devnull, 1);
        ::dup2(devnull, 2);
        if (devnull > 2) ::close(devnull);
      }
    }
    const std::string line = err + "\n";
    [[maybe_unused]] auto w = ::write(status_pipe[1], line.data(), line.size());
    ::close(status_pipe[1]);
  };
  auto say = [](const std::string& m) { syslog(LOG_NOTICE, "%s", m.c_str()); };
  const int rc = advertise(cmd, configs, env, started, say);
  if (rc == 0 || ::access(pidfile.c_str(), F_OK) == 0) ::unlink(pidfile.c_str());
  std::_Exit(rc);
}

}  // namespace

int run_rtadvd(std::vector<std::string> args, const tool_env& env) {
  auto cmd = parse_rtadvd(args);
  if (!cmd) return report_cmd_error(prog, env, cmd.error(), rtadvd_usage());
  if (cmd->renumbering) print_error(prog, env, "router renumbering (-R) is not supported; ignored");
  auto configs = load_configs(*cmd, env);
  if (!configs) return 1;
  if (!cmd->foreground) return run_background(*cmd, *configs, env);
  int rc_started = 0;
  auto started = [&](const std::string& err) {
    if (!err.empty()) {
      print_error(prog, env, err);
      rc_started = 1;
    }
  };
  const std::string tag = "rtadvd[" + std::to_string(::getpid()) + "]: ";
  auto say = [&](const std::string& m) {
    env.err << tag << m << "\n";
    env.err.flush();
  };
  const int rc = advertise(*cmd, *configs, env, started, say);
  return rc_started != 0 ? 1 : rc;
}

}  // namespace umi::tools
