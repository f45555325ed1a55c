#pragma once
// Walking the IPv6 extension-header chain (RFC 8200 §4).
//
// Generic extension header layout (hop-by-hop, routing, destination options):
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Next Header  |  Hdr Ext Len  |                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//  |            (Hdr Ext Len + 1) * 8 octets in all                |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// The fragment header is always 8 octets.
#include <cstdint>
#include <optional>
#include <utility>

#include "stack/wire/ipv6.hpp"

namespace umi::wire {

struct ext_walk {
  enum class status : std::uint8_t {
    ok,             // upper/upper_offset name the first non-extension header
    param_problem,  // send ICMPv6 Parameter Problem (icmp_code, pointer) and drop
    discard,        // drop silently (option action 01, 11 to a multicast dst, option flood)
    too_many,       // more extension headers than allowed
    truncated,      // a header runs past the end of the packet
    fragment,       // a non-atomic fragment: needs reassembly
  };
  status st = status::ok;
  std::uint8_t upper = 0;
  std::uint16_t upper_offset = 0;     // from the start of the IPv6 header
  std::uint16_t nh_field_offset = 0;  // where the byte holding `upper` sits
  std::uint8_t icmp_code = 0;  // for param_problem: 0 erroneous field, 1 next header, 2 option
  std::uint32_t pointer = 0;   // for param_problem
  std::uint8_t headers = 0;    // extension headers walked
};

struct ext_limits {
  unsigned max_headers = 15;  // net.inet6.ip6.hdrnestlimit
  unsigned max_options_per_header = 32;
};

// Walks the chain of a validated packet. Recognised extension headers are
// hop-by-hop (first only), routing (segments left 0 only), destination
// options, and atomic fragments (RFC 6946); everything else ends the walk and
// is reported as `upper` for the caller to dispatch or reject.
ext_walk walk_extension_headers(const ipv6_view& ip, const ext_limits& limits = {}) noexcept;

// The upper-layer protocol and its offset, skipping extension headers
// without judging them (KAME ip6_lasthdr): for deciding how to treat a packet
// that failed elsewhere. nullopt when the chain runs past the packet or a
// non-first fragment hides the upper layer.
std::optional<std::pair<std::uint8_t, std::size_t>> find_upper_layer(const ipv6_view& ip) noexcept;

constexpr bool is_extension_header(std::uint8_t nh) noexcept {
  return nh == 0 || nh == 43 || nh == 44 || nh == 60;
}

}  // namespace umi::wire
