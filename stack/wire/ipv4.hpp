#pragma once
// IPv4 header (RFC 791 §3.1) and the RFC 1624 incremental checksum update
// used when the TTL is decremented.
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version|  IHL  |Type of Service|          Total Length         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Identification        |Flags|      Fragment Offset    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Time to Live |    Protocol   |         Header Checksum       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                       Source Address                          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Destination Address                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Options (IHL > 5)                          |
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "stack/base/bytes.hpp"
#include "stack/base/result.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/error.hpp"

namespace umi::wire {

// Host-order IPv4 address helpers.
std::optional<std::uint32_t> parse_ip4(std::string_view s);
std::string ip4_to_string(std::uint32_t a);

namespace ipv4_field {
inline constexpr std::size_t ver_ihl = 0;
inline constexpr std::size_t total_len = 2;
inline constexpr std::size_t frag = 6;
inline constexpr std::size_t ttl = 8;
inline constexpr std::size_t proto = 9;
inline constexpr std::size_t checksum = 10;
inline constexpr std::size_t src = 12;
inline constexpr std::size_t dst = 16;
}  // namespace ipv4_field

enum class ipv4_error : std::uint8_t {
  too_short,
  bad_version,
  bad_hlen,
  bad_length,         // total length beyond the frame
  length_below_hlen,  // total length smaller than the header length
  bad_checksum
};

class ipv4_view {
 public:
  static constexpr std::size_t min_header_len = 20;

  // Checks version, header length, total length against the buffer and the
  // header checksum (RFC 1812 §5.2.2). Trailing padding is excluded.
  static result<ipv4_view, ipv4_error> parse(bytes b) noexcept {
    if (b.size() < min_header_len) return unexpected{ipv4_error::too_short};
    if ((b[0] >> 4) != 4) return unexpected{ipv4_error::bad_version};
    const std::size_t hlen = std::size_t{b[0] & 0x0fu} * 4;
    if (hlen < min_header_len || hlen > b.size()) return unexpected{ipv4_error::bad_hlen};
    const std::size_t tlen = load_be16(&b[ipv4_field::total_len]);
    if (tlen < hlen) return unexpected{ipv4_error::length_below_hlen};
    if (tlen > b.size()) return unexpected{ipv4_error::bad_length};
    if (!ipv4_header_sum_ok(b.data(), hlen)) return unexpected{ipv4_error::bad_checksum};
    return ipv4_view(b.first(tlen), hlen);
  }

  std::size_t header_len() const noexcept { return hlen_; }
  std::uint16_t total_length() const noexcept { return load_be16(&b_[ipv4_field::total_len]); }
  std::uint8_t tos() const noexcept { return b_[1]; }
  std::uint16_t ident() const noexcept { return load_be16(&b_[4]); }
  bool dont_fragment() const noexcept { return (b_[ipv4_field::frag] & 0x40) != 0; }
  bool more_fragments() const noexcept { return (b_[ipv4_field::frag] & 0x20) != 0; }
  std::uint16_t frag_offset() const noexcept { return load_be16(&b_[ipv4_field::frag]) & 0x1fff; }
  bool is_fragment() const noexcept { return more_fragments() || frag_offset() != 0; }
  std::uint8_t ttl() const noexcept { return b_[ipv4_field::ttl]; }
  std::uint8_t protocol() const noexcept { return b_[ipv4_field::proto]; }
  std::uint32_t src() const noexcept { return load_be32(&b_[ipv4_field::src]); }
  std::uint32_t dst() const noexcept { return load_be32(&b_[ipv4_field::dst]); }
  bytes payload() const noexcept { return b_.subspan(hlen_); }
  bytes packet() const noexcept { return b_; }

 private:
  ipv4_view(bytes b, std::size_t hlen) : b_(b), hlen_(hlen) {}
  bytes b_;
  std::size_t hlen_;
};

struct ipv4_repr {
  std::uint32_t src = 0;
  std::uint32_t dst = 0;
  std::uint8_t protocol = 0;
  std::uint8_t ttl = 64;
  std::uint16_t total_length = 20;
  std::uint16_t ident = 0;
  bool dont_fragment = false;
  std::uint8_t tos = 0;

  // Writes a 20-byte header with its checksum.
  void emit(mut_bytes out) const noexcept {
    out[0] = 0x45;
    out[1] = tos;
    store_be16(&out[2], total_length);
    store_be16(&out[4], ident);
    store_be16(&out[6], dont_fragment ? 0x4000 : 0);
    out[ipv4_field::ttl] = ttl;
    out[ipv4_field::proto] = protocol;
    store_be16(&out[ipv4_field::checksum], 0);
    store_be32(&out[ipv4_field::src], src);
    store_be32(&out[ipv4_field::dst], dst);
    store_be16(&out[ipv4_field::checksum],
               static_cast<std::uint16_t>(~fold(sum16(bytes(out.data(), 20)))));
  }
};

namespace detail {
// HC' = ~(~HC + d) with one end-around carry, on the checksum as loaded; `be`
// is d as a big-endian word.
inline void ipv4_checksum_add(mut_bytes hdr, std::uint16_t be) noexcept {
  const std::uint32_t d = std::endian::native == std::endian::little ? __builtin_bswap16(be) : be;
  std::uint16_t hc;
  std::memcpy(&hc, &hdr[ipv4_field::checksum], 2);
  std::uint32_t sum = static_cast<std::uint16_t>(~hc) + d;
  sum = (sum & 0xffff) + (sum >> 16);  // below 0x1fffe: one carry leaves 16 bits
  hc = static_cast<std::uint16_t>(~sum);
  std::memcpy(&hdr[ipv4_field::checksum], &hc, 2);
}
}  // namespace detail

// Decrements the TTL in place and patches the checksum (RFC 1624 eqn. 3,
// HC' = ~(~HC + ~m + m')). The word m holding the TTL drops by 0x100, so
// ~m + m' is 0xfeff whatever the protocol byte; 0xff00 (mod 0xffff) when the
// TTL wraps from 0. The sum is taken on the checksum as loaded: one's
// complement sums commute with swapping the bytes of every word (RFC 1071
// §2(B)), so the byte-swapped constants give the byte-swapped result.
inline void ipv4_decrement_ttl(mut_bytes hdr) noexcept {
  const std::uint8_t ttl = hdr[ipv4_field::ttl];
  hdr[ipv4_field::ttl] = static_cast<std::uint8_t>(ttl - 1);
  detail::ipv4_checksum_add(hdr, ttl != 0 ? 0xfeff : 0xff00);
}

// The same for a TTL known to be above 0 (forwarding checked it): no wrap.
inline void ipv4_decrement_live_ttl(mut_bytes hdr) noexcept {
  --hdr[ipv4_field::ttl];
  detail::ipv4_checksum_add(hdr, 0xfeff);
}

// ARP for IPv4 over Ethernet (RFC 826): 28 bytes after the Ethernet header.
namespace arp {
inline constexpr std::size_t len = 28;
inline constexpr std::uint16_t op_request = 1;
inline constexpr std::uint16_t op_reply = 2;
}  // namespace arp

struct arp_view {
  std::uint16_t op = 0;
  mac_addr sha;
  std::uint32_t spa = 0;
  mac_addr tha;
  std::uint32_t tpa = 0;

  // Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4.
  static std::optional<arp_view> parse(bytes b) noexcept;
  void emit(mut_bytes out) const noexcept;
};

}  // namespace umi::wire
