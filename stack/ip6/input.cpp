#include "stack/ip6/input.hpp"

#include <algorithm>

#include "stack/ip4/input.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/ipv6.hpp"

namespace umi::ip6 {

using pipeline::drop;
using act = forward_verdict::action;

namespace {
input_verdict dropped(drop d, bool is_ip6) {
  input_verdict v;
  v.act = act::drop;
  v.is_ip6 = is_ip6;
  v.reason = d;
  return v;
}
input_verdict local() {
  input_verdict v;
  v.act = act::punt;
  v.is_ip6 = true;
  return v;
}
// A port has a handful of addresses: a plain loop (std::find unrolls by four).
bool contains(const std::vector<ip6_addr>& v, const ip6_addr& a) {
  for (const ip6_addr& x : v)
    if (x == a) return true;
  return false;
}
}  // namespace

[[gnu::always_inline]] static inline input_verdict from(const forward_verdict& f, bool is_ip6) {
  input_verdict v;
  v.act = f.act;
  v.is_ip6 = is_ip6;
  v.is_ip4 = !is_ip6;
  v.reason = f.why;
  v.punt = f.reason;
  v.out_port = f.out_port;
  v.nh = f.nh;
  return v;
}

input_verdict classify_head(const pipeline::dataplane_table& t, const pipeline::port_table& port,
                            bytes frame) noexcept {
  if (!port.up) return dropped(drop::port_down, false);
  auto eth = wire::ethernet_view::parse(frame);
  if (!eth) return dropped(drop::eth_too_short, false);
  const mac_addr dmac = eth->dst();
  if (!dmac.is_multicast() && dmac != port.mac) return dropped(drop::eth_not_for_us, false);
  const std::uint16_t type = eth->type();
  if (type == static_cast<std::uint16_t>(wire::ethertype::ipv4))
    return from(ip4::classify_check(t, port, frame), false);
  if (type == static_cast<std::uint16_t>(wire::ethertype::arp)) {
    input_verdict v;  // ARP is handled on the control thread
    v.act = act::punt;
    return v;
  }
  if (type != static_cast<std::uint16_t>(wire::ethertype::ipv6))
    return dropped(drop::eth_unsupported_type, false);

  auto ip = wire::ipv6_view::parse(eth->payload());
  if (!ip) {
    switch (ip.error()) {
      case wire::wire_error::too_short:
        return dropped(drop::ip6_too_short, true);
      case wire::wire_error::bad_version:
        return dropped(drop::ip6_bad_version, true);
      default:
        return dropped(drop::ip6_truncated, true);
    }
  }
  const ip6_addr src = ip->src();
  const ip6_addr dst = ip->dst();
  // RFC 4291 §2.7: multicast addresses must not be used as source.
  if (src.is_multicast()) return dropped(drop::ip6_src_multicast, true);
  // RFC 4291 §2.5.3: loopback never appears on a link; nor is anything sent to ::.
  if (src.is_loopback() || dst.is_loopback() || dst.is_unspecified())
    return dropped(drop::ip6_bad_scope, true);
  if (dst.is_multicast()) {
    // RFC 4291 §2.7: scope 0 is reserved; interface-local never leaves the node.
    if (dst.multicast_scope() <= 1) return dropped(drop::ip6_bad_scope, true);
    if (!contains(port.groups, dst)) return dropped(drop::ip6_not_member, true);
    return local();
  }
  if (contains(port.unicast, dst)) return local();
  // Not ours: a multicast-addressed frame carrying a unicast packet for
  // someone else is not ours to forward.
  if (dmac.is_multicast()) return dropped(drop::ip6_not_for_us, true);
  return from(forward_check(t, src, dst, ip->next_header(), ip->hop_limit()), true);
}

input_verdict classify_tail(const pipeline::dataplane_table& t, const pipeline::port_table& port,
                            mut_bytes frame, bool is_ip4, fib::nexthop_id id) noexcept {
  if (is_ip4) return from(ip4::forward_to(t, port, frame, dst4_of(frame), id), false);
  ip6_addr dst;
  std::copy_n(dst6_of(frame), 16, dst.b.begin());
  return from(forward_to(t, port, frame, dst, id), true);
}

input_verdict classify(const pipeline::dataplane_table& t, const pipeline::port_table& port,
                       mut_bytes frame) noexcept {
  const input_verdict v = classify_head(t, port, frame);
  if (v.act != act::lookup) return v;
  if (v.is_ip4)
    return classify_tail(t, port, frame, true,
                         t.fib4 ? t.fib4->lookup(dst4_of(frame)) : fib::no_route);
  ip6_addr dst;
  std::copy_n(dst6_of(frame), 16, dst.b.begin());
  return classify_tail(t, port, frame, false, t.fib6->lookup(dst));
}

}  // namespace umi::ip6
