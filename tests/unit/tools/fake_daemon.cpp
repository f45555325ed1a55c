#include "fake_daemon.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <stdexcept>

namespace umi::tools::test {

namespace {

std::string unique_path(const char* tag) {
  static std::atomic<int> counter{0};
  return "/tmp/umi-tools-" + std::string(tag) + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter++) + ".sock";
}

void write_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace

std::string dead_socket_path() {
  return unique_path("dead");
}

fake_daemon::fake_daemon() : path_(unique_path("fake")) {
  ::unlink(path_.c_str());
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path_.c_str(), sizeof sa.sun_path - 1);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 ||
      ::listen(listen_fd_, 4) < 0 || ::pipe2(stop_pipe_, O_CLOEXEC) < 0)
    throw std::runtime_error("fake_daemon: cannot listen on " + path_);
  thread_ = std::thread([this] { serve(); });
}

fake_daemon::~fake_daemon() {
  char c = 'q';
  [[maybe_unused]] auto n = ::write(stop_pipe_[1], &c, 1);
  thread_.join();
  ::close(listen_fd_);
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
  ::unlink(path_.c_str());
}

void fake_daemon::on(const std::string& op, handler h) {
  std::lock_guard lock(mu_);
  handlers_[op] = std::move(h);
}

std::vector<fake_request> fake_daemon::requests() const {
  std::lock_guard lock(mu_);
  return log_;
}

std::vector<boost::json::object> fake_daemon::args_of(const std::string& op) const {
  std::vector<boost::json::object> out;
  for (const auto& r : requests())
    if (r.op == op) out.push_back(r.args);
  return out;
}

void fake_daemon::serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) return;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    serve_connection(fd);
    ::close(fd);
  }
}

void fake_daemon::serve_connection(int fd) {
  std::string buf;
  for (;;) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) return;
    char tmp[4096];
    ssize_t n = ::read(fd, tmp, sizeof tmp);
    if (n <= 0) return;
    buf.append(tmp, static_cast<std::size_t>(n));
    for (auto nl = buf.find('\n'); nl != std::string::npos; nl = buf.find('\n')) {
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      auto v = boost::json::parse(line).as_object();
      std::uint64_t id = v["id"].to_number<std::uint64_t>();
      fake_request req{std::string(v["op"].as_string()), {}};
      if (auto* a = v.if_contains("args"); a != nullptr && a->is_object())
        req.args = a->as_object();
      handler h;
      {
        std::lock_guard lock(mu_);
        log_.push_back(req);
        if (auto it = handlers_.find(req.op); it != handlers_.end()) h = it->second;
      }
      fake_reply r;
      if (h) {
        r = h(req.args);
      } else if (req.op == "hello") {
        r.result = boost::json::object{{"version", 1},
                                       {"daemon", "umigamed"},
                                       {"daemon_version", "0.1.0"},
                                       {"hostname", "fake"}};
      } else {
        r = fake_reply::error("unknown_op", "unknown operation " + req.op);
      }
      boost::json::object out{{"id", id}, {"ok", r.ok}};
      if (r.ok)
        out["result"] = r.result;
      else
        out["error"] = boost::json::object{{"code", r.code}, {"message", r.message}};
      std::string text = boost::json::serialize(out) + "\n";
      for (auto& [name, data] : r.events)
        text += boost::json::serialize(
                    boost::json::object{{"id", id}, {"event", name}, {"data", data}}) +
                "\n";
      write_all(fd, text);
    }
  }
}

tool_output run_tool(tool_fn fn, std::vector<std::string> args, const std::string& socket_path,
                     unsigned uid, int interrupt_fd,
                     std::function<std::string(const std::string&)> reverse_lookup) {
  std::ostringstream out, err;
  tool_env env{out, err, socket_path, uid, interrupt_fd, std::move(reverse_lookup)};
  tool_output r;
  r.rc = fn(std::move(args), env);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace umi::tools::test
