#pragma once
// ICMPv6 Node Information Queries and Replies (RFC 4620 §4, §6).
//
//  0                   1                   2                   3
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      |     Code      |          Checksum             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |            Qtype              |       unused/flags            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                            Nonce (8 octets)                   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |             Data (Subject of a Query, Reply Data) ...
//
// Type 139 (query): Code = subject type (0 IPv6 address, 1 DNS name or
// empty, 2 IPv4 address). Type 140 (reply): Code 0 success, 1 refused,
// 2 unknown Qtype. Names are in DNS wire format (RFC 1035 §3.1) without
// compression; a name that is not fully qualified ends with two zero octets
// (RFC 4620 §3). Supported Qtypes (qtype 1) is from the drafts KAME
// implemented (not in RFC 4620).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stack/base/addr.hpp"
#include "stack/base/bytes.hpp"
#include "stack/base/result.hpp"
#include "stack/wire/error.hpp"

namespace umi::wire {

namespace ni {
// Query codes: the subject type.
inline constexpr std::uint8_t subj_ipv6 = 0;
inline constexpr std::uint8_t subj_name = 1;
inline constexpr std::uint8_t subj_ipv4 = 2;
// Reply codes.
inline constexpr std::uint8_t success = 0;
inline constexpr std::uint8_t refused = 1;
inline constexpr std::uint8_t unknown_qtype = 2;
// Qtypes.
inline constexpr std::uint16_t qtype_noop = 0;
inline constexpr std::uint16_t qtype_supported = 1;
inline constexpr std::uint16_t qtype_node_name = 2;
inline constexpr std::uint16_t qtype_node_addrs = 3;
inline constexpr std::uint16_t qtype_ipv4_addrs = 4;
// Node Addresses flags (RFC 4620 §6.3, network order); anycast is KAME's
// experimental bit.
inline constexpr std::uint16_t flag_truncated = 0x0001;  // T
inline constexpr std::uint16_t flag_all = 0x0002;        // A
inline constexpr std::uint16_t flag_compat = 0x0004;     // C
inline constexpr std::uint16_t flag_link = 0x0008;       // L
inline constexpr std::uint16_t flag_site = 0x0010;       // S
inline constexpr std::uint16_t flag_global = 0x0020;     // G
inline constexpr std::uint16_t flag_anycast = 0x0040;
// Supported Qtypes: compressed bitmap.
inline constexpr std::uint16_t flag_compressed = 0x0001;
// A TTL of all ones: the address does not expire (KAME's ND6_INFINITE_LIFETIME).
inline constexpr std::uint32_t ttl_infinite = 0xffffffff;
}  // namespace ni

class ni_view {
 public:
  static constexpr std::size_t header_len = 16;

  // `msg` is the whole ICMPv6 message (type 139 or 140).
  static result<ni_view, wire_error> parse(bytes msg) noexcept {
    if (msg.size() < header_len) return unexpected{wire_error::too_short};
    return ni_view(msg);
  }
  std::uint8_t type() const noexcept { return b_[0]; }
  std::uint8_t code() const noexcept { return b_[1]; }
  std::uint16_t qtype() const noexcept { return load_be16(&b_[4]); }
  std::uint16_t flags() const noexcept { return load_be16(&b_[6]); }
  std::array<std::uint8_t, 8> nonce() const noexcept {
    std::array<std::uint8_t, 8> n{};
    for (std::size_t i = 0; i < 8; ++i) n[i] = b_[8 + i];
    return n;
  }
  bytes data() const noexcept { return b_.subspan(header_len); }

 private:
  explicit ni_view(bytes b) : b_(b) {}
  bytes b_;
};

// The fixed part of a query or reply, followed by `data`; the checksum is
// left zero for the sender to fill.
struct ni_repr {
  std::uint8_t type = 139;
  std::uint8_t code = 0;
  std::uint16_t qtype = 0;
  std::uint16_t flags = 0;
  std::array<std::uint8_t, 8> nonce{};
  std::vector<std::uint8_t> data;

  std::vector<std::uint8_t> emit() const;
};

// One address of a Node Addresses or IPv4 Addresses reply.
struct ni_addr_ttl {
  std::uint32_t ttl = 0;
  ip6_addr addr;  // IPv4-mapped for IPv4 Addresses replies
  auto operator<=>(const ni_addr_ttl&) const = default;
};

// DNS wire form of `name` (RFC 4620 §3): "a.example" -> \1a\7example\0 when it
// ends in a dot or has one inside (fully qualified); a single label "abc"
// is truncated: \3abc\0\0. Labels 1..63 octets, whole name at most 255;
// nullopt otherwise (empty labels, too long).
std::optional<std::vector<std::uint8_t>> encode_dns_name(std::string_view name);

// Decodes the names in `data` (Node Name reply data after the TTL, or a
// query's name subject): FQDNs keep a trailing dot, truncated names have
// none. Compression pointers, over-long labels or a name running off the
// end are errors.
result<std::vector<std::string>, wire_error> decode_dns_names(bytes data);

// True when the query subject `subject` (DNS wire form, one name) names the
// node called `hostname`: case-insensitive; a truncated subject matches the
// leading labels of the node's name (KAME ni6_dnsmatch).
bool dns_name_matches(bytes subject, std::string_view hostname);

// Node Addresses / IPv4 Addresses reply data: repeated 32-bit TTL + address.
// Trailing bytes that do not form a whole entry are an error.
result<std::vector<ni_addr_ttl>, wire_error> decode_addrs(bytes data, bool v4);
// Supported Qtypes reply data (raw or compressed bitmap) -> qtype list.
result<std::vector<std::uint16_t>, wire_error> decode_qtypes(bytes data, bool compressed);

// RFC 4620 §4: the NI group address of a name, from MD5 of the first label
// in DNS wire form (length octet + label, lower-cased): ff02::2:ffXX:XXXX
// with the first 24 bits of the hash. KAME (and the earlier drafts) used the
// first 32 bits: ff02::2:XXXX:XXXX. nullopt when the name has no valid first
// label.
std::optional<ip6_addr> ni_group_address(std::string_view name);
std::optional<ip6_addr> ni_group_address_kame(std::string_view name);

}  // namespace umi::wire
