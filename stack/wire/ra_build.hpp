#pragma once
// Router Advertisement building (RFC 4861 §4.2, §4.6.1, §4.6.2, §4.6.4), and
// the small reader a router needs to compare another router's RA with its
// own (§6.2.7).
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      |     Code      |          Checksum             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Cur Hop Limit |M|O|  Reserved |       Router Lifetime         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                         Reachable Time                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                          Retrans Timer                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   Options ...
//
// Prefix Information option (type 3, length 4):
// | Type | Length | Prefix Length |L|A| Reserved1 |
// |                      Valid Lifetime                           |
// |                    Preferred Lifetime                         |
// |                         Reserved2                             |
// |                   Prefix (16 octets)                          |
#include <cstdint>
#include <optional>
#include <vector>

#include "stack/base/addr.hpp"
#include "stack/base/bytes.hpp"
#include "stack/base/result.hpp"
#include "stack/wire/error.hpp"

namespace umi::wire {

namespace ra_field {
inline constexpr std::size_t cur_hop_limit = 4;
inline constexpr std::size_t flags = 5;
inline constexpr std::size_t router_lifetime = 6;
inline constexpr std::size_t reachable_time = 8;
inline constexpr std::size_t retrans_timer = 12;
}  // namespace ra_field

inline constexpr std::uint8_t ra_flag_managed = 0x80;
inline constexpr std::uint8_t ra_flag_other = 0x40;
inline constexpr std::uint8_t pi_flag_onlink = 0x80;
inline constexpr std::uint8_t pi_flag_auto = 0x40;
inline constexpr std::size_t prefix_info_len = 32;

struct ra_prefix {
  ip6_addr prefix;
  std::uint8_t plen = 64;
  std::uint8_t flags = pi_flag_onlink | pi_flag_auto;  // L and A bits as on the wire
  std::uint32_t vltime = 2592000;
  std::uint32_t pltime = 604800;
};

// Everything one RA says, in host order.
struct ra_repr {
  std::uint8_t cur_hop_limit = 64;
  std::uint8_t flags = 0;  // M, O (and any other bits of that octet, as given)
  std::uint16_t router_lifetime = 1800;
  std::uint32_t reachable_time = 0;
  std::uint32_t retrans_timer = 0;
  std::optional<mac_addr> src_lladdr;
  std::optional<std::uint32_t> mtu;
  std::vector<ra_prefix> prefixes;

  std::size_t length() const noexcept {
    return 16 + (src_lladdr ? 8 : 0) + (mtu ? 8 : 0) + prefixes.size() * prefix_info_len;
  }
  // The whole ICMPv6 message, checksum left zero; options in the order KAME
  // rtadvd sends them: source link-layer address, MTU, prefixes.
  std::vector<std::uint8_t> emit() const;
  // Checked reader of a received RA: the fixed part and well-formed options
  // (RFC 4861 §4.6). Options other than these three are skipped.
  static result<ra_repr, wire_error> parse(bytes msg);
};

}  // namespace umi::wire
