#include "stack/ip4/input.hpp"

#include <algorithm>

#include "stack/wire/ethernet.hpp"
#include "stack/wire/ipv4.hpp"

namespace umi::ip4 {

using pipeline::drop;
using pipeline::nexthop_rt;
using pipeline::punt_reason;
using act = ip6::forward_verdict::action;

namespace {
ip6::forward_verdict punt(punt_reason r, fib::nexthop_id nh = fib::no_route) {
  return {act::punt, r, 0, drop::count_, nh};
}
ip6::forward_verdict dropped(drop d) {
  return {act::drop, punt_reason::local, 0, d, fib::no_route};
}
// A port has a handful of addresses: a plain loop (std::find unrolls by four).
bool has(const std::vector<std::uint32_t>& v, std::uint32_t a) {
  for (const std::uint32_t x : v)
    if (x == a) return true;
  return false;
}
constexpr bool is_multicast(std::uint32_t a) {
  return (a >> 28) == 0xe;
}
constexpr bool is_loopback(std::uint32_t a) {
  return (a >> 24) == 127;
}
}  // namespace

ip6_addr mapped(std::uint32_t a) noexcept {
  ip6_addr m{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}};
  store_be32(&m.b[12], a);
  return m;
}
std::uint32_t unmapped(const ip6_addr& a) noexcept {
  return load_be32(&a.b[12]);
}

ip6::forward_verdict classify_check(const pipeline::dataplane_table& t,
                                    const pipeline::port_table& port, bytes frame) noexcept {
  const bytes ip = frame.subspan(wire::ethernet_view::header_len);
  auto v = wire::ipv4_view::parse(ip);
  if (!v) {
    switch (v.error()) {
      case wire::ipv4_error::too_short:
        return dropped(drop::ip4_too_short);
      case wire::ipv4_error::bad_version:
        return dropped(drop::ip4_bad_version);
      case wire::ipv4_error::bad_hlen:
        return dropped(drop::ip4_bad_hlen);
      case wire::ipv4_error::bad_length:
        return dropped(drop::ip4_bad_length);
      case wire::ipv4_error::length_below_hlen:
        return dropped(drop::ip4_len_below_header);
      case wire::ipv4_error::bad_checksum:
        return dropped(drop::ip4_bad_checksum);
    }
  }
  const std::uint32_t src = v->src();
  const std::uint32_t dst = v->dst();
  // RFC 1812 §5.3.7: never accept a multicast, limited-broadcast or
  // loopback source.
  if (is_multicast(src) || src == 0xffffffffu || is_loopback(src) || has(port.broadcast4, src))
    return dropped(drop::ip4_bad_src);
  if (dst == 0xffffffffu || has(port.unicast4, dst) || has(port.broadcast4, dst))
    return punt(punt_reason::local);
  if (is_multicast(dst)) {
    if (dst == 0xe0000001u) return punt(punt_reason::local);  // 224.0.0.1: all systems
    return dropped(drop::ip4_not_member);
  }
  if (!t.forwarding4 || src == 0 || is_loopback(dst)) return dropped(drop::ip4_not_for_us);
  if (v->header_len() > wire::ipv4_view::min_header_len) return punt(punt_reason::slow_forward);
  if (v->ttl() <= 1) return punt(punt_reason::hop_limit);  // RFC 1812 §5.3.1
  return {act::lookup, punt_reason::local, 0, drop::count_, fib::no_route};
}

ip6::forward_verdict forward_to(const pipeline::dataplane_table& t, const pipeline::port_table& in,
                                mut_bytes frame, std::uint32_t dst, fib::nexthop_id id) noexcept {
  const mut_bytes ip = frame.subspan(wire::ethernet_view::header_len);
  if (id == fib::no_route || id >= t.nexthops4.size()) return punt(punt_reason::no_route);
  const nexthop_rt& nh = t.nexthops4[id];
  switch (nh.type) {
    case nexthop_rt::kind::forward:
      break;
    case nexthop_rt::kind::local:
      return punt(punt_reason::local, id);
    case nexthop_rt::kind::reject:
      return punt(punt_reason::reject, id);
    case nexthop_rt::kind::blackhole:
      return dropped(drop::ip4_blackhole);
    case nexthop_rt::kind::none:
      return punt(punt_reason::no_route);
  }
  if (nh.port >= t.ports.size() || !t.ports[nh.port].up) return punt(punt_reason::no_route, id);
  // Too big: DF set earns "fragmentation needed"; otherwise the slow path
  // fragments (RFC 1812 §5.2.6).
  if (load_be16(&ip[wire::ipv4_field::total_len]) > nh.mtu)
    return punt(
        (ip[wire::ipv4_field::frag] & 0x40) != 0 ? punt_reason::too_big : punt_reason::slow_forward,
        id);
  // A gateway's MAC is resolved when the table is compiled (as for IPv6); an
  // on-link destination is looked up in the neighbour table.
  const mac_addr* dmac = &nh.dst_mac;
  if (nh.onlink) {
    auto it = t.neighbors.find(pipeline::neighbor_key{nh.ifindex, mapped(dst)});
    if (it == t.neighbors.end()) return punt(punt_reason::resolve, id);
    dmac = &it->second;
  } else if (!nh.resolved) {
    return punt(punt_reason::resolve, id);
  }
  if (t.redirects4 && nh.ifindex == in.ifindex) return punt(punt_reason::redirect, id);

  wire::ipv4_decrement_live_ttl(ip);  // classify_check saw TTL > 1
  pipeline::rewrite_ethernet(frame.data(), *dmac, nh.src_mac);
  return {act::transmit, punt_reason::local, nh.port, drop::count_, id};
}

ip6::forward_verdict classify(const pipeline::dataplane_table& t, const pipeline::port_table& port,
                              mut_bytes frame) noexcept {
  const ip6::forward_verdict c = classify_check(t, port, frame);
  if (c.act != act::lookup) return c;
  const std::uint32_t dst =
      load_be32(&frame[wire::ethernet_view::header_len + wire::ipv4_field::dst]);
  return forward_to(t, port, frame, dst, t.fib4 ? t.fib4->lookup(dst) : fib::no_route);
}

}  // namespace umi::ip4
