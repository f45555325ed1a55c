#pragma once
// Blocking client for the umigamed control socket (stack/control/PROTOCOL.md):
// newline-delimited JSON over a Unix stream socket. One request at a time is
// awaited with call(); events of subscriptions (ping6_listen) arrive
// interleaved and go to the event handler, also while a call() waits. fd()
// can be poll()ed by tools that wait for events and timers at once.
#include <boost/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "stack/base/result.hpp"

namespace umi::tools {

inline constexpr std::string_view default_socket_path = "/run/umigame/umigamed.sock";
inline constexpr std::int64_t protocol_version = 1;

// $UMIGAME_SOCKET, or the default path.
std::string socket_path_from_env();

// A failed request: the daemon's {code, message}, or a transport failure
// (code "io", message = what went wrong).
struct control_error {
  std::string code;
  std::string message;
};

struct control_event {
  std::uint64_t id = 0;  // id of the subscribing request
  std::string name;      // "echo_reply", "icmp6_error", ...
  boost::json::value data;
};

class control_client {
 public:
  using event_handler = std::function<void(const control_event&)>;

  control_client(control_client&& o) noexcept;
  control_client& operator=(control_client&& o) noexcept;
  control_client(const control_client&) = delete;
  control_client& operator=(const control_client&) = delete;
  ~control_client();

  // Connects to `path`. On failure the error carries errno.
  static result<control_client, int> connect(const std::string& path);

  // Sends hello (version 1, client name) and checks the reply.
  result<boost::json::value, control_error> hello(std::string_view client);

  // Sends a request and blocks until its reply; events read meanwhile go to the
  // handler. Returns the reply's `result` or its `error`.
  result<boost::json::value, control_error> call(std::string_view op,
                                                 boost::json::object args = {});

  // Waits up to timeout_ms (-1: forever) for input and dispatches every
  // complete message. Returns false when the connection is closed or broken.
  bool pump(int timeout_ms);

  void on_event(event_handler h) { handler_ = std::move(h); }
  int fd() const noexcept { return fd_; }

 private:
  explicit control_client(int fd) : fd_(fd) {}
  bool send_line(const std::string& line);
  bool read_some(int timeout_ms);  // false on EOF/error
  void dispatch_buffer();

  int fd_ = -1;
  std::uint64_t next_id_ = 1;
  std::string inbuf_;
  std::map<std::uint64_t, boost::json::object> replies_;
  event_handler handler_;
  bool closed_ = false;
  std::string io_error_;
};

}  // namespace umi::tools
