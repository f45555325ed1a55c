// The forwarding slow path: ICMPv6 errors for what cannot be forwarded,
// neighbour resolution, redirects sent and received.
#include "stack/control/node.hpp"

#include <algorithm>

#include "stack/ip6/source_select.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/icmpv6.hpp"
#include "stack/wire/ipv6.hpp"
#include "stack/wire/ipv6_ext.hpp"
#include "stack/wire/ndp.hpp"

namespace umi::node {

using wire::icmp6_type::echo_reply;
using wire::icmp6_type::echo_request;
// Forwarding exceptions: ICMPv6 errors for what cannot be forwarded, and the
// slow path for what needs resolution, a redirect or hop-by-hop options.
void node::forward_punt(unsigned port, bytes frame, pipeline::punt_reason reason,
                        std::uint32_t nexthop) {
  interface* in = interface_by_port(port);
  auto eth = wire::ethernet_view::parse(frame);
  if (in == nullptr || !in->up || !eth) return;
  if (eth->type() == static_cast<std::uint16_t>(wire::ethertype::ipv4)) {
    forward_punt4(*in, eth->payload(), eth->dst().is_multicast(), reason, nexthop);
    return;
  }
  const bytes ip = eth->payload();
  const bool l2mc = eth->dst().is_multicast();
  using pr = pipeline::punt_reason;
  switch (reason) {
    case pr::local:
      deliver(*in, ip, l2mc);
      return;
    case pr::hop_limit:  // RFC 4443 §3.3
      counters_.inc(stats::ip6::cantforward);
      send_error(*in, ip, l2mc, wire::icmp6_type::time_exceeded, 0, 0);
      return;
    case pr::no_route:  // RFC 4443 §3.1 code 0
      counters_.inc(stats::ip6::noroute);
      send_error(*in, ip, l2mc, wire::icmp6_type::dst_unreach, 0, 0);
      return;
    case pr::reject:  // code 1: administratively prohibited
      counters_.inc(stats::ip6::cantforward);
      send_error(*in, ip, l2mc, wire::icmp6_type::dst_unreach, 1, 0);
      return;
    case pr::beyond_scope:  // code 2
      counters_.inc(stats::ip6::badscope);
      send_error(*in, ip, l2mc, wire::icmp6_type::dst_unreach, 2, 0);
      return;
    case pr::too_big: {  // RFC 4443 §3.2
      unsigned mtu = 1280;
      if (nexthop < rt6_.nexthops().size())
        if (const interface* out = interface_by_index(rt6_.hop(nexthop).ifindex)) mtu = out->mtu;
      counters_.inc(stats::ip6::cantforward);
      send_error(*in, ip, l2mc, wire::icmp6_type::packet_too_big, 0, mtu);
      return;
    }
    case pr::resolve:
    case pr::redirect:
    case pr::slow_forward:
      // Whichever reason brought it here, a packet leaving by the interface
      // it came in on earns its source a redirect (RFC 4861 §8.2).
      forward_slow(*in, ip, true);
      return;
  }
}

void node::forward_slow(interface& in, bytes ip6pkt, bool may_redirect) {
  auto v = wire::ipv6_view::parse(ip6pkt);
  if (!v || !cfg_.forwarding) return;
  const ip6_addr dst = v->dst();
  if (v->hop_limit() <= 1) {
    counters_.inc(stats::ip6::cantforward);
    send_error(in, v->packet(), false, wire::icmp6_type::time_exceeded, 0, 0);
    return;
  }
  const fib::nexthop_id id = rt6_.fib().lookup(dst);
  if (id == fib::no_route) {
    counters_.inc(stats::ip6::noroute);
    send_error(in, v->packet(), false, wire::icmp6_type::dst_unreach, 0, 0);
    return;
  }
  const control::nexthop& nh = rt6_.hop(id);
  switch (nh.type) {
    case control::nh_type::local:
      deliver(in, v->packet(), false);
      return;
    case control::nh_type::reject:
      send_error(in, v->packet(), false, wire::icmp6_type::dst_unreach, 1, 0);
      return;
    case control::nh_type::blackhole:
      return;
    case control::nh_type::forward:
      break;
  }
  interface* out = interface_by_index(nh.ifindex);
  if (out == nullptr || !out->usable()) {
    send_error(in, v->packet(), false, wire::icmp6_type::dst_unreach, 0, 0);
    return;
  }
  if (v->packet().size() > out->mtu) {
    send_error(in, v->packet(), false, wire::icmp6_type::packet_too_big, 0, out->mtu);
    return;
  }
  const ip6_addr next = nh.gateway.value_or(dst);
  // RFC 4861 §8.2: redirect a source on this link to a better first hop.
  if (may_redirect && cfg_.redirects && out == &in) {
    const ip6_addr src = v->src();
    bool src_onlink = src.is_link_local();
    for (const auto& a : in.addrs)
      if (!a.addr.is_link_local() && src.matches_prefix(a.addr, a.plen)) src_onlink = true;
    if (src_onlink) send_redirect(in, v->packet(), next, dst);
  }
  if (id >= slow_use6_.size()) slow_use6_.resize(id + 1);
  ++slow_use6_[id];
  std::vector<std::uint8_t> pkt(v->packet().begin(), v->packet().end());
  pkt[wire::ipv6_field::hop_limit] = static_cast<std::uint8_t>(v->hop_limit() - 1);
  mac_addr mac;
  if (nc_.resolve(out->index, next, &pkt, now(), mac) == nd::neighbor_cache::resolve_result::send)
    emit(*out, mac, std::move(pkt), true);
}

// RFC 4861 §4.5 / §8.2: target = the better first hop (the destination
// itself when on-link), with its link-layer address when known and as much
// of the redirected packet as fits in the minimum MTU.
void node::send_redirect(interface& in, bytes offending, const ip6_addr& target,
                         const ip6_addr& dst) {
  auto v = wire::ipv6_view::parse(offending);
  if (!v || !err_limit_.allow(now())) return;
  std::optional<ip6_addr> src;
  for (const auto& a : in.addrs)
    if (a.addr.is_link_local() && !a.tentative && !a.duplicated) src = a.addr;
  if (!src) return;
  std::vector<std::uint8_t> msg(40, 0);
  msg[0] = wire::icmp6_type::redirect;
  std::copy(target.b.begin(), target.b.end(), msg.begin() + 8);
  std::copy(dst.b.begin(), dst.b.end(), msg.begin() + 24);
  if (const nd::neighbor* n = nc_.find(in.index, target); n && n->lladdr) {
    const std::uint8_t opt[2] = {wire::nd_opt::tgt_lladdr, 1};
    msg.insert(msg.end(), opt, opt + 2);
    msg.insert(msg.end(), n->lladdr->b.begin(), n->lladdr->b.end());
  }
  const std::size_t room = 1280 - wire::ipv6_view::header_len - msg.size() - 8;
  std::size_t n = std::min(room, offending.size()) & ~std::size_t{7};
  const std::uint8_t hdr[8] = {
      wire::nd_opt::redirected_header, static_cast<std::uint8_t>((n + 8) / 8), 0, 0, 0, 0, 0, 0};
  msg.insert(msg.end(), hdr, hdr + 8);
  msg.insert(msg.end(), offending.begin(), offending.begin() + static_cast<std::ptrdiff_t>(n));
  send_request r;
  r.dst = v->src();
  r.ifindex = in.index;
  r.src = src;
  r.hop_limit = 255;
  r.payload = std::move(msg);
  (void)send(std::move(r));
}

// RFC 4861 §8.1 validation, then §8.3: a host installs a host route to the
// destination through the target.
void node::redirect_input(interface& ifp, const ip6_addr& src, std::uint8_t hlim, bytes msg) {
  if (hlim != 255) {
    counters_.inc(stats::icmp6::nd_badhlim);
    return;
  }
  if (msg[1] != 0 || msg.size() < wire::redirect_header_len || !src.is_link_local()) {
    counters_.inc(stats::icmp6::nd_invalid);
    return;
  }
  auto opts = wire::parse_nd_options(msg.subspan(wire::redirect_header_len));
  if (!opts) {
    counters_.inc(stats::icmp6::nd_badopt);
    return;
  }
  ip6_addr target, dst;
  std::copy_n(&msg[8], 16, target.b.begin());
  std::copy_n(&msg[24], 16, dst.b.begin());
  if (dst.is_multicast() || !(target.is_link_local() || target == dst)) {
    counters_.inc(stats::icmp6::nd_invalid);
    return;
  }
  if (cfg_.forwarding || !cfg_.accept_redirects) return;  // routers ignore redirects
  // The redirect must come from our current first hop for the destination.
  const fib::nexthop_id id = rt6_.fib().lookup(dst);
  if (id == fib::no_route || rt6_.hop(id).gateway != src || rt6_.hop(id).ifindex != ifp.index) {
    counters_.inc(stats::icmp6::nd_invalid);
    return;
  }
  if (opts->tgt_lladdr)
    nc_.on_lladdr_learned(ifp.index, target, *opts->tgt_lladdr, now(), target != dst);
  control::route6 r;
  r.dest = dst;
  r.plen = 128;
  r.kind = control::route_kind::redirect;
  r.expire = now() + cfg_.redirect_timeout;
  control::nexthop nh{control::nh_type::forward, ifp.index, {}, 0};
  if (target != dst) nh.gateway = target;
  const bool exists = rt6_.find(dst, 128) != nullptr;
  if (auto res = rt6_.add(r, nh, exists)) {
    route_event(exists ? "RTM_CHANGE" : "RTM_ADD", **res);
    changed();
  }
}

}  // namespace umi::node
