#pragma once
// The forwarding fast path (VPP's ip6-input/ip6-lookup/ip6-rewrite folded
// into one pass): a conservative filter in front of ether-input, ip6-input and
// ip4-input for the common case — a unicast frame for us carrying an IPv4 or
// IPv6 packet to forward through a resolved gateway — that reads each header
// field once, with word loads, against data precompiled into the table.
//
// The filter only ever says "fast" or "not sure": every frame it does not take
// goes through ip6::classify (stack/ip6/input.hpp), which stays the one
// authority on what a frame means. So a frame the fast path forwards is one
// classify would forward to the same port with the same bytes, which the unit
// tests check frame by frame (tests/unit/pipeline/fastpath_test.cpp).
//
// Taken (all must hold, else the frame goes to classify):
//   ether  frame >= the IP header, destination MAC = the port's, port up and its
//          address lists short (fast_port::max_addrs)
//   IPv6   version 6, payload within the frame, next header not hop-by-hop,
//          hop limit > 1, neither address in ff00::/8, fe00::/8 or ::/8,
//          destination not one of the port's addresses, forwarding on
//   IPv4   version 4 without options, total length within the frame and >= 20,
//          header checksum right, TTL > 1, neither address in 0/8, 127/8 or
//          224/3, neither a port address or subnet broadcast, forwarding on
//   route  next hop is a forward route through a resolved gateway on an up
//          port, the packet fits its MTU, and it does not leave by the ingress
//          interface while redirects are on (classify punts that for a redirect)
#include <array>
#include <cstdint>
#include <cstring>
#include <span>

#include "stack/base/addr.hpp"
#include "stack/base/bytes.hpp"
#include "stack/fib/types.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/ipv4.hpp"

namespace umi::pipeline {

struct dataplane_table;

// What the fast path knows of a port.
struct fast_port {
  static constexpr unsigned max_addrs = 4;
  bool usable = false;  // present and up, and its addresses fit below
  std::uint8_t n6 = 0;  // local6 entries in use
  std::uint8_t n4 = 0;  // local4 entries in use
  std::uint32_t ifindex = 0;
  std::uint64_t mac = 0;  // the MAC as the low 48 bits of a little-endian 8-byte load
  // Unicast addresses other than link-local, as two native 8-byte loads each,
  // and IPv4 addresses and their subnet broadcasts, as native 4-byte loads.
  // Unused entries hold all ones (ff..ff, 255.255.255.255), which the filters
  // reject before comparing, so the first entries are compared unconditionally.
  std::array<std::array<std::uint64_t, 2>, max_addrs> local6;
  std::array<std::uint32_t, 2 * max_addrs> local4;
  // Bit (b & 63) set for the last byte b of every local4 entry: an IPv4
  // address whose bit is clear is none of them, so most packets skip the
  // compares (one in 32 of random destinations hits the bits of a .254
  // address and its .255 broadcast).
  std::uint64_t last4 = 0;
  fast_port() noexcept {
    for (auto& a : local6) a = {~std::uint64_t{0}, ~std::uint64_t{0}};
    local4.fill(~std::uint32_t{0});
  }
};

// A next hop the fast path may use: the Ethernet header to write, where to
// send, and the limits that send a packet to classify instead.
struct fast_adj {
  std::array<std::uint8_t, 12> l2{};  // destination MAC, then source MAC
  std::uint16_t port = 0;
  // Largest IP packet; 0 unless the next hop is usable (a forward route
  // through a resolved gateway on an up port), so one compare covers both.
  std::uint32_t mtu = 0;
  std::uint32_t ifindex = 0;
};

// Derives t.fast_ports, t.adj6 and t.adj4 from the rest of the table; a table
// without them (never built) sends every frame to classify.
void build_fast_path(dataplane_table& t);

namespace fast {

inline std::uint64_t load64(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline std::uint32_t load32(const std::uint8_t* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline std::uint16_t load16(const std::uint8_t* p) noexcept {
  std::uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

// Ethertypes and first address bytes as they sit in memory (little-endian host).
inline constexpr std::uint16_t ether_ip6 = 0xdd86;
inline constexpr std::uint16_t ether_ip4 = 0x0008;

// Ethernet checks shared by both families: the frame's ethertype (as loaded)
// when the frame can hold an IPv4 header and is addressed to the port, else 0.
inline std::uint16_t ether_type(const fast_port& p, const std::uint8_t* f,
                                std::uint32_t len) noexcept {
  if (len < 14 + 20) return 0;
  if (((load64(f) ^ p.mac) << 16) != 0) return 0;  // the low 48 bits: the MAC
  return load16(f + 12);
}

// An address the fast path leaves to classify: one whose first byte is 0xff
// (multicast), 0xfe (link-local fe80::/10, and the rest of fe00::/8, which
// holds nothing routable) or 0x00 (::/8: unspecified, loopback, IPv4-mapped
// and -compatible). b0 - 1 wraps those three onto 0xfd..0xff. `hi` is a
// native load: its low byte is the address's first.
inline bool special6(std::uint64_t hi) noexcept {
  return static_cast<std::uint8_t>(hi - 1) >= 0xfd;
}

// IPv6 filter on frame `f` of `len` bytes: true if the fast path takes it.
inline bool accept6(const fast_port& p, const std::uint8_t* f, std::uint32_t len) noexcept {
  // ether_type saw at least 34 bytes, which covers the fields read before
  // the payload length check, and that check covers the 40-byte header.
  const std::uint8_t* ip = f + 14;
  if ((ip[0] >> 4) != 6) return false;
  const std::uint32_t plen = (std::uint32_t{ip[4]} << 8) | ip[5];
  if (40 + plen > len - 14) return false;
  if (ip[6] == 0 || ip[7] <= 1) return false;  // hop-by-hop options; would expire here
  const std::uint64_t src_hi = load64(ip + 8);
  const std::uint64_t dst_hi = load64(ip + 24);
  if (special6(src_hi) || special6(dst_hi)) return false;
  const std::uint64_t dst_lo = load64(ip + 32);
  const auto is_local = [&](unsigned i) {
    return ((p.local6[i][0] ^ dst_hi) | (p.local6[i][1] ^ dst_lo)) == 0;
  };
  if (is_local(0)) return false;
  for (unsigned i = 1; i < p.n6; ++i)
    if (is_local(i)) return false;
  return true;
}

// First address bytes the IPv4 filter leaves to classify: 0/8, 127/8 and 224/3
// (multicast, class E, limited broadcast). One table read per address instead
// of two compares.
inline constexpr std::array<std::uint8_t, 256> special4_first = [] {
  std::array<std::uint8_t, 256> t{};
  for (unsigned b = 0; b < 256; ++b) t[b] = b == 0 || b == 127 || b >= 224;
  return t;
}();
// Whether either address (as loaded) is one of those.
inline bool special4(std::uint32_t src, std::uint32_t dst) noexcept {
  return (special4_first[static_cast<std::uint8_t>(src)] |
          special4_first[static_cast<std::uint8_t>(dst)]) != 0;
}

// Whether `a` (as loaded) may be one of the port's addresses or broadcasts:
// false proves it is none of them. The last address byte is the high byte of
// the little-endian load.
inline bool local4_maybe(const fast_port& p, std::uint32_t a) noexcept {
  return ((p.last4 >> ((a >> 24) & 63)) & 1) != 0;
}

// IPv4 filter on frame `f` of `len` bytes: the packet's total length if the
// fast path takes it, else 0.
inline std::uint32_t accept4(const fast_port& p, const std::uint8_t* f,
                             std::uint32_t len) noexcept {
  const std::uint8_t* ip = f + 14;
  if (ip[0] != 0x45) return 0;  // version 4, no options
  const std::uint32_t total = (std::uint32_t{ip[2]} << 8) | ip[3];
  if (total < 20 || total > len - 14) return 0;
  if (ip[8] <= 1) return 0;  // TTL would expire here
  const std::uint32_t src = load32(ip + 12);
  const std::uint32_t dst = load32(ip + 16);
  if (special4(src, dst)) return 0;
  if (local4_maybe(p, src) | local4_maybe(p, dst)) {
    for (unsigned i = 0; i < p.n4; ++i)
      if (p.local4[i] == src || p.local4[i] == dst) return 0;
  }
  return wire::ipv4_header_sum_ok(ip, 20) ? total : 0;
}

// After the lookup: whether next hop `a` takes the packet (of `ip_len` bytes
// after the Ethernet header). `excluded_ifindex` is the ingress interface when
// redirects are on (classify punts a packet leaving by it, for a redirect),
// else 0, which no interface has.
inline std::uint32_t excluded_ifindex(std::uint32_t in_ifindex, bool redirects) noexcept {
  return redirects ? in_ifindex : 0;
}
inline bool adj_ok(const fast_adj& a, std::uint32_t ip_len,
                   std::uint32_t excluded_ifindex) noexcept {
  return ip_len <= a.mtu && a.ifindex != excluded_ifindex;  // mtu is 0 unless usable
}

// The rest of the fast path once the FIB answered `id` for a frame accept6 or
// accept4 took (`total`: what accept4 returned): the next hop it leaves by, with the frame
// rewritten (Ethernet header, then hop limit or TTL with RFC 1624's incremental checksum update, as
// ip4-forward does it), or nullptr with the frame untouched.
inline const fast_adj* finish6(std::span<const fast_adj> adj, fib::nexthop_id id, std::uint8_t* f,
                               std::uint32_t len, std::uint32_t excluded) noexcept {
  if (id >= adj.size() || !adj_ok(adj[id], len - 14, excluded)) return nullptr;
  std::memcpy(f, adj[id].l2.data(), 12);
  --f[14 + 7];
  return &adj[id];
}
inline const fast_adj* finish4(std::span<const fast_adj> adj, fib::nexthop_id id, std::uint8_t* f,
                               std::uint32_t total, std::uint32_t excluded) noexcept {
  if (id >= adj.size() || !adj_ok(adj[id], total, excluded)) return nullptr;
  std::memcpy(f, adj[id].l2.data(), 12);
  wire::ipv4_decrement_live_ttl(mut_bytes(f + 14, 20));  // accept4 saw TTL > 1
  return &adj[id];
}

}  // namespace fast

// The whole fast path for one frame, as the unit tests drive it: the egress
// port if it forwarded the frame (rewritten in place), else -1 with the frame
// untouched.
int fast_forward(const dataplane_table& t, std::uint16_t in_port, std::uint8_t* frame,
                 std::uint32_t len) noexcept;

}  // namespace umi::pipeline
