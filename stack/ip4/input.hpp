#pragma once
// ip4-input and ip4-forward on a worker (RFC 791, RFC 1812 §5.2-5.3).
// Leaving the fast path (punt): packets for us (our address, a subnet or
// limited broadcast, 224.0.0.1), IP options, TTL <= 1, no route, reject
// routes, larger than the egress MTU, unresolved next hop, same-interface
// forwarding (ICMP redirect). Otherwise the TTL is decremented with an
// incremental checksum update (RFC 1624) and the Ethernet header rewritten.
#include "stack/base/bytes.hpp"
#include "stack/ip6/forward.hpp"
#include "stack/pipeline/table.hpp"

namespace umi::ip4 {

// IPv4-mapped IPv6 form (::ffff:a.b.c.d) used as FIB and neighbour key.
ip6_addr mapped(std::uint32_t a) noexcept;
// ::ffff:0.0.0.0 — used as a scratch key.
inline ip6_addr mapped_any() noexcept {
  return mapped(0);
}
std::uint32_t unmapped(const ip6_addr& a) noexcept;

// `frame` holds an IPv4 packet after the Ethernet header; it may be
// rewritten in place when forwarded.
ip6::forward_verdict classify(const pipeline::dataplane_table& t, const pipeline::port_table& port,
                              mut_bytes frame) noexcept;

// classify() in two stages around the FIB lookup, as ip6::forward_check and
// ip6::forward_to: classify_check answers action::lookup for a packet to be
// looked up (destination: its dst field); forward_to finishes with the
// FIB's answer.
ip6::forward_verdict classify_check(const pipeline::dataplane_table& t,
                                    const pipeline::port_table& port, bytes frame) noexcept;
ip6::forward_verdict forward_to(const pipeline::dataplane_table& t, const pipeline::port_table& in,
                                mut_bytes frame, std::uint32_t dst, fib::nexthop_id id) noexcept;

}  // namespace umi::ip4
