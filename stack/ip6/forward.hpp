#pragma once
// ip6-forward: the fast path for packets not addressed to us (RFC 8200,
// RFC 4291, RFC 4443, RFC 4861 §8.2). Conditions that leave the fast path,
// in the order they are checked (after FreeBSD's ip6_tryforward):
//   - forwarding disabled                          -> drop (not forwardable)
//   - link-local destination or source, multicast  -> drop / punt beyond_scope
//   - hop-by-hop options header                    -> punt slow_forward
//   - hop limit <= 1                               -> punt hop_limit (Time Exceeded)
//   - no route                                     -> punt no_route
//   - reject route / blackhole route               -> punt reject / drop
//   - route to ourselves                           -> punt local
//   - larger than the egress MTU                   -> punt too_big
//   - next hop not resolved                        -> punt resolve
//   - leaves by the ingress interface              -> punt redirect
// Otherwise the hop limit is decremented and the Ethernet header rewritten in
// place; the caller transmits on `out_port`.
#include <cstdint>

#include "stack/base/bytes.hpp"
#include "stack/pipeline/drops.hpp"
#include "stack/pipeline/table.hpp"

namespace umi::ip6 {

struct forward_verdict {
  enum class action : std::uint8_t { transmit, punt, drop };
  action act = action::drop;
  std::uint16_t out_port = 0;
  pipeline::punt_reason reason = pipeline::punt_reason::local;
  pipeline::drop why = pipeline::drop::count_;
  fib::nexthop_id nh = fib::no_route;
};

// `frame` is the whole Ethernet frame of a validated IPv6 packet arriving on
// `in` that is not addressed to us.
forward_verdict forward(const pipeline::dataplane_table& t, const pipeline::port_table& in,
                        mut_bytes frame) noexcept;

}  // namespace umi::ip6
