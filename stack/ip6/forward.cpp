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
  return {act::punt, 0, r, drop::count_, nh};
}
forward_verdict dropped(drop d) {
  return {act::drop, 0, punt_reason::local, d, fib::no_route};
}
}  // namespace

forward_verdict forward(const pipeline::dataplane_table& t, const pipeline::port_table& in,
                        mut_bytes frame) noexcept {
  if (!t.forwarding6 || t.fib6 == nullptr) return dropped(drop::ip6_not_for_us);
  const mut_bytes ip = frame.subspan(wire::ethernet_view::header_len);
  auto v = wire::ipv6_view::parse(ip);
  if (!v) return dropped(drop::ip6_truncated);  // validated by the caller already
  const ip6_addr dst = v->dst();
  const ip6_addr src = v->src();
  // RFC 4291 §2.5.6: link-local addresses are never forwarded; multicast
  // routing is not supported.
  if (dst.is_multicast() || dst.is_link_local()) return dropped(drop::ip6_not_for_us);
  if (src.is_unspecified()) return dropped(drop::ip6_bad_scope);
  // RFC 4443 §3.1 code 2: a link-local source cannot leave its link.
  if (src.is_link_local()) return punt(punt_reason::beyond_scope);
  if (v->next_header() == 0) return punt(punt_reason::slow_forward);
  // RFC 8200 §3 / RFC 4443 §3.3: a packet whose hop limit would reach zero.
  if (v->hop_limit() <= 1) return punt(punt_reason::hop_limit);

  const fib::nexthop_id id = t.fib6->lookup(dst);
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
  mac_addr dmac;
  if (nh.onlink) {
    auto it = t.neighbors.find(pipeline::neighbor_key{nh.ifindex, dst});
    if (it == t.neighbors.end()) return punt(punt_reason::resolve, id);
    dmac = it->second;
  } else {
    if (!nh.resolved) return punt(punt_reason::resolve, id);
    dmac = nh.dst_mac;
  }
  // RFC 4861 §8.2: a packet leaving by the interface it arrived on, from a
  // source on that link, earns the source a redirect.
  if (t.redirects6 && nh.ifindex == in.ifindex) return punt(punt_reason::redirect, id);

  ip[wire::ipv6_field::hop_limit] = static_cast<std::uint8_t>(v->hop_limit() - 1);
  std::copy(dmac.b.begin(), dmac.b.end(), frame.begin());
  std::copy(nh.src_mac.b.begin(), nh.src_mac.b.end(), frame.begin() + 6);
  return {act::transmit, nh.port, punt_reason::local, drop::count_, id};
}

}  // namespace umi::ip6
