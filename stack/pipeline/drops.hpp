#pragma once
// Typed drop reasons of the data-path stages: one table gives each reason its
// stage, name, description, and the KAME ip6stat it also counts toward
// (`NONE` when it has none). A worker drops a packet only through
// worker::drop(), which frees it and counts the reason.
#include <array>
#include <cstdint>
#include <string_view>

#include "stack/control/stats.hpp"

namespace umi::pipeline {

// clang-format off
#define UMI_DROPS(X)                                                                          \
  X(eth_too_short, "ether-input", "frame shorter than an Ethernet header", NONE)              \
  X(eth_not_for_us, "ether-input", "destination MAC is neither ours nor multicast", NONE)     \
  X(eth_unsupported_type, "ether-input", "ethertype not handled", NONE) \
  X(port_down, "ether-input", "interface is administratively down", NONE)                     \
  X(ip6_too_short, "ip6-input", "shorter than the IPv6 header", toosmall)                     \
  X(ip6_bad_version, "ip6-input", "IPv6 version field is not 6", badvers)                     \
  X(ip6_truncated, "ip6-input", "payload length exceeds the frame", tooshort)                 \
  X(ip6_src_multicast, "ip6-input", "multicast source address", badsrc)                       \
  X(ip6_bad_scope, "ip6-input", "loopback or unspecified address on the wire", badscope)      \
  X(ip6_not_member, "ip6-input", "multicast group not joined", notmember)                      \
  X(ip6_not_for_us, "ip6-input", "not addressed to us and forwarding is off", cantforward)    \
  X(ip6_blackhole, "ip6-forward", "blackhole route", NONE)                                  \
  X(ip4_too_short, "ip4-input", "shorter than the IPv4 header", ip_toosmall)                 \
  X(ip4_bad_version, "ip4-input", "IPv4 version field is not 4", ip_badvers)                 \
  X(ip4_bad_hlen, "ip4-input", "header length field invalid", ip_badhlen)                    \
  X(ip4_bad_length, "ip4-input", "total length exceeds the frame", ip_tooshort)              \
  X(ip4_len_below_header, "ip4-input", "total length below the header length", ip_badlen)  \
  X(ip4_bad_checksum, "ip4-input", "header checksum wrong", ip_badsum)                       \
  X(ip4_bad_src, "ip4-input", "multicast, broadcast or loopback source", ip_badsrc)          \
  X(ip4_not_member, "ip4-input", "multicast group not joined", ip_notmember)                 \
  X(ip4_not_for_us, "ip4-input", "not addressed to us and forwarding is off", ip_cantforward) \
  X(ip4_blackhole, "ip4-forward", "blackhole route", NONE)                                   \
  X(punt_ring_full, "punt", "slow-path ring full", NONE)                                      \
  X(tx_full, "tx", "transmit queue full", NONE)
// clang-format on

enum class drop : std::uint8_t {
#define UMI_X(id, stage, desc, stat) id,
  UMI_DROPS(UMI_X)
#undef UMI_X
      count_
};

struct drop_desc {
  std::string_view name;
  std::string_view stage;
  std::string_view description;
  int ip6_stat;  // index into stats::ip6, or -1
  int ip_stat;   // index into stats::ip (IPv4), or -1
};

namespace detail {
inline constexpr int NONE = -1;  // NOLINT(readability-identifier-naming)
inline constexpr int toosmall = static_cast<int>(stats::ip6::toosmall);
inline constexpr int badvers = static_cast<int>(stats::ip6::badvers);
inline constexpr int tooshort = static_cast<int>(stats::ip6::tooshort);
inline constexpr int badsrc = static_cast<int>(stats::ip6::badsrc);
inline constexpr int badscope = static_cast<int>(stats::ip6::badscope);
inline constexpr int notmember = static_cast<int>(stats::ip6::notmember);
inline constexpr int cantforward = static_cast<int>(stats::ip6::cantforward);
// IPv4 counters are told apart by their ip_ prefix.
inline constexpr int v4 = 1 << 16;
inline constexpr int ip_toosmall = v4 | static_cast<int>(stats::ip::toosmall);
inline constexpr int ip_badvers = v4 | static_cast<int>(stats::ip::badvers);
inline constexpr int ip_badhlen = v4 | static_cast<int>(stats::ip::badhlen);
inline constexpr int ip_tooshort = v4 | static_cast<int>(stats::ip::tooshort);
inline constexpr int ip_badlen = v4 | static_cast<int>(stats::ip::badlen);
inline constexpr int ip_badsum = v4 | static_cast<int>(stats::ip::badsum);
inline constexpr int ip_badsrc = v4 | static_cast<int>(stats::ip::badsrc);
inline constexpr int ip_notmember = v4 | static_cast<int>(stats::ip::notmember);
inline constexpr int ip_cantforward = v4 | static_cast<int>(stats::ip::cantforward);
constexpr drop_desc make_desc(std::string_view n, std::string_view st, std::string_view d, int s) {
  if (s >= 0 && (s & v4)) return {n, st, d, -1, s & ~v4};
  return {n, st, d, s, -1};
}

inline constexpr std::array<drop_desc, static_cast<std::size_t>(drop::count_)> drop_table{{
#define UMI_X(id, stage, desc, stat) make_desc(#id, stage, desc, stat),
    UMI_DROPS(UMI_X)
#undef UMI_X
}};
}  // namespace detail

using detail::drop_table;

}  // namespace umi::pipeline
