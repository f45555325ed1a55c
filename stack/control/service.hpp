#pragma once
// The control socket: a Unix stream socket speaking newline-delimited JSON
// (PROTOCOL.md), served on the control thread's io_context. Requests are
// dispatched through one table of operations to the node; read-only ones are
// open to any local user, the rest need uid 0 (SO_PEERCRED).
#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "stack/base/result.hpp"
#include "stack/control/node.hpp"

namespace umi::control {

inline constexpr int protocol_version = 1;

class session;

struct service_hooks {
  // Worker counters folded into the stats reply (data path side).
  std::function<void(boost::json::object& stats)> data_path_stats;
  // Packets forwarded through a next hop, summed over workers.
  std::function<std::uint64_t(std::uint32_t nexthop, bool v4)> nexthop_use;
};

class control_service {
 public:
  control_service(boost::asio::io_context& io, node::node& n, std::string socket_path,
                  service_hooks hooks);
  ~control_service();

  // Binds the socket. Refuses when another daemon is listening on it; removes
  // a stale socket file left by a crash.
  result<void, std::string> listen();
  void close();

  // Node events fanned out to subscribed sessions.
  void on_echo(const node::echo_event& ev);
  void on_icmp_error(const node::icmp_error_event& ev);
  void on_route_event(const char* type, const route6& r);
  void on_probe(const node::probe_event& ev);
  void on_ni_reply(const node::ni_event& ev);
  void on_rtsol_log(const node::rtsol_log_event& ev);
  void on_rtsol_done(std::uint64_t run);

  // Handles one request line for a peer with `uid`; used by sessions and tests.
  // Returns the reply object; events go through `emit`.
  boost::json::object handle(session* s, unsigned uid, const boost::json::object& req);

  node::node& node() { return node_; }
  void forget(session* s);

 private:
  void accept();
  boost::json::value op_interfaces(const boost::json::object& args);
  boost::json::value op_route(const std::string& op, const boost::json::object& args);
  boost::json::value op_sysctl(const std::string& op, const boost::json::object& args);
  boost::json::value op_probe_send(session* s, const boost::json::object& args);
  boost::json::value op_ni_send(const boost::json::object& args);
  boost::json::value op_prefix(const std::string& op, const boost::json::object& args);
  boost::json::value op_route_load(const boost::json::object& args);
  std::string route_dest_text(const ip6_addr& dest) const;
  boost::json::value op_autoconf(session* s, std::int64_t id, const std::string& op,
                                 const boost::json::object& args);
  boost::json::object render_route(const route6& r) const;
  // rtadvd_start / rtadvd_stop / rtadvd_status (service_rtadvd.cpp). An
  // error is {code, message}.
  result<boost::json::value, std::pair<std::string, std::string>> op_rtadvd(
      session* s, std::int64_t id, const std::string& op, const boost::json::object& args);
  void on_rtadvd_log(const std::string& line, int priority);
  void rtadvd_session_closed(session* s);

  boost::asio::io_context& io_;
  node::node& node_;
  std::string path_;
  service_hooks hooks_;
  std::unique_ptr<boost::asio::local::stream_protocol::acceptor> acceptor_;
  std::set<std::shared_ptr<session>> sessions_;
};

// One client connection.
class session : public std::enable_shared_from_this<session> {
 public:
  session(control_service& svc, boost::asio::local::stream_protocol::socket sock);
  void start();
  void send(const boost::json::object& msg);
  void close();

  unsigned uid() const { return uid_; }
  bool greeted = false;
  std::map<std::uint16_t, std::int64_t> ping_listeners;   // ident -> request id
  std::optional<std::int64_t> route_monitor;              // request id
  std::map<std::uint16_t, std::int64_t> probe_listeners;  // ident -> request id
  std::map<std::uint16_t, std::uint16_t> probe_base;      // ident -> UDP port of seq 0
  std::set<unsigned> rtadvd_ifaces;                       // advertising for this rtadvd
  std::optional<std::int64_t> rtadvd_follow;              // request id streaming rtadvd logs
  std::map<std::uint64_t, std::int64_t> rtsol_runs;       // solicitor run -> request id

 private:
  void read();
  void write_next();

  control_service& svc_;
  boost::asio::local::stream_protocol::socket sock_;
  boost::asio::streambuf buf_{262144};  // a 64 KiB payload as hex fits
  std::deque<std::string> outq_;
  unsigned uid_ = 65534;
  bool closed_ = false;
};

// "fe80::1%de0" -> address and interface index (0 without a zone).
struct scoped_addr {
  ip6_addr addr;
  unsigned ifindex = 0;
};
result<scoped_addr, std::string> parse_scoped(node::node& n, std::string_view text);

}  // namespace umi::control
