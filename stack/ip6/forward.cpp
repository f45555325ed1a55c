#include "stack/ip6/forward.hpp"

#include <algorithm>

#include "stack/wire/ethernet.hpp"
#include "stack/wire/ipv6.hpp"

namespace umi::ip6 {

using pipeline::drop;
using pipeline::nexthop_rt;
using pipeline::punt_reason;
using act = forward_verdict::action;

namespace {
forward_verdict punt(punt_reason r, fib::nexthop_id nh = fib::no_route) {
  return {act::punt, r, 0, drop::count_, nh};
}
forward_verdict dropped(drop d) {
  return {act::drop, punt_reason::local, 0, d, fib::no_route};
}
}  // namespace

forward_verdict forward_check(const pipeline::dataplane_table& t, bytes frame) noexcept {
  auto v = wire::ipv6_view::parse(frame.subspan(wire::ethernet_view::header_len));
  if (!v) return dropped(drop::ip6_truncated);  // validated by the caller already
  return forward_check(t, v->src(), v->dst(), v->next_header(), v->hop_limit());
}

forward_verdict forward_to(const pipeline::dataplane_table& t, const pipeline::port_table& in,
                           mut_bytes frame, const ip6_addr& dst, fib::nexthop_id id) noexcept {
  const mut_bytes ip = frame.subspan(wire::ethernet_view::header_len);
  if (id == fib::no_route || id >= t.nexthops.size()) return punt(punt_reason::no_route);
  const nexthop_rt& nh = t.nexthops[id];
  switch (nh.type) {
    case nexthop_rt::kind::forward:
      break;
    case nexthop_rt::kind::local:
      return punt(punt_reason::local, id);
    case nexthop_rt::kind::reject:
      return punt(punt_reason::reject, id);
    case nexthop_rt::kind::blackhole:
      return dropped(drop::ip6_blackhole);
    case nexthop_rt::kind::none:
      return punt(punt_reason::no_route);
  }
  if (nh.port >= t.ports.size() || !t.ports[nh.port].up) return punt(punt_reason::no_route, id);
  if (ip.size() > nh.mtu) return punt(punt_reason::too_big, id);
  const mac_addr* dmac = &nh.dst_mac;
  if (nh.onlink) {
    auto it = t.neighbors.find(pipeline::neighbor_key{nh.ifindex, dst});
    if (it == t.neighbors.end()) return punt(punt_reason::resolve, id);
    dmac = &it->second;
  } else if (!nh.resolved) {
    return punt(punt_reason::resolve, id);
  }
  // RFC 4861 §8.2: a packet leaving by the interface it arrived on, from a
  // source on that link, earns the source a redirect.
  if (t.redirects6 && nh.ifindex == in.ifindex) return punt(punt_reason::redirect, id);

  --ip[wire::ipv6_field::hop_limit];
  pipeline::rewrite_ethernet(frame.data(), *dmac, nh.src_mac);
  return {act::transmit, punt_reason::local, nh.port, drop::count_, id};
}

forward_verdict forward(const pipeline::dataplane_table& t, const pipeline::port_table& in,
                        mut_bytes frame) noexcept {
  const forward_verdict c = forward_check(t, frame);
  if (c.act != act::lookup) return c;
  const ip6_addr dst =
      wire::ipv6_view::parse(frame.subspan(wire::ethernet_view::header_len))->dst();
  return forward_to(t, in, frame, dst, t.fib6->lookup(dst));
}

}  // namespace umi::ip6
