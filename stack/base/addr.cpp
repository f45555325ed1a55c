#include "stack/base/addr.hpp"

#include <arpa/inet.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstring>

namespace umi {

std::optional<mac_addr> mac_addr::parse(std::string_view s) {
  mac_addr m;
  unsigned i = 0;
  std::size_t pos = 0;
  while (i < 6) {
    std::size_t end = s.find(':', pos);
    std::string_view part = s.substr(pos, end == std::string_view::npos ? s.npos : end - pos);
    if (part.empty() || part.size() > 2) return std::nullopt;
    unsigned v = 0;
    for (char c : part) {
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        return std::nullopt;
      }
    }
    m.b[i++] = static_cast<std::uint8_t>(v);
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  if (i != 6) return std::nullopt;
  // Exactly five separators: nothing may follow the sixth byte.
  std::size_t colons = 0;
  for (char c : s) colons += (c == ':');
  if (colons != 5) return std::nullopt;
  return m;
}

std::string mac_addr::to_string() const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%x:%x:%x:%x:%x:%x", b[0], b[1], b[2], b[3], b[4], b[5]);
  return buf;
}

std::string mac_addr::to_padded_string() const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
                b[5]);
  return buf;
}

std::optional<ip6_addr> ip6_addr::parse(std::string_view s) {
  if (s.empty() || s.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  ip6_addr a;
  if (inet_pton(AF_INET6, buf, a.b.data()) != 1) return std::nullopt;
  return a;
}

std::string ip6_addr::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, b.data(), buf, sizeof buf);
  return buf;
}

bool ip6_addr::is_solicited_node() const noexcept {
  static constexpr std::array<std::uint8_t, 13> pfx{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
  return std::memcmp(b.data(), pfx.data(), pfx.size()) == 0;
}

ip6_addr ip6_addr::solicited_node() const noexcept {
  ip6_addr g{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 0}};
  g.b[13] = b[13];
  g.b[14] = b[14];
  g.b[15] = b[15];
  return g;
}

bool ip6_addr::matches_prefix(const ip6_addr& prefix, unsigned plen) const noexcept {
  return masked(plen) == prefix.masked(plen);
}

ip6_addr ip6_addr::masked(unsigned plen) const noexcept {
  ip6_addr r;
  if (plen > 128) plen = 128;
  unsigned full = plen / 8;
  for (unsigned i = 0; i < full; ++i) r.b[i] = b[i];
  if (plen % 8 != 0) r.b[full] = static_cast<std::uint8_t>(b[full] & (0xff << (8 - plen % 8)));
  return r;
}

mac_addr ip6_addr::multicast_mac() const noexcept {
  return mac_addr{{0x33, 0x33, b[12], b[13], b[14], b[15]}};
}

std::array<std::uint8_t, 8> eui64_from_mac(const mac_addr& mac) noexcept {
  return {static_cast<std::uint8_t>(mac.b[0] ^ 0x02),
          mac.b[1],
          mac.b[2],
          0xff,
          0xfe,
          mac.b[3],
          mac.b[4],
          mac.b[5]};
}

ip6_addr make_addr(const ip6_addr& prefix, const std::array<std::uint8_t, 8>& ifid) noexcept {
  ip6_addr a = prefix.masked(64);
  for (int i = 0; i < 8; ++i) a.b[8 + i] = ifid[i];
  return a;
}

ip6_addr link_local_from_mac(const mac_addr& mac) noexcept {
  return make_addr(ip6_addr{{0xfe, 0x80}}, eui64_from_mac(mac));
}

std::array<std::uint8_t, 8> ifid_from_hostname(std::string_view hostname) {
  std::array<std::uint8_t, 16> digest{};
  unsigned len = 0;
  EVP_Digest(hostname.data(), hostname.size(), digest.data(), &len, EVP_md5(), nullptr);
  std::array<std::uint8_t, 8> id{};
  for (int i = 0; i < 8; ++i) id[i] = digest[i];
  // KAME get_rand_ifid: g bit cleared (individual), u bit set, then the
  // EUI-64 to interface-identifier conversion inverts u (RFC 4291 App. A):
  // the result is a locally generated, individual identifier.
  id[0] &= static_cast<std::uint8_t>(~0x01);
  id[0] |= 0x02;
  id[0] ^= 0x02;
  return id;
}

}  // namespace umi
