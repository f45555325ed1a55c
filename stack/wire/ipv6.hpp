#pragma once
// IPv6 fixed header (RFC 8200 §3).
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version| Traffic Class |           Flow Label                  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Payload Length        |  Next Header  |   Hop Limit   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                      Source Address (16)                      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                   Destination Address (16)                    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#include <algorithm>
#include <cstdint>

#include "stack/base/addr.hpp"
#include "stack/base/bytes.hpp"
#include "stack/base/result.hpp"
#include "stack/wire/error.hpp"

namespace umi::wire {

enum class ip_proto : std::uint8_t {
  hop_by_hop = 0,
  ipv4 = 4,
  tcp = 6,
  udp = 17,
  ipv6 = 41,
  routing = 43,
  fragment = 44,
  esp = 50,
  ah = 51,
  icmpv6 = 58,
  no_next = 59,
  dst_opts = 60,
};

namespace ipv6_field {
inline constexpr std::size_t ver_tc_fl = 0;
inline constexpr std::size_t payload_len = 4;
inline constexpr std::size_t next_header = 6;
inline constexpr std::size_t hop_limit = 7;
inline constexpr std::size_t src = 8;
inline constexpr std::size_t dst = 24;
}  // namespace ipv6_field

class ipv6_view {
 public:
  static constexpr std::size_t header_len = 40;

  // Checks the fixed header and that the payload length fits the buffer.
  // Trailing bytes beyond the payload (Ethernet padding) are excluded from
  // packet(); a payload length of zero with a hop-by-hop header (jumbogram,
  // RFC 2675) is not supported and reported as bad_length.
  static result<ipv6_view, wire_error> parse(bytes b) noexcept {
    if (b.size() < header_len) return unexpected{wire_error::too_short};
    if ((b[0] >> 4) != 6) return unexpected{wire_error::bad_version};
    std::size_t plen = load_be16(&b[ipv6_field::payload_len]);
    if (header_len + plen > b.size()) return unexpected{wire_error::bad_length};
    return ipv6_view(b.first(header_len + plen));
  }

  std::uint8_t traffic_class() const noexcept {
    return static_cast<std::uint8_t>((load_be16(&b_[0]) >> 4) & 0xff);
  }
  std::uint32_t flow_label() const noexcept { return load_be32(&b_[0]) & 0xfffff; }
  std::uint16_t payload_length() const noexcept { return load_be16(&b_[ipv6_field::payload_len]); }
  std::uint8_t next_header() const noexcept { return b_[ipv6_field::next_header]; }
  std::uint8_t hop_limit() const noexcept { return b_[ipv6_field::hop_limit]; }
  ip6_addr src() const noexcept { return addr_at(ipv6_field::src); }
  ip6_addr dst() const noexcept { return addr_at(ipv6_field::dst); }
  bytes payload() const noexcept { return b_.subspan(header_len); }
  bytes packet() const noexcept { return b_; }

 private:
  explicit ipv6_view(bytes b) : b_(b) {}
  ip6_addr addr_at(std::size_t off) const noexcept {
    ip6_addr a;
    std::copy_n(&b_[off], 16, a.b.begin());
    return a;
  }
  bytes b_;
};

struct ipv6_repr {
  ip6_addr src;
  ip6_addr dst;
  std::uint8_t next_header = 0;
  std::uint8_t hop_limit = 64;
  std::uint16_t payload_length = 0;
  std::uint8_t traffic_class = 0;
  std::uint32_t flow_label = 0;

  static ipv6_repr from(const ipv6_view& v) noexcept {
    return {v.src(),           v.dst(),       v.next_header(), v.hop_limit(), v.payload_length(),
            v.traffic_class(), v.flow_label()};
  }
  // Writes all 40 bytes.
  void emit(mut_bytes out) const noexcept {
    store_be32(&out[0], (6u << 28) | (std::uint32_t{traffic_class} << 20) | (flow_label & 0xfffff));
    store_be16(&out[ipv6_field::payload_len], payload_length);
    out[ipv6_field::next_header] = next_header;
    out[ipv6_field::hop_limit] = hop_limit;
    std::copy(src.b.begin(), src.b.end(), out.begin() + ipv6_field::src);
    std::copy(dst.b.begin(), dst.b.end(), out.begin() + ipv6_field::dst);
  }
};

}  // namespace umi::wire
