#pragma once
// IPv6 and link-layer address value types (RFC 4291) and the derivations the
// stack needs: EUI-64 interface identifiers, solicited-node groups and the
// Ethernet mapping of IPv6 multicast (RFC 2464 §7).
#include <array>
#include <bit>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace umi {

namespace detail {
// Addresses as 64-bit words: comparisons then cost two word compares instead
// of the libc memcmp call that a defaulted <=> over std::array<uint8_t, N>
// becomes. raw*: native byte order (equality); be*: big-endian (ordering).
// A byte-by-byte assembly is not reliably merged into one load, so outside
// constant evaluation these are memcpy (one load) and a byte swap.
template <std::size_t N>
constexpr std::uint64_t raw_word(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  if (std::is_constant_evaluated()) {
    for (std::size_t i = 0; i < N; ++i) v |= std::uint64_t{p[i]} << (8 * i);
  } else {
    std::memcpy(&v, p, N);
  }
  return v;
}
template <std::size_t N>
constexpr std::uint64_t be_word(const std::uint8_t* p) noexcept {
  if (std::is_constant_evaluated()) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < N; ++i) v = (v << 8) | p[i];
    return v;
  }
  static_assert(std::endian::native == std::endian::little);
  return __builtin_bswap64(raw_word<N>(p)) >> (64 - 8 * N);
}
}  // namespace detail

struct mac_addr {
  std::array<std::uint8_t, 6> b{};

  static std::optional<mac_addr> parse(std::string_view s);  // "0:1:2:a:bb:cc"
  // KAME/BSD form: "%x:%x:%x:%x:%x:%x" without zero padding.
  std::string to_string() const;
  // Zero-padded form "02:00:00:00:00:01".
  std::string to_padded_string() const;
  bool is_multicast() const noexcept { return (b[0] & 1) != 0; }
  bool is_broadcast() const noexcept {
    return b == std::array<std::uint8_t, 6>{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  }
  bool is_zero() const noexcept { return b == std::array<std::uint8_t, 6>{}; }
  constexpr std::uint64_t as_u64() const noexcept { return detail::be_word<6>(b.data()); }
  friend constexpr bool operator==(const mac_addr& x, const mac_addr& y) noexcept {
    // A 4- and a 2-byte load each: assembling 6 bytes into one word went
    // through the stack and stalled store forwarding.
    return ((detail::raw_word<4>(x.b.data()) ^ detail::raw_word<4>(y.b.data())) |
            (detail::raw_word<2>(x.b.data() + 4) ^ detail::raw_word<2>(y.b.data() + 4))) == 0;
  }
  friend constexpr std::strong_ordering operator<=>(const mac_addr& x, const mac_addr& y) noexcept {
    return x.as_u64() <=> y.as_u64();
  }
};

struct ip6_addr {
  std::array<std::uint8_t, 16> b{};

  static std::optional<ip6_addr> parse(std::string_view s);  // numeric only, no zone
  std::string to_string() const;                             // RFC 5952 (inet_ntop)

  bool is_unspecified() const noexcept {
    return (detail::raw_word<8>(b.data()) | detail::raw_word<8>(b.data() + 8)) == 0;
  }
  bool is_loopback() const noexcept { return hi() == 0 && lo() == 1; }
  bool is_multicast() const noexcept { return b[0] == 0xff; }
  bool is_link_local() const noexcept { return b[0] == 0xfe && (b[1] & 0xc0) == 0x80; }
  bool is_site_local() const noexcept { return b[0] == 0xfe && (b[1] & 0xc0) == 0xc0; }
  // Multicast scope (RFC 4291 §2.7): low nibble of the second byte.
  std::uint8_t multicast_scope() const noexcept { return b[1] & 0x0f; }
  bool is_link_scope() const noexcept {  // link-local unicast or ff02::/16 style
    return is_link_local() || (is_multicast() && multicast_scope() <= 2);
  }
  bool is_solicited_node() const noexcept;
  // RFC 4291 §2.7.1 solicited-node group ff02::1:ffXX:XXXX for this address.
  ip6_addr solicited_node() const noexcept;
  bool matches_prefix(const ip6_addr& prefix, unsigned plen) const noexcept;
  ip6_addr masked(unsigned plen) const noexcept;
  // Ethernet destination for an IPv6 multicast address: 33:33 + low 32 bits.
  mac_addr multicast_mac() const noexcept;

  // The address as two big-endian 64-bit halves.
  constexpr std::uint64_t hi() const noexcept { return detail::be_word<8>(b.data()); }
  constexpr std::uint64_t lo() const noexcept { return detail::be_word<8>(b.data() + 8); }
  friend constexpr bool operator==(const ip6_addr& x, const ip6_addr& y) noexcept {
    using detail::raw_word;
    return ((raw_word<8>(x.b.data()) ^ raw_word<8>(y.b.data())) |
            (raw_word<8>(x.b.data() + 8) ^ raw_word<8>(y.b.data() + 8))) == 0;
  }
  friend constexpr std::strong_ordering operator<=>(const ip6_addr& x, const ip6_addr& y) noexcept {
    if (x.hi() != y.hi()) return x.hi() <=> y.hi();
    return x.lo() <=> y.lo();
  }
};

namespace ip6 {
inline constexpr ip6_addr all_nodes{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
inline constexpr ip6_addr all_routers{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
inline constexpr ip6_addr node_local_all_nodes{
    {0xff, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
}  // namespace ip6

// RFC 4291 App. A: modified EUI-64 interface identifier from a 48-bit MAC
// (insert ff:fe in the middle, invert the universal/local bit).
std::array<std::uint8_t, 8> eui64_from_mac(const mac_addr& mac) noexcept;
// fe80::/64 + EUI-64.
ip6_addr link_local_from_mac(const mac_addr& mac) noexcept;
// KAME last resort when no EUI-64 source exists: the interface identifier is
// the first 8 bytes of MD5(hostname) with the universal/local bit cleared
// (in6_ifattach.c get_hostid_ifid). Implemented with OpenSSL's MD5.
std::array<std::uint8_t, 8> ifid_from_hostname(std::string_view hostname);
// prefix (first plen bits, plen <= 64) + interface identifier.
ip6_addr make_addr(const ip6_addr& prefix, const std::array<std::uint8_t, 8>& ifid) noexcept;

// KAME's embedded zone: a link-scope address (fe80::/10, ff02::/16 and
// narrower multicast) carries its interface index in the second 16-bit word
// inside routing tables. Other addresses are returned unchanged.
inline ip6_addr with_zone(ip6_addr a, unsigned ifindex) noexcept {
  if (a.is_link_scope()) {
    a.b[2] = static_cast<std::uint8_t>(ifindex >> 8);
    a.b[3] = static_cast<std::uint8_t>(ifindex);
  }
  return a;
}
// The embedded zone of a link-scope address (0 when none), and the address without it.
inline unsigned embedded_zone(const ip6_addr& a) noexcept {
  return a.is_link_scope() ? (unsigned{a.b[2]} << 8) | a.b[3] : 0;
}
inline ip6_addr without_zone(const ip6_addr& a) noexcept {
  return with_zone(a, 0);
}

}  // namespace umi
