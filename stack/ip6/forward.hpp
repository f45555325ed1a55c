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
  // lookup: only between the two stages below (the checks passed; the FIB
  // lookup and forward_to are still to come). Never a final verdict.
  enum class action : std::uint8_t { transmit, punt, drop, lookup };
  // reason and why are kept apart: a caller copying both read them as one
  // 16-bit load across two byte stores (a store-forwarding stall).
  action act = action::drop;
  pipeline::punt_reason reason = pipeline::punt_reason::local;
  std::uint16_t out_port = 0;
  pipeline::drop why = pipeline::drop::count_;
  fib::nexthop_id nh = fib::no_route;
  // Returned through memory on purpose: see input_verdict::pad_.
  std::uint64_t pad_ = 0;
};

// `frame` is the whole Ethernet frame of a validated IPv6 packet arriving on
// `in` that is not addressed to us.
forward_verdict forward(const pipeline::dataplane_table& t, const pipeline::port_table& in,
                        mut_bytes frame) noexcept;

// forward() in two stages, so that a worker can look a whole burst up at once
// (fib6::lookup_bulk) between them. forward_check runs the checks before the
// lookup and answers action::lookup when the packet is to be looked up
// (destination `dst`); forward_to finishes with the FIB's answer `id`.
forward_verdict forward_check(const pipeline::dataplane_table& t, bytes frame) noexcept;
// The same checks on fields ip6-input has already read.
inline forward_verdict forward_check(const pipeline::dataplane_table& t, const ip6_addr& src,
                                     const ip6_addr& dst, std::uint8_t next_header,
                                     std::uint8_t hop_limit) noexcept {
  using pipeline::drop;
  using pipeline::punt_reason;
  using act = forward_verdict::action;
  const auto dropped = [](drop d) -> forward_verdict {
    return {act::drop, punt_reason::local, 0, d, fib::no_route};
  };
  const auto punt = [](punt_reason r) -> forward_verdict {
    return {act::punt, r, 0, drop::count_, fib::no_route};
  };
  if (!t.forwarding6 || t.fib6 == nullptr) return dropped(drop::ip6_not_for_us);
  // RFC 4291 §2.5.6: link-local addresses are never forwarded; multicast
  // routing is not supported.
  if (dst.is_multicast() || dst.is_link_local()) return dropped(drop::ip6_not_for_us);
  if (src.is_unspecified()) return dropped(drop::ip6_bad_scope);
  // RFC 4443 §3.1 code 2: a link-local source cannot leave its link.
  if (src.is_link_local()) return punt(punt_reason::beyond_scope);
  if (next_header == 0) return punt(punt_reason::slow_forward);
  // RFC 8200 §3 / RFC 4443 §3.3: a packet whose hop limit would reach zero.
  if (hop_limit <= 1) return punt(punt_reason::hop_limit);
  return {act::lookup, punt_reason::local, 0, drop::count_, fib::no_route};
}
forward_verdict forward_to(const pipeline::dataplane_table& t, const pipeline::port_table& in,
                           mut_bytes frame, const ip6_addr& dst, fib::nexthop_id id) noexcept;

}  // namespace umi::ip6
