#pragma once
// Router Solicitation and Router Advertisement as a host reads and sends
// them (RFC 4861 §4.1, §4.2, §4.6.2, §4.6.4).
//
// Router Solicitation (type 133)        Router Advertisement (type 134)
// +--------+--------+--------+--------+ +--------+--------+--------+--------+
// |  Type  |  Code  |    Checksum     | |  Type  |  Code  |    Checksum     |
// +--------+--------+--------+--------+ +--------+-+-+----+--------+--------+
// |             Reserved              | |Cur Hop |M|O|Rsv |  Router Lifetime|
// +--------+--------+--------+--------+ +--------+-+-+----+--------+--------+
// |   Options ...                       |          Reachable Time (ms)      |
//                                       +--------+--------+--------+--------+
//                                       |          Retrans Timer (ms)       |
//                                       +--------+--------+--------+--------+
//                                       |   Options ...
//
// Prefix Information option (type 3, length 4)
// +--------+--------+--------+-+-+------+
// |  Type  | Length | PfxLen |L|A| Rsvd1|
// +--------+--------+--------+-+-+------+
// |        Valid Lifetime (s)           |
// |        Preferred Lifetime (s)       |
// |        Reserved2                    |
// |        Prefix (16 octets)           |
// +-------------------------------------+
#include <cstdint>
#include <optional>
#include <vector>

#include "stack/base/addr.hpp"
#include "stack/base/bytes.hpp"
#include "stack/base/result.hpp"
#include "stack/wire/error.hpp"

namespace umi::wire {

// A lifetime of all ones is infinity (RFC 4861 §4.2, §4.6.2).
inline constexpr std::uint32_t infinite_lifetime = 0xffffffffu;

class ra_view {
 public:
  static constexpr std::size_t header_len = 16;
  static constexpr std::uint8_t flag_managed = 0x80;
  static constexpr std::uint8_t flag_other = 0x40;

  static result<ra_view, wire_error> parse(bytes msg) noexcept {
    if (msg.size() < header_len) return unexpected{wire_error::too_short};
    return ra_view(msg);
  }
  std::uint8_t cur_hop_limit() const noexcept { return b_[4]; }
  bool managed() const noexcept { return (b_[5] & flag_managed) != 0; }
  bool other() const noexcept { return (b_[5] & flag_other) != 0; }
  std::uint16_t router_lifetime() const noexcept { return load_be16(&b_[6]); }  // seconds
  std::uint32_t reachable_time() const noexcept { return load_be32(&b_[8]); }   // ms, 0: unspec
  std::uint32_t retrans_timer() const noexcept { return load_be32(&b_[12]); }   // ms, 0: unspec
  bytes options() const noexcept { return b_.subspan(header_len); }

 private:
  explicit ra_view(bytes b) : b_(b) {}
  bytes b_;
};

// One Prefix Information option, decoded.
struct prefix_info {
  std::uint8_t prefix_len = 0;
  bool onlink = false;      // L
  bool autonomous = false;  // A
  std::uint32_t valid_lifetime = 0;
  std::uint32_t preferred_lifetime = 0;
  ip6_addr prefix;
};

class prefix_info_view {
 public:
  static constexpr std::size_t len = 32;
  static constexpr std::uint8_t flag_onlink = 0x80;
  static constexpr std::uint8_t flag_autonomous = 0x40;

  // The whole option, type and length octets included.
  static result<prefix_info_view, wire_error> parse(bytes opt) noexcept {
    if (opt.size() < len) return unexpected{wire_error::too_short};
    if (opt[1] != len / 8) return unexpected{wire_error::bad_option};
    return prefix_info_view(opt.first(len));
  }
  std::uint8_t prefix_len() const noexcept { return b_[2]; }
  bool onlink() const noexcept { return (b_[3] & flag_onlink) != 0; }
  bool autonomous() const noexcept { return (b_[3] & flag_autonomous) != 0; }
  std::uint32_t valid_lifetime() const noexcept { return load_be32(&b_[4]); }
  std::uint32_t preferred_lifetime() const noexcept { return load_be32(&b_[8]); }
  ip6_addr prefix() const noexcept {
    ip6_addr a;
    for (int i = 0; i < 16; ++i) a.b[i] = b_[16 + i];
    return a;
  }
  prefix_info decode() const noexcept {
    return {prefix_len(), onlink(), autonomous(), valid_lifetime(), preferred_lifetime(), prefix()};
  }

 private:
  explicit prefix_info_view(bytes b) : b_(b) {}
  bytes b_;
};

// The options of one RA. A malformed option (zero length, truncated, wrong
// length for its type) makes the whole message invalid (RFC 4861 §6.1.2);
// a prefix option whose prefix length exceeds 128 is skipped and counted
// (the value "ranges from 0 to 128", §4.6.2). Unknown options are ignored.
struct ra_options {
  std::optional<mac_addr> src_lladdr;
  std::optional<std::uint32_t> mtu;
  std::vector<prefix_info> prefixes;
  unsigned bad_prefix_len = 0;
  unsigned count = 0;
};
result<ra_options, wire_error> parse_ra_options(bytes opts);

// Router Solicitation: 8 octets, plus the source link-layer address option
// when the sender has an address (RFC 4861 §4.1). `out` must hold 16 bytes.
inline constexpr std::size_t rs_max_len = 16;
std::size_t emit_rs(mut_bytes out, const std::optional<mac_addr>& src_lladdr) noexcept;

}  // namespace umi::wire
