#include "tools/common/control_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace umi::tools {

std::string socket_path_from_env() {
  const char* p = std::getenv("UMIGAME_SOCKET");
  if (p != nullptr && *p != '\0') return p;
  return std::string(default_socket_path);
}

control_client::control_client(control_client&& o) noexcept
    : fd_(o.fd_),
      next_id_(o.next_id_),
      inbuf_(std::move(o.inbuf_)),
      replies_(std::move(o.replies_)),
      handler_(std::move(o.handler_)),
      closed_(o.closed_),
      io_error_(std::move(o.io_error_)) {
  o.fd_ = -1;
}

control_client& control_client::operator=(control_client&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
    next_id_ = o.next_id_;
    inbuf_ = std::move(o.inbuf_);
    replies_ = std::move(o.replies_);
    handler_ = std::move(o.handler_);
    closed_ = o.closed_;
    io_error_ = std::move(o.io_error_);
  }
  return *this;
}

control_client::~control_client() {
  if (fd_ >= 0) ::close(fd_);
}

result<control_client, int> control_client::connect(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) return unexpected<int>{ENAMETOOLONG};
  std::memcpy(sa.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return unexpected<int>{errno};
  while (::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) < 0) {
    if (errno == EINTR) continue;
    int e = errno;
    ::close(fd);
    return unexpected<int>{e};
  }
  return control_client(fd);
}

bool control_client::send_line(const std::string& line) {
  std::size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::send(fd_, line.data() + off, line.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      io_error_ = std::strerror(errno);
      closed_ = true;
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  return true;
}

bool control_client::read_some(int timeout_ms) {
  if (closed_) return false;
  pollfd p{fd_, POLLIN, 0};
  int rc = ::poll(&p, 1, timeout_ms);
  if (rc < 0) return errno == EINTR;  // a signal: let the caller look at its flags
  if (rc == 0) return true;
  char buf[65536];
  ssize_t n = ::read(fd_, buf, sizeof buf);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return true;
    io_error_ = std::strerror(errno);
    closed_ = true;
    return false;
  }
  if (n == 0) {
    io_error_ = "connection closed by umigamed";
    closed_ = true;
    return false;
  }
  inbuf_.append(buf, static_cast<std::size_t>(n));
  dispatch_buffer();
  return true;
}

void control_client::dispatch_buffer() {
  std::size_t start = 0;
  for (;;) {
    auto nl = inbuf_.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line(inbuf_.data() + start, nl - start);
    start = nl + 1;
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (ec || !v.is_object()) continue;  // not ours to interpret; skip the garbage line
    auto& o = v.get_object();
    const auto* idv = o.if_contains("id");
    std::uint64_t id = 0;
    if (idv != nullptr && idv->is_uint64()) id = idv->get_uint64();
    if (idv != nullptr && idv->is_int64() && idv->get_int64() >= 0)
      id = static_cast<std::uint64_t>(idv->get_int64());
    if (const auto* ev = o.if_contains("event"); ev != nullptr && ev->is_string()) {
      if (handler_) {
        control_event e;
        e.id = id;
        e.name = std::string(ev->get_string());
        if (const auto* d = o.if_contains("data")) e.data = *d;
        handler_(e);
      }
      continue;
    }
    replies_[id] = std::move(o);
  }
  inbuf_.erase(0, start);
}

bool control_client::pump(int timeout_ms) {
  return read_some(timeout_ms);
}

result<boost::json::value, control_error> control_client::call(std::string_view op,
                                                               boost::json::object args) {
  std::uint64_t id = next_id_++;
  boost::json::object req;
  req["id"] = id;
  req["op"] = op;
  req["args"] = std::move(args);
  if (!closed_) send_line(boost::json::serialize(req) + "\n");
  for (;;) {
    auto it = replies_.find(id);
    if (it != replies_.end()) {
      boost::json::object rep = std::move(it->second);
      replies_.erase(it);
      const auto* okv = rep.if_contains("ok");
      if (okv != nullptr && okv->is_bool() && okv->get_bool()) {
        const auto* r = rep.if_contains("result");
        return r != nullptr ? *r : boost::json::value(boost::json::object{});
      }
      control_error e{"bad_request", "malformed reply from umigamed"};
      if (const auto* ev = rep.if_contains("error"); ev != nullptr && ev->is_object()) {
        const auto& eo = ev->get_object();
        if (const auto* c = eo.if_contains("code"); c != nullptr && c->is_string())
          e.code = std::string(c->get_string());
        if (const auto* m = eo.if_contains("message"); m != nullptr && m->is_string())
          e.message = std::string(m->get_string());
      }
      return unexpected<control_error>{std::move(e)};
    }
    if (!read_some(-1)) return unexpected<control_error>{control_error{"io", io_error_}};
  }
}

result<boost::json::value, control_error> control_client::hello(std::string_view client) {
  boost::json::object args;
  args["version"] = protocol_version;
  args["client"] = client;
  return call("hello", std::move(args));
}

}  // namespace umi::tools
