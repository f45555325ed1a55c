#include "tools/common/inet_addr.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <string>

#include "stack/base/addr.hpp"
#include "tools/common/kame_format.hpp"

namespace umi::tools {

std::optional<std::uint32_t> parse_ip4(std::string_view s) {
  std::string t(s);
  in_addr a{};
  if (t.empty() || ::inet_aton(t.c_str(), &a) == 0) return std::nullopt;
  return ntohl(a.s_addr);
}

std::optional<std::uint32_t> parse_ip4_network(std::string_view s) {
  std::string t(s);
  if (t.empty()) return std::nullopt;
  in_addr_t n = ::inet_network(t.c_str());
  if (n == static_cast<in_addr_t>(-1)) return std::nullopt;
  return static_cast<std::uint32_t>(n);
}

std::string ip4_to_string(std::uint32_t a) {
  return strprintf("%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

std::uint32_t ip4_mask(unsigned plen) {
  if (plen == 0) return 0;
  if (plen >= 32) return 0xffffffffu;
  return 0xffffffffu << (32 - plen);
}

std::optional<unsigned> ip4_mask_len(std::uint32_t mask) {
  unsigned n = 0;
  while (n < 32 && (mask & (0x80000000u >> n)) != 0) ++n;
  if (ip4_mask(n) != mask) return std::nullopt;
  return n;
}

unsigned ip4_classful_len(std::uint32_t a) {
  if ((a & 0x80000000u) == 0) return 8;
  if ((a & 0xc0000000u) == 0x80000000u) return 16;
  return 24;
}

std::uint32_t ip4_host_part(std::uint32_t a) {
  return a & ~ip4_mask(ip4_classful_len(a));
}

ip4_net ip4_make_net(std::uint32_t net, unsigned bits) {
  if (net == 0) return {0, 0};
  if (bits != 0) return {net, bits > 32 ? 32 : bits};
  if (net < 128) return {net << 24, 8};
  if (net < 65536) return {net << 16, 16};
  if (net < 16777216) return {net << 8, 24};
  if ((net & 0x00ffffffu) == 0) return {net, 8};
  if ((net & 0x0000ffffu) == 0) return {net, 16};
  if ((net & 0x000000ffu) == 0) return {net, 24};
  return {net, 32};
}

std::string ip4_netname(std::uint32_t i, unsigned prefixlen) {
  if (i == 0 && prefixlen == 0) return "default";
  std::string line;
  if ((i & 0xffffff) == 0)
    line = strprintf("%u", i >> 24);
  else if ((i & 0xffff) == 0)
    line = strprintf("%u.%u", i >> 24, (i >> 16) & 0xff);
  else if ((i & 0xff) == 0)
    line = strprintf("%u.%u.%u", i >> 24, (i >> 16) & 0xff, (i >> 8) & 0xff);
  else
    line = ip4_to_string(i);
  // domask(): nothing for no mask or the classful one.
  std::uint32_t mask = ip4_mask(prefixlen);
  if (mask != 0 && mask != ip4_mask(ip4_classful_len(i))) line += strprintf("/%u", prefixlen);
  return line;
}

std::string ip6_mask_string(unsigned plen) {
  ip6_addr m;
  for (unsigned i = 0; i < 16; ++i) {
    unsigned bits = plen > i * 8 ? plen - i * 8 : 0;
    m.b[i] = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff00u >> bits);
  }
  return m.to_string();
}

std::string ip6_prefix_string(std::string_view addr, unsigned plen) {
  auto pct = addr.find('%');
  auto a = ip6_addr::parse(addr.substr(0, pct));
  if (!a) return std::string(addr);
  return a->masked(plen > 128 ? 128 : plen).to_string();
}

std::optional<embedded_zone> split_embedded_zone(std::string_view text) {
  if (text.find('%') != std::string_view::npos) return std::nullopt;
  auto a = ip6_addr::parse(text);
  if (!a) return std::nullopt;
  bool scoped = a->is_link_local() ||
                (a->is_multicast() && (a->multicast_scope() == 1 || a->multicast_scope() == 2));
  unsigned index = (static_cast<unsigned>(a->b[2]) << 8) | a->b[3];
  if (!scoped || index == 0) return std::nullopt;
  a->b[2] = 0;
  a->b[3] = 0;
  return embedded_zone{a->to_string(), index};
}

std::string bsd_strerror(std::string_view code, std::string_view fallback) {
  struct entry {
    std::string_view code;
    std::string_view text;
  };
  static constexpr std::array table{
      entry{"EPERM", "Operation not permitted"},
      entry{"ENOENT", "No such file or directory"},
      entry{"ESRCH", "No such process"},
      entry{"ENXIO", "Device not configured"},
      entry{"EBUSY", "Device busy"},
      entry{"EEXIST", "File exists"},
      entry{"EINVAL", "Invalid argument"},
      entry{"ENOBUFS", "No buffer space available"},
      entry{"EAFNOSUPPORT", "Address family not supported by protocol family"},
      entry{"EADDRNOTAVAIL", "Can't assign requested address"},
      entry{"ENETUNREACH", "Network is unreachable"},
      entry{"EHOSTUNREACH", "No route to host"},
  };
  for (const auto& e : table)
    if (e.code == code) return std::string(e.text);
  return std::string(fallback);
}

}  // namespace umi::tools
