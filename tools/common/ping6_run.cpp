// ping6: one ping6_listen, then one ping6_send per packet; echo replies
// arrive as events on the same connection (stack/control/PROTOCOL.md).
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <deque>

#include "stack/wire/nodeinfo.hpp"
#include "tools/common/kame_format.hpp"
#include "tools/common/kame_tools.hpp"
#include "tools/common/ping6_cmd.hpp"
#include "tools/common/ping6_print.hpp"

namespace umi::tools {

namespace {

constexpr std::string_view prog = "ping6";
constexpr std::int64_t maxwait_us = 10 * 1000000;  // KAME MAXWAIT: nothing received

// ni_send arguments of a node information query (PROTOCOL.md).
void add_ni_args(const ping6_cmd& cmd, boost::json::object& args) {
  switch (cmd.ni) {
    case ni_mode::node_name:
      args["qtype"] = wire::ni::qtype_node_name;
      break;
    case ni_mode::node_name_draft03:
      args["qtype"] = wire::ni::qtype_node_name;
      args["subject_type"] = "draft03";
      return;
    case ni_mode::node_addrs:
      args["qtype"] = wire::ni::qtype_node_addrs;
      args["flags"] = cmd.naflags;
      break;
    case ni_mode::qtypes:
      args["qtype"] = wire::ni::qtype_supported;
      args["subject_type"] = "none";
      break;
    case ni_mode::none:
      return;
  }
  // -N: the query goes to the name's NI group and names the node asked.
  if (cmd.nigroup) {
    args["subject_type"] = "name";
    args["subject"] = cmd.host;
  }
}

std::int64_t mono_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

std::string strip_zone(std::string s) {
  if (auto p = s.find('%'); p != std::string::npos) s.resize(p);
  return s;
}

class pinger {
 public:
  pinger(const ping6_cmd& cmd, const host_arg& dst, bool json, const tool_env& env,
         control_client& c)
      : cmd_(cmd), dst_(dst), json_(json), env_(env), c_(c), state_(cmd) {
    c_.on_event([this](const control_event& e) { events_.push_back(e); });
  }

  int run();

 private:
  result<boost::json::value, control_error> send_one();
  void drain_events();
  void emit(const std::string& s) {
    if (s.empty()) return;
    env_.out << s;
    env_.out.flush();
  }
  std::int64_t final_deadline() const {
    const auto& st = state_.stats();
    if (st.received == 0) return last_send_ + maxwait_us;
    auto wait = static_cast<std::int64_t>(2 * st.tmax * 1000.0);
    return last_send_ + std::max<std::int64_t>(wait, 1000000);
  }
  bool interrupted() const {
    if (env_.interrupt_fd < 0) return false;
    pollfd p{env_.interrupt_fd, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }
  int finish();

  const ping6_cmd& cmd_;
  host_arg dst_;
  bool json_;
  const tool_env& env_;
  control_client& c_;
  ping6_run_state state_;
  std::deque<control_event> events_;
  std::int64_t last_send_ = 0;
};

result<boost::json::value, control_error> pinger::send_one() {
  std::int64_t now = mono_us();
  auto data = state_.payload(now);
  std::uint16_t seq = state_.on_sent();
  last_send_ = now;
  boost::json::object args{{"dst", dst_.numeric()},
                           {"ident", static_cast<std::int64_t>(::getpid() & 0xffff)},
                           {"seq", seq}};
  if (cmd_.ni == ni_mode::none) args["payload_hex"] = to_hex(data);
  auto or_null = [](const std::string& s) {
    return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
  };
  args["ifname"] = or_null(cmd_.ifname);
  args["src"] = or_null(cmd_.source);
  args["hlim"] =
      cmd_.hoplimit < 0 ? boost::json::value(nullptr) : boost::json::value(cmd_.hoplimit);
  if (cmd_.ni == ni_mode::none) return c_.call("ping6_send", std::move(args));
  add_ni_args(cmd_, args);
  return c_.call("ni_send", std::move(args));
}

void pinger::drain_events() {
  while (!events_.empty()) {
    control_event e = std::move(events_.front());
    events_.pop_front();
    const auto& d = as_object(e.data);
    if (e.name == "echo_reply") {
      std::string line = state_.on_echo_reply(d, mono_us());
      if (json_) {
        boost::json::object o{{"event", e.name}, {"data", e.data}, {"dup", state_.last_dup()}};
        if (auto rtt = state_.last_rtt()) o["time_ms"] = *rtt;
        emit(json_line(o));
      } else {
        emit(line);
      }
    } else if (e.name == "ni_reply") {
      std::string line = state_.on_ni_reply(d);
      emit(json_ ? json_line(boost::json::object{
                       {"event", e.name}, {"data", e.data}, {"dup", state_.last_dup()}})
                 : line);
    } else if (e.name == "icmp6_error") {
      emit(json_
               ? (cmd_.verbose ? json_line(boost::json::object{{"event", e.name}, {"data", e.data}})
                               : std::string())
               : state_.on_icmp6_error(d));
    }
  }
}

int pinger::finish() {
  drain_events();
  const auto& st = state_.stats();
  if (json_) {
    boost::json::object o{
        {"transmitted", st.transmitted}, {"received", st.received}, {"duplicates", st.repeats}};
    if (st.received != 0 && st.timing) {
      o["min_ms"] = st.tmin;
      o["avg_ms"] = st.tsum / static_cast<double>(st.received + st.repeats);
      o["max_ms"] = st.tmax;
    }
    emit(json_line(o));
  } else {
    emit(format_ping6_summary(st, cmd_.host));
  }
  return st.received == 0 ? 1 : 0;
}

int pinger::run() {
  auto listen =
      c_.call("ping6_listen", {{"ident", static_cast<std::int64_t>(::getpid() & 0xffff)}});
  if (!listen) {
    print_error(prog, env_, listen.error().message);
    return 1;
  }
  auto first = send_one();
  if (!first) {
    const auto& e = first.error();
    if (e.code == "EMSGSIZE")
      print_error(prog, env_, "sendmsg: " + e.message);
    else if (e.code == "ENXIO" && !cmd_.ifname.empty())
      print_error(prog, env_, cmd_.ifname + ": invalid interface name");
    else if (e.code == "EADDRNOTAVAIL" || e.code == "ENETUNREACH" || e.code == "EHOSTUNREACH" ||
             e.code == "EINVAL")
      print_error(prog, env_, "UDP connect: " + e.message);  // KAME's source selection step
    else
      print_error(prog, env_, e.message);
    return 1;
  }
  const auto& fo = as_object(*first);
  if (json_)
    emit(json_line(*first));
  else
    emit(format_ping6_header(cmd_.ni == ni_mode::none ? cmd_.datalen : ni_query_len(cmd_) - 8,
                             strip_zone(json_str(fo, "src", "::")),
                             strip_zone(json_str(fo, "dst", dst_.addr))));
  auto send_next = [this] {
    if (auto r = send_one(); !r) {
      print_error(prog, env_, "sendmsg: " + r.error().message);
      emit(strprintf("ping6: wrote %s %d chars, ret=-1\n", cmd_.host.c_str(), 8 + cmd_.datalen));
    }
  };
  for (long k = 0; k < cmd_.preload && !state_.all_sent(); ++k) send_next();
  std::int64_t next_send = last_send_ + cmd_.interval_us;
  for (;;) {
    drain_events();
    if (state_.all_received() || interrupted()) break;
    std::int64_t now = mono_us();
    if (!state_.all_sent()) {
      if (now >= next_send) {
        send_next();
        next_send += cmd_.interval_us;
        if (next_send < now) next_send = now + cmd_.interval_us;
        continue;
      }
    } else if (now >= final_deadline()) {
      break;
    }
    std::int64_t until = state_.all_sent() ? final_deadline() : next_send;
    int timeout_ms =
        static_cast<int>(std::clamp<std::int64_t>((until - now + 999) / 1000, 0, 60000));
    pollfd fds[2] = {{c_.fd(), POLLIN, 0}, {env_.interrupt_fd, POLLIN, 0}};
    int rc = ::poll(fds, env_.interrupt_fd >= 0 ? 2 : 1, timeout_ms);
    if (rc > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !c_.pump(0)) {
      drain_events();
      print_error(prog, env_, "connection to umigamed lost");
      break;
    }
  }
  return finish();
}

}  // namespace

int run_ping6(std::vector<std::string> args, const tool_env& env) {
  bool json = take_json_flag(args);
  auto cmd = parse_ping6(args, env.uid);
  if (!cmd) {
    if (!cmd.error().message.empty()) print_error(prog, env, cmd.error().message);
    if (cmd.error().show_usage) env.err << ping6_usage();
    return 1;
  }
  for (const auto& w : cmd->warnings) print_error(prog, env, w);
  if (!cmd->pattern.empty() && !cmd->quiet && !json) {
    env.out << format_pattern(cmd->pattern);
    env.out.flush();
  }
  std::string gai;
  std::optional<host_arg> dst;
  if (cmd->nigroup) {
    // KAME ping6 -N: the node information group of the name (/96 form).
    auto g = wire::ni_group_address_kame(cmd->host);
    if (g) dst = resolve_host(g->to_string(), gai);
    if (!g) gai = cmd->host + ": invalid name";
  } else {
    dst = resolve_host(cmd->host, gai);
  }
  if (!dst) {
    print_error(prog, env, gai);
    return 1;
  }
  auto client = open_session(prog, env);
  if (!client) return 1;
  pinger p(*cmd, *dst, json, env, *client);
  return p.run();
}

}  // namespace umi::tools
