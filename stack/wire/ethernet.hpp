#pragma once
// Ethernet II header (IEEE 802.3 / RFC 894).
//
//  0                   1                   2                   3
//  +---------------+---------------+---------------+---------------+
//  |                  destination MAC (6 octets)                   |
//  +                               +-------------------------------+
//  |                               |                               |
//  +-------------------------------+                               +
//  |                    source MAC (6 octets)                      |
//  +---------------+---------------+---------------+---------------+
//  |           ethertype           |
//  +-------------------------------+
#include <algorithm>
#include <cstdint>

#include "stack/base/addr.hpp"
#include "stack/base/bytes.hpp"
#include "stack/base/result.hpp"
#include "stack/wire/error.hpp"

namespace umi::wire {

enum class ethertype : std::uint16_t { ipv4 = 0x0800, arp = 0x0806, vlan = 0x8100, ipv6 = 0x86dd };

class ethernet_view {
 public:
  static constexpr std::size_t header_len = 14;

  static result<ethernet_view, wire_error> parse(bytes b) noexcept {
    if (b.size() < header_len) return unexpected{wire_error::too_short};
    return ethernet_view(b);
  }
  mac_addr dst() const noexcept { return mac_at(0); }
  mac_addr src() const noexcept { return mac_at(6); }
  std::uint16_t type() const noexcept { return load_be16(&b_[12]); }
  bytes payload() const noexcept { return b_.subspan(header_len); }

 private:
  explicit ethernet_view(bytes b) : b_(b) {}
  mac_addr mac_at(std::size_t off) const noexcept {
    mac_addr m;
    std::copy_n(&b_[off], 6, m.b.begin());
    return m;
  }
  bytes b_;
};

struct ethernet_repr {
  mac_addr dst;
  mac_addr src;
  std::uint16_t type = 0;

  // Writes all 14 bytes; out must hold header_len bytes.
  void emit(mut_bytes out) const noexcept {
    std::copy(dst.b.begin(), dst.b.end(), out.begin());
    std::copy(src.b.begin(), src.b.end(), out.begin() + 6);
    store_be16(&out[12], type);
  }
};

}  // namespace umi::wire
