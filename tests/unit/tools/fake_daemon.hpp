#pragma once
// A stand-in for umigamed in tool tests: a thread that listens on a temporary
// Unix socket, answers hello and whatever canned replies a test registers,
// and records every request it saw. One connection at a time.
#include <boost/json.hpp>

#include <functional>
#include <map>
#include <mutex>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tools/common/tool_env.hpp"

namespace umi::tools::test {

struct fake_reply {
  bool ok = true;
  boost::json::value result = boost::json::object{};
  std::string code;
  std::string message;
  // Events sent right after the reply, as {"id": <request id>, "event", "data"}.
  std::vector<std::pair<std::string, boost::json::value>> events;

  static fake_reply error(std::string code, std::string message) {
    fake_reply r;
    r.ok = false;
    r.code = std::move(code);
    r.message = std::move(message);
    return r;
  }
};

struct fake_request {
  std::string op;
  boost::json::object args;
};

class fake_daemon {
 public:
  using handler = std::function<fake_reply(const boost::json::object& args)>;

  fake_daemon();
  ~fake_daemon();
  fake_daemon(const fake_daemon&) = delete;
  fake_daemon& operator=(const fake_daemon&) = delete;

  const std::string& path() const { return path_; }
  void on(const std::string& op, handler h);
  // Every request received so far (hello included).
  std::vector<fake_request> requests() const;
  // Requests with this op.
  std::vector<boost::json::object> args_of(const std::string& op) const;

 private:
  void serve();
  void serve_connection(int fd);

  std::string path_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  mutable std::mutex mu_;
  std::map<std::string, handler> handlers_;
  std::vector<fake_request> log_;
  std::thread thread_;
};

// Runs a shim in-process with captured output.
struct tool_output {
  int rc = -1;
  std::string out;
  std::string err;
};
using tool_fn = int (*)(std::vector<std::string>, const tool_env&);
// reverse_lookup stands in for DNS in tools that print names (empty: the real
// getnameinfo).
tool_output run_tool(tool_fn fn, std::vector<std::string> args, const std::string& socket_path,
                     unsigned uid = 0, int interrupt_fd = -1,
                     std::function<std::string(const std::string&)> reverse_lookup = {});

// A path where nothing listens.
std::string dead_socket_path();

}  // namespace umi::tools::test
