#pragma once
// ICMPv6 (RFC 4443 §2.1) and Echo (§4.1).
//
//  0                   1                   2                   3
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      |     Code      |          Checksum             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                         Message Body                          |
//
// Echo body: Identifier (16) | Sequence Number (16) | Data ...
#include <cstdint>

#include "stack/base/bytes.hpp"
#include "stack/base/result.hpp"
#include "stack/wire/error.hpp"

namespace umi::wire {

namespace icmp6_type {
inline constexpr std::uint8_t dst_unreach = 1;
inline constexpr std::uint8_t packet_too_big = 2;
inline constexpr std::uint8_t time_exceeded = 3;
inline constexpr std::uint8_t param_problem = 4;
inline constexpr std::uint8_t echo_request = 128;
inline constexpr std::uint8_t echo_reply = 129;
inline constexpr std::uint8_t router_solicit = 133;
inline constexpr std::uint8_t router_advert = 134;
inline constexpr std::uint8_t neighbor_solicit = 135;
inline constexpr std::uint8_t neighbor_advert = 136;
inline constexpr std::uint8_t redirect = 137;
inline constexpr std::uint8_t ni_query = 139;
inline constexpr std::uint8_t ni_reply = 140;
}  // namespace icmp6_type

// RFC 4443 §2.4 (e.1): types < 128 are errors.
constexpr bool is_icmp6_error(std::uint8_t type) noexcept {
  return type < 128;
}

class icmpv6_view {
 public:
  static constexpr std::size_t header_len = 4;

  static result<icmpv6_view, wire_error> parse(bytes b) noexcept {
    if (b.size() < header_len) return unexpected{wire_error::too_short};
    return icmpv6_view(b);
  }
  std::uint8_t type() const noexcept { return b_[0]; }
  std::uint8_t code() const noexcept { return b_[1]; }
  std::uint16_t checksum() const noexcept { return load_be16(&b_[2]); }
  bytes body() const noexcept { return b_.subspan(header_len); }
  bytes message() const noexcept { return b_; }

 private:
  explicit icmpv6_view(bytes b) : b_(b) {}
  bytes b_;
};

class echo_view {
 public:
  static constexpr std::size_t header_len = 8;

  // `msg` is the whole ICMPv6 message (type 128 or 129).
  static result<echo_view, wire_error> parse(bytes msg) noexcept {
    if (msg.size() < header_len) return unexpected{wire_error::too_short};
    return echo_view(msg);
  }
  std::uint16_t ident() const noexcept { return load_be16(&b_[4]); }
  std::uint16_t seq() const noexcept { return load_be16(&b_[6]); }
  bytes data() const noexcept { return b_.subspan(header_len); }

 private:
  explicit echo_view(bytes b) : b_(b) {}
  bytes b_;
};

}  // namespace umi::wire
