// traceroute6 / traceroute: one probe_listen, then one probe_send per probe;
// the replies come back as probe_reply events (stack/control/PROTOCOL.md).
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>

#include "stack/base/addr.hpp"
#include "tools/common/inet_addr.hpp"
#include "tools/common/kame_format.hpp"
#include "tools/common/kame_tools.hpp"
#include "tools/common/traceroute_cmd.hpp"
#include "tools/common/traceroute_print.hpp"

namespace umi::tools {

namespace {

std::int64_t mono_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

struct timed_event {
  control_event event;
  std::int64_t at_us = 0;
};

// inetname(): a reverse name with our own domain stripped ("gw" for
// gw.example.net on a host in example.net).
std::string hop_name(const tool_env& env, const std::string& addr) {
  std::string name = reverse_name(env, addr);
  char host[256] = "";
  if (name.empty() || ::gethostname(host, sizeof host - 1) != 0) return name;
  const char* dot = std::strchr(host, '.');
  auto ndot = name.find('.');
  if (dot != nullptr && ndot != std::string::npos && name.substr(ndot + 1) == dot + 1)
    name.resize(ndot);
  return name;
}

class tracer {
 public:
  tracer(const traceroute_cmd& cmd, std::string prog, std::string dst, const tool_env& env,
         control_client& c)
      : cmd_(cmd), prog_(std::move(prog)), dst_(std::move(dst)), env_(env), c_(c) {
    c_.on_event([this](const control_event& e) { events_.push_back({e, mono_us()}); });
  }
  int run();

 private:
  bool v6() const { return cmd_.family == "inet6"; }
  void out(const std::string& s) {
    env_.out << s;
    env_.out.flush();
  }
  void start() {
    if (started_) return;
    started_ = true;
    env_.err << format_traceroute_header(cmd_.family, cmd_.host, dst_, cmd_.source, cmd_.max_hops,
                                         cmd_.datalen);
    env_.err.flush();
    if (cmd_.first_hop > 1) out(strprintf("Skipping %u intermediate hops\n", cmd_.first_hop - 1));
  }
  result<boost::json::value, control_error> send(unsigned hops, unsigned seq);
  // Waits until `deadline` for the reply to probe `seq`; nothing on timeout.
  std::optional<timed_event> wait_reply(unsigned seq, std::int64_t deadline);

  const traceroute_cmd& cmd_;
  std::string prog_;
  std::string dst_;
  const tool_env& env_;
  control_client& c_;
  std::deque<timed_event> events_;
  bool started_ = false;
  bool lost_ = false;  // the connection to umigamed went away
  std::string src_;
};

result<boost::json::value, control_error> tracer::send(unsigned hops, unsigned seq) {
  auto or_null = [](const std::string& s) {
    return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
  };
  // The probe payload: traceroute6 counts it directly, traceroute counts the
  // IPv4 and UDP headers too.
  unsigned datalen = v6() ? cmd_.datalen : cmd_.datalen - 28;
  return c_.call("probe_send", {{"family", cmd_.family},
                                {"dst", dst_},
                                {"src", or_null(cmd_.source)},
                                {"ifname", or_null(cmd_.ifname)},
                                {"hlim", hops},
                                {"proto", cmd_.icmp ? "icmp" : "udp"},
                                {"ident", static_cast<std::int64_t>(::getpid() & 0xffff)},
                                {"port", cmd_.port + seq},
                                {"seq", seq},
                                {"datalen", datalen}});
}

std::optional<timed_event> tracer::wait_reply(unsigned seq, std::int64_t deadline) {
  for (;;) {
    while (!events_.empty()) {
      timed_event e = std::move(events_.front());
      events_.pop_front();
      if (e.event.name != "probe_reply") continue;
      const auto& d = as_object(e.event.data);
      if (json_int(d, "seq", -1) != static_cast<std::int64_t>(seq)) continue;  // a late one
      auto o = classify_probe_reply(cmd_.family, static_cast<int>(json_int(d, "type", -1)),
                                    static_cast<int>(json_int(d, "code", -1)),
                                    static_cast<int>(json_int(d, "hlim", -1)));
      if (o.accepted) return e;
    }
    std::int64_t now = mono_us();
    if (now >= deadline) return std::nullopt;
    int timeout_ms = static_cast<int>(std::min<std::int64_t>((deadline - now + 999) / 1000, 60000));
    pollfd p{c_.fd(), POLLIN, 0};
    int rc = ::poll(&p, 1, timeout_ms);
    if (rc > 0 && !c_.pump(0) && events_.empty()) {
      lost_ = true;
      return std::nullopt;
    }
  }
}

int tracer::run() {
  auto listen =
      c_.call("probe_listen", {{"ident", static_cast<std::int64_t>(::getpid() & 0xffff)}});
  if (!listen) {
    print_error(prog_, env_, listen.error().message);
    return 1;
  }
  if (!v6()) start();  // LBL prints the header before its first probe
  probe_addr_view view{cmd_.family, cmd_.numeric, cmd_.long_names, cmd_.verbose};
  unsigned seq = 0;
  for (unsigned hops = cmd_.first_hop; hops <= cmd_.max_hops; ++hops) {
    std::string lastaddr;
    unsigned got_there = 0, unreachable = 0;
    for (unsigned probe = 0; probe < cmd_.nprobes; ++probe) {
      std::int64_t t1 = mono_us();
      auto r = send(hops, ++seq);
      if (!r && !started_) {
        // traceroute6 finds its source with connect() before anything else.
        const auto& e = r.error();
        std::string why = bsd_strerror(e.code, e.message);
        if (e.code == "EADDRNOTAVAIL")
          env_.err << "bind: " << why << "\n";
        else if (e.code == "ENETUNREACH" || e.code == "EHOSTUNREACH")
          env_.err << "connect: " << why << "\n";
        else
          print_error(prog_, env_, e.message);
        return 1;
      }
      if (r && src_.empty()) src_ = json_str(as_object(*r), "src");
      if (probe == 0 && hops == cmd_.first_hop) start();
      if (probe == 0) out(format_hop_start(hops));
      if (!r) {
        std::string why = bsd_strerror(r.error().code, r.error().message);
        if (v6())
          env_.err << "sendto: " << why << "\n";
        else
          print_error(prog_, env_, "sendto: " + why);
        out(strprintf("%s: wrote %s %u chars, ret=-1\n", prog_.c_str(), cmd_.host.c_str(),
                      cmd_.datalen));
      }
      auto reply = wait_reply(seq, t1 + static_cast<std::int64_t>(cmd_.waittime) * 1000000);
      if (lost_) {
        out("\n");
        print_error(prog_, env_, "connection to umigamed lost");
        return 1;
      }
      if (!reply) {
        out(" *");
        continue;
      }
      const auto& d = as_object(reply->event.data);
      std::string from = json_str(d, "from");
      if (auto pct = from.find('%'); pct != std::string::npos && !v6()) from.resize(pct);
      std::string line;
      if (from != lastaddr) {
        std::string name = cmd_.numeric ? "" : hop_name(env_, from);
        line += format_probe_from(view, from, name, json_int(d, "len"), src_);
        lastaddr = from;
      }
      line += format_probe_rtt(cmd_.family, static_cast<double>(reply->at_us - t1) / 1000.0);
      auto o = classify_probe_reply(cmd_.family, static_cast<int>(json_int(d, "type", -1)),
                                    static_cast<int>(json_int(d, "code", -1)),
                                    static_cast<int>(json_int(d, "hlim", -1)));
      line += o.marker;
      got_there += o.reached ? 1 : 0;
      unreachable += o.unreachable ? 1 : 0;
      out(line);
    }
    out("\n");
    unsigned enough = v6() ? (cmd_.nprobes + 1) / 2 : cmd_.nprobes - 1;
    if (got_there > 0 || (unreachable > 0 && unreachable >= enough)) break;
  }
  return 0;
}

int trace(const traceroute_cmd& cmd, std::string_view prog, std::string dst, const tool_env& env) {
  auto client = open_session(prog, env);
  if (!client) return 1;
  tracer t(cmd, std::string(prog), std::move(dst), env, *client);
  return t.run();
}

}  // namespace

int run_traceroute6(std::vector<std::string> args, const tool_env& env) {
  constexpr std::string_view prog = "traceroute6";
  auto cmd = parse_traceroute6(args);
  if (!cmd) return report_cmd_error(prog, env, cmd.error(), traceroute6_usage());
  std::string gai;
  auto dst = resolve_host(cmd->host, gai);
  if (!dst) {
    print_error(prog, env, gai);
    return 1;
  }
  if (!cmd->source.empty()) {  // getaddrinfo(source, AI_NUMERICHOST)
    auto pct = cmd->source.find('%');
    if (!ip6_addr::parse(std::string_view(cmd->source).substr(0, pct))) {
      print_error(prog, env, cmd->source + ": " + gai_strerror(EAI_NONAME));
      return 1;
    }
  }
  return trace(*cmd, prog, dst->numeric(), env);
}

int run_traceroute(std::vector<std::string> args, const tool_env& env) {
  constexpr std::string_view prog = "traceroute";
  auto cmd = parse_traceroute(args);
  if (!cmd) return report_cmd_error(prog, env, cmd.error(), traceroute_usage());
  std::optional<std::uint32_t> a = parse_ip4(cmd->host);
  if (!a) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    addrinfo* res = nullptr;
    if (getaddrinfo(cmd->host.c_str(), nullptr, &hints, &res) == 0 && res != nullptr) {
      a = ntohl(reinterpret_cast<const sockaddr_in*>(res->ai_addr)->sin_addr.s_addr);
      freeaddrinfo(res);
    }
  }
  if (!a) {
    print_error(prog, env, "unknown host " + cmd->host);
    return 1;
  }
  return trace(*cmd, prog, ip4_to_string(*a), env);
}

}  // namespace umi::tools
