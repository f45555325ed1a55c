#pragma once
// The immutable table the workers read: compiled by the control thread from
// the node's interfaces, next hops and neighbours, and published by RCU.
// Never modified once published. The FIB itself is not copied: it is updated
// in place by copy-on-write (stack/fib) and referenced from here.
#include <cstdint>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "stack/base/addr.hpp"
#include "stack/fib/fib4.hpp"
#include "stack/fib/fib6.hpp"
#include "stack/pipeline/fastpath.hpp"

namespace umi::pipeline {

struct port_table {
  bool present = false;
  bool up = false;
  unsigned ifindex = 0;
  unsigned mtu = 1500;
  mac_addr mac;
  std::vector<ip6_addr> unicast;          // every address on the interface (incl. tentative)
  std::vector<ip6_addr> groups;           // joined multicast groups
  std::vector<std::uint32_t> unicast4;    // IPv4 addresses (host order)
  std::vector<std::uint32_t> broadcast4;  // their subnet broadcast addresses
};

// Why a worker hands a packet to the control thread.
enum class punt_reason : std::uint8_t {
  local,         // addressed to us
  hop_limit,     // would expire here: Time Exceeded
  no_route,      // Destination Unreachable, no route
  reject,        // Destination Unreachable, administratively prohibited
  beyond_scope,  // Destination Unreachable, beyond scope of source address
  too_big,       // Packet Too Big
  resolve,       // next hop's link-layer address unknown
  redirect,      // leaves by the interface it came in on: redirect, then forward
  slow_forward,  // needs the slow path (hop-by-hop options)
};

struct nexthop_rt {
  enum class kind : std::uint8_t { none, forward, local, reject, blackhole };
  kind type = kind::none;
  std::uint16_t port = 0;
  unsigned ifindex = 0;
  unsigned mtu = 1500;
  bool onlink = false;    // no gateway: resolve the destination itself
  bool resolved = false;  // gateway's MAC known
  ip6_addr gateway;
  mac_addr dst_mac;
  mac_addr src_mac;
};

// Writes the destination and source MACs of a forwarded frame: fixed-size
// copies, which compile to plain moves.
inline void rewrite_ethernet(std::uint8_t* frame, const mac_addr& dst,
                             const mac_addr& src) noexcept {
  std::memcpy(frame, dst.b.data(), 6);
  std::memcpy(frame + 6, src.b.data(), 6);
}

struct neighbor_key {
  unsigned ifindex;
  ip6_addr addr;
  bool operator==(const neighbor_key&) const = default;
};
struct neighbor_key_hash {
  std::size_t operator()(const neighbor_key& k) const noexcept {
    std::uint64_t h = k.ifindex * 0x9e3779b97f4a7c15ull;
    for (int i = 8; i < 16; ++i) h = (h ^ k.addr.b[i]) * 0x100000001b3ull;
    for (int i = 0; i < 8; ++i) h = (h ^ k.addr.b[i]) * 0x100000001b3ull;
    return static_cast<std::size_t>(h);
  }
};

struct dataplane_table {
  std::vector<port_table> ports;  // indexed by DPDK port id
  std::vector<nexthop_rt> nexthops;
  std::unordered_map<neighbor_key, mac_addr, neighbor_key_hash> neighbors;
  const fib::fib6* fib6 = nullptr;
  bool forwarding6 = false;
  bool redirects6 = true;
  // IPv4: routes in a fib4 (nullptr: no IPv4 route yet, every lookup
  // misses), ARP entries in `neighbors` under IPv4-mapped keys.
  std::vector<nexthop_rt> nexthops4;
  const fib::fib4* fib4 = nullptr;
  bool forwarding4 = false;
  bool redirects4 = true;
  // The fast path's view of ports and next hops (build_fast_path); empty
  // vectors send every frame through classify.
  std::vector<fast_port> fast_ports;  // indexed by DPDK port id
  std::vector<fast_adj> adj6;         // indexed as nexthops
  std::vector<fast_adj> adj4;         // indexed as nexthops4
  std::uint64_t generation = 0;
};

}  // namespace umi::pipeline
