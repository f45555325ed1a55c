#include "tools/common/kame_format.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdarg>
#include <cstdio>

#include "stack/base/addr.hpp"

namespace umi::tools {

std::string strprintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list ap2;
  va_copy(ap2, ap);
  int n = std::vsnprintf(nullptr, 0, fmt, ap);
  va_end(ap);
  std::string s;
  if (n > 0) {
    s.resize(static_cast<std::size_t>(n) + 1);
    std::vsnprintf(s.data(), s.size(), fmt, ap2);
    s.resize(static_cast<std::size_t>(n));
  }
  va_end(ap2);
  return s;
}

std::string sec2str(long long total) {
  if (total < 0) total = 0;
  long long days = total / 3600 / 24;
  long long hours = (total / 3600) % 24;
  long long mins = (total / 60) % 60;
  long long secs = total % 60;
  std::string r;
  bool first = true;
  if (days != 0) {
    first = false;
    r += strprintf("%lldd", days);
  }
  if (!first || hours != 0) {
    first = false;
    r += strprintf("%lldh", hours);
  }
  if (!first || mins != 0) r += strprintf("%lldm", mins);
  r += strprintf("%llds", secs);
  return r;
}

std::string iff_flags_string(unsigned flags) {
  // Bit 1..16 of the BSD IFFBITS string (net/if.h).
  static constexpr std::array<std::string_view, 16> names{
      "UP",      "BROADCAST", "DEBUG",   "LOOPBACK", "POINTOPOINT", "NOTRAILERS",
      "RUNNING", "NOARP",     "PROMISC", "ALLMULTI", "OACTIVE",     "SIMPLEX",
      "LINK0",   "LINK1",     "LINK2",   "MULTICAST"};
  std::string s = strprintf("flags=%x", flags);
  if (flags == 0) return s;
  bool any = false;
  for (unsigned i = 0; i < names.size(); ++i) {
    if ((flags & (1u << i)) == 0) continue;
    s += any ? ',' : '<';
    s += names[i];
    any = true;
  }
  if (any) s += '>';
  return s;
}

std::string bsd_mac(std::string_view mac) {
  auto m = mac_addr::parse(mac);
  return m ? m->to_string() : std::string(mac);
}

std::string scoped_addr(std::string_view addr, std::string_view ifname, std::int64_t scopeid) {
  std::string s(addr);
  if (scopeid != 0 && !ifname.empty()) {
    s += '%';
    s += ifname;
  }
  return s;
}

std::optional<host_arg> resolve_host(std::string_view text, std::string& error) {
  host_arg h;
  auto pct = text.find('%');
  h.addr = std::string(text.substr(0, pct));
  if (pct != std::string_view::npos) h.zone = std::string(text.substr(pct + 1));
  if (ip6_addr::parse(h.addr)) return h;
  if (!h.zone.empty() || h.addr.empty()) {
    error = gai_strerror(EAI_NONAME);
    return std::nullopt;
  }
  addrinfo hints{};
  hints.ai_family = AF_INET6;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(h.addr.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    error = gai_strerror(rc != 0 ? rc : EAI_NONAME);
    return std::nullopt;
  }
  const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(res->ai_addr);
  ip6_addr a;
  std::copy(std::begin(sin6->sin6_addr.s6_addr), std::end(sin6->sin6_addr.s6_addr), a.b.begin());
  freeaddrinfo(res);
  h.addr = a.to_string();
  return h;
}

namespace {
const boost::json::value* find(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}
}  // namespace

std::optional<std::int64_t> json_opt_int(const boost::json::object& o, std::string_view key) {
  const auto* v = find(o, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  return std::nullopt;
}

std::int64_t json_int(const boost::json::object& o, std::string_view key, std::int64_t def) {
  return json_opt_int(o, key).value_or(def);
}

std::string json_str(const boost::json::object& o, std::string_view key, std::string_view def) {
  const auto* v = find(o, key);
  if (v == nullptr || !v->is_string()) return std::string(def);
  return std::string(v->get_string());
}

bool json_bool(const boost::json::object& o, std::string_view key, bool def) {
  const auto* v = find(o, key);
  if (v == nullptr || !v->is_bool()) return def;
  return v->get_bool();
}

const boost::json::array& json_array(const boost::json::object& o, std::string_view key) {
  static const boost::json::array empty;
  const auto* v = find(o, key);
  if (v == nullptr || !v->is_array()) return empty;
  return v->get_array();
}

const boost::json::object& json_object(const boost::json::object& o, std::string_view key) {
  static const boost::json::object empty;
  const auto* v = find(o, key);
  if (v == nullptr || !v->is_object()) return empty;
  return v->get_object();
}

const boost::json::object& as_object(const boost::json::value& v) {
  static const boost::json::object empty;
  return v.is_object() ? v.get_object() : empty;
}

std::string json_line(const boost::json::value& v) {
  return boost::json::serialize(v) + "\n";
}

}  // namespace umi::tools
