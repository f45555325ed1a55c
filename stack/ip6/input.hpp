#pragma once
// ether-input and ip6-input for one packet: the checks every received frame
// passes on the worker before it is punted to the control thread (local
// delivery) or dropped with a typed reason. Forwarding joins here later.
//
// Leaving the fast path (punt): any IPv6 packet addressed to one of our
// unicast addresses or to a multicast group we joined. Extension headers,
// ICMPv6 and NDP are handled on the slow path.
#include "stack/base/bytes.hpp"
#include "stack/pipeline/drops.hpp"
#include "stack/pipeline/table.hpp"

namespace umi::ip6 {

struct input_verdict {
  bool punt = false;
  bool is_ip6 = false;  // reached ip6-input (counts toward ip6 "total")
  pipeline::drop reason = pipeline::drop::count_;
};

input_verdict classify(const pipeline::port_table& port, bytes frame) noexcept;

}  // namespace umi::ip6
