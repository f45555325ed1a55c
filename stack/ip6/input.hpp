#pragma once
// ether-input and ip6-input for one packet on a worker: the checks every
// received frame passes before it is punted to the control thread (local
// delivery, slow path), forwarded (ip6-forward) or dropped with a typed
// reason.
//
// Leaving the fast path (punt): any IPv6 packet addressed to one of our
// unicast addresses or to a multicast group we joined, and the forwarding
// exceptions listed in forward.hpp.
#include "stack/base/bytes.hpp"
#include "stack/ip6/forward.hpp"
#include "stack/pipeline/drops.hpp"
#include "stack/pipeline/table.hpp"

namespace umi::ip6 {

struct input_verdict {
  forward_verdict::action act = forward_verdict::action::drop;
  bool is_ip6 = false;  // reached ip6-input (counts toward ip6 "total")
  bool is_ip4 = false;  // reached ip4-input (counts toward ip "total")
  pipeline::drop reason = pipeline::drop::count_;
  pipeline::punt_reason punt = pipeline::punt_reason::local;
  std::uint16_t out_port = 0;
  fib::nexthop_id nh = fib::no_route;
  // Padding past 16 bytes, so that the x86-64 ABI returns a verdict through
  // memory: packed into RAX:RDX, its byte fields were stored one by one and
  // reloaded as words, a store-forwarding stall on every return (the largest
  // single cost of classify_head in a perf profile).
  std::uint64_t pad_ = 0;
};

// ether-input: dispatches on the ethertype to ip6-input, ip4-input, or the
// control thread (ARP). `frame` may be rewritten in place when forwarded.
input_verdict classify(const pipeline::dataplane_table& t, const pipeline::port_table& port,
                       mut_bytes frame) noexcept;

// classify() in two stages, for a worker that looks a whole burst up in the
// FIB at once between them. classify_head answers act == action::lookup for
// a packet to be forwarded (is_ip4 tells which FIB; the destination is in the
// packet: dst6_of / dst4_of); classify_tail then completes that verdict with
// the FIB's answer (is_ip4 as in the head's verdict). Every other verdict of
// classify_head is final.
input_verdict classify_head(const pipeline::dataplane_table& t, const pipeline::port_table& port,
                            bytes frame) noexcept;
input_verdict classify_tail(const pipeline::dataplane_table& t, const pipeline::port_table& port,
                            mut_bytes frame, bool is_ip4, fib::nexthop_id id) noexcept;
// The destination of a frame classify_head accepted for lookup.
inline const std::uint8_t* dst6_of(bytes frame) noexcept {
  return frame.data() + 14 + 24;
}
inline std::uint32_t dst4_of(bytes frame) noexcept {
  return load_be32(frame.data() + 14 + 16);
}

}  // namespace umi::ip6
