#pragma once
// Neighbor Discovery messages and options (RFC 4861 §4).
//
// Neighbor Solicitation (type 135)      Neighbor Advertisement (type 136)
// +--------+--------+--------+--------+ +--------+--------+--------+--------+
// |  Type  |  Code  |    Checksum     | |  Type  |  Code  |    Checksum     |
// +--------+--------+--------+--------+ +-+-+-+--+--------+--------+--------+
// |             Reserved              | |R|S|O|       Reserved              |
// +--------+--------+--------+--------+ +-+-+-+--+--------+--------+--------+
// |      Target Address (16 octets)   | |      Target Address (16 octets)   |
// +--------+--------+--------+--------+ +--------+--------+--------+--------+
// |   Options ...                       |   Options ...
//
// Option: Type (8) | Length in units of 8 octets (8) | value ...
#include <cstdint>
#include <optional>

#include "stack/base/addr.hpp"
#include "stack/base/bytes.hpp"
#include "stack/base/result.hpp"
#include "stack/wire/error.hpp"

namespace umi::wire {

namespace nd_opt {
inline constexpr std::uint8_t src_lladdr = 1;
inline constexpr std::uint8_t tgt_lladdr = 2;
inline constexpr std::uint8_t prefix_info = 3;
inline constexpr std::uint8_t redirected_header = 4;
inline constexpr std::uint8_t mtu = 5;
}  // namespace nd_opt

// Options found in one message. Unknown options are skipped (RFC 4861 §4.6:
// "MUST silently ignore any options they do not recognize").
struct nd_options {
  std::optional<mac_addr> src_lladdr;
  std::optional<mac_addr> tgt_lladdr;
  std::optional<std::uint32_t> mtu;
  unsigned count = 0;
};

// RFC 4861 §4.6: every option has a non-zero length and lies within the
// message; a link-layer option shorter than 8 octets or not carrying a 6-byte
// Ethernet address is malformed.
result<nd_options, wire_error> parse_nd_options(bytes opts) noexcept;

class ns_view {
 public:
  static constexpr std::size_t header_len = 24;
  static result<ns_view, wire_error> parse(bytes msg) noexcept {
    if (msg.size() < header_len) return unexpected{wire_error::too_short};
    return ns_view(msg);
  }
  ip6_addr target() const noexcept { return addr_at(8); }
  bytes options() const noexcept { return b_.subspan(header_len); }

 private:
  explicit ns_view(bytes b) : b_(b) {}
  ip6_addr addr_at(std::size_t off) const noexcept {
    ip6_addr a;
    for (int i = 0; i < 16; ++i) a.b[i] = b_[off + i];
    return a;
  }
  bytes b_;
};

class na_view {
 public:
  static constexpr std::size_t header_len = 24;
  static constexpr std::uint8_t flag_router = 0x80;
  static constexpr std::uint8_t flag_solicited = 0x40;
  static constexpr std::uint8_t flag_override = 0x20;

  static result<na_view, wire_error> parse(bytes msg) noexcept {
    if (msg.size() < header_len) return unexpected{wire_error::too_short};
    return na_view(msg);
  }
  bool router() const noexcept { return (b_[4] & flag_router) != 0; }
  bool solicited() const noexcept { return (b_[4] & flag_solicited) != 0; }
  bool override_flag() const noexcept { return (b_[4] & flag_override) != 0; }
  ip6_addr target() const noexcept {
    ip6_addr a;
    for (int i = 0; i < 16; ++i) a.b[i] = b_[8 + i];
    return a;
  }
  bytes options() const noexcept { return b_.subspan(header_len); }

 private:
  explicit na_view(bytes b) : b_(b) {}
  bytes b_;
};

// Router Solicitation / Advertisement: only the option offsets matter until
// the router and host sides of RA processing land.
inline constexpr std::size_t rs_header_len = 8;
inline constexpr std::size_t ra_header_len = 16;
inline constexpr std::size_t redirect_header_len = 40;

// Emitters write a whole ICMPv6 message (checksum left zero) and return its
// length; `out` must be at least that long (32 bytes with one lladdr option).
std::size_t emit_ns(mut_bytes out, const ip6_addr& target,
                    const std::optional<mac_addr>& src_lladdr) noexcept;
std::size_t emit_na(mut_bytes out, const ip6_addr& target, bool router, bool solicited,
                    bool override_flag, const std::optional<mac_addr>& tgt_lladdr) noexcept;

}  // namespace umi::wire
