// Routes of the node: connected and host routes that follow interface
// addresses, and the KAME route commands.
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
// An interface address brings a host route to itself (delivered locally)
// and a connected route for its prefix (KAME: "UC" cloning route).
void node::add_address_routes(const interface& ifp, const addr_entry& a) {
  // Link-scope routes are kept per link under KAME's embedded zone
  // (fe80:IDX::/64); packets on the wire never carry it, so they stay out
  // of forwarding and only name the link.
  control::route6 host;
  host.dest = with_zone(a.addr, ifp.index);
  host.plen = 128;
  host.kind = control::route_kind::host;
  if (auto r = rt6_.add(host, control::nexthop{control::nh_type::local, ifp.index, {}, 0}, true);
      r || rt6_.add(host, control::nexthop{control::nh_type::local, ifp.index, {}, 0}, false)) {
    route_event("RTM_ADD", *rt6_.find(host.dest, 128));
  }
  if (a.plen >= 128) return;
  control::route6 net;
  net.dest = with_zone(a.addr.masked(a.plen), ifp.index);
  net.plen = a.plen;
  net.kind = control::route_kind::connected;
  if (rt6_.find(net.dest, net.plen)) return;  // another address of the prefix has it
  if (auto r = rt6_.add(net, control::nexthop{control::nh_type::forward, ifp.index, {}, 0}))
    route_event("RTM_ADD", **r);
}

void node::remove_address_routes(const interface& ifp, const addr_entry& a) {
  const ip6_addr host = with_zone(a.addr, ifp.index);
  if (const auto* h = rt6_.find(host, 128); h && h->kind == control::route_kind::host) {
    if (auto r = rt6_.remove(host, 128)) route_event("RTM_DELETE", *r);
  }
  // The connected route stays while another address of the prefix remains.
  for (const auto& other : ifp.addrs)
    if (other.plen == a.plen && other.addr.masked(a.plen) == a.addr.masked(a.plen)) return;
  const ip6_addr net = with_zone(a.addr.masked(a.plen), ifp.index);
  const auto* c = rt6_.find(net, a.plen);
  if (c && c->kind == control::route_kind::connected && rt6_.hop(c->nh).ifindex == ifp.index) {
    if (auto r = rt6_.remove(net, a.plen)) route_event("RTM_DELETE", *r);
  }
}

// The next hop a route spec names: reject/blackhole, an interface, our own
// address (local), or an on-link gateway.
node_result<control::nexthop> node::resolve_nexthop(const route_spec& spec) {
  control::route_table6& rt = table(spec.v4);
  control::nexthop nh;
  if (spec.reject || spec.blackhole) {
    nh.type = spec.reject ? control::nh_type::reject : control::nh_type::blackhole;
  } else if (spec.interface_route) {
    unsigned ifx = spec.ifindex;
    if (ifx == 0 && spec.gateway) {  // -interface with the interface's own address
      for (const auto& i : ifs_)
        if (i.find(*spec.gateway)) ifx = i.index;
    }
    if (interface_by_index(ifx) == nullptr)
      return fail(errc::enetunreach, "Network is unreachable");
    nh.ifindex = ifx;
  } else {
    if (!spec.gateway) return fail(errc::einval, "gateway required");
    const ip6_addr gw = *spec.gateway;
    if (gw.is_multicast() || gw.is_unspecified()) return fail(errc::einval, "Invalid argument");
    if (gw.is_link_local()) {
      // A link-local gateway names its link by its zone (KAME's embedded id).
      if (interface_by_index(spec.ifindex) == nullptr)
        return fail(errc::enetunreach, "Network is unreachable");
      nh.ifindex = spec.ifindex;
    } else if ((!spec.v4 && (is_our_address(gw) || gw.is_loopback())) ||
               (spec.v4 && is_our_address4(load_be32(&gw.b[12])))) {
      // KAME: a gateway of ::1 or one of our addresses makes a local route.
      nh.type = control::nh_type::local;
    } else {
      const fib::nexthop_id id = rt.fib().lookup(gw);
      if (id == fib::no_route || rt.hop(id).type != control::nh_type::forward || rt.hop(id).gateway)
        return fail(errc::enetunreach, "Network is unreachable");
      nh.ifindex = rt.hop(id).ifindex;
    }
    nh.gateway = gw;
  }
  return nh;
}

node_result<control::route6> node::route_add(const route_spec& spec, bool change) {
  if (spec.plen > 128 || (spec.v4 && spec.plen < 96)) return fail(errc::einval, "Invalid argument");
  control::route_table6& rt = table(spec.v4);
  auto resolved = resolve_nexthop(spec);
  if (!resolved) return unexpected{resolved.error()};
  const control::nexthop nh = *resolved;
  control::route6 r;
  r.dest = spec.dest;
  r.plen = spec.plen;
  r.kind = control::route_kind::static_route;
  r.interface_route = spec.interface_route;
  r.v4 = spec.v4;
  if (change) {
    const auto* old = rt.find(spec.dest, spec.plen);
    if (old == nullptr) return fail(errc::esrch, "not in table");
    if (old->kind == control::route_kind::connected || old->kind == control::route_kind::host)
      return fail(errc::einval, "Invalid argument");
  }
  auto res = rt.add(r, nh, change);
  if (!res) {
    const auto c = res.error().code;
    return fail(c == control::route_errc::exists      ? errc::eexist
                : c == control::route_errc::not_found ? errc::esrch
                                                      : errc::einval,
                res.error().message);
  }
  route_event(change ? "RTM_CHANGE" : "RTM_ADD", **res);
  changed();
  return **res;
}

node_result<control::route6> node::route_delete(const ip6_addr& dest, unsigned plen,
                                                std::optional<ip6_addr> gateway, bool v4) {
  control::route_table6& rt = table(v4);
  const auto* r = rt.find(dest, plen);
  if (r == nullptr) return fail(errc::esrch, "not in table");
  if (r->kind == control::route_kind::connected || r->kind == control::route_kind::host)
    return fail(errc::einval, "Invalid argument");
  auto res = rt.remove(dest, plen, gateway);
  if (!res) return fail(errc::esrch, "not in table");
  route_event("RTM_DELETE", *res);
  changed();
  return *res;
}

std::vector<control::route6> node::route_flush(std::optional<bool> v4) {
  std::vector<control::route6> out;
  for (auto k : {control::route_kind::static_route, control::route_kind::redirect,
                 control::route_kind::default_router}) {
    for (bool fam4 : {false, true}) {
      if (v4 && *v4 != fam4) continue;
      for (auto& r : table(fam4).remove_if_kind(k)) {
        route_event("RTM_DELETE", r);
        out.push_back(r);
      }
    }
  }
  changed();
  return out;
}

node_result<std::size_t> node::route_add_bulk(
    const std::vector<std::pair<ip6_addr, unsigned>>& dests, const route_spec& via) {
  auto nh = resolve_nexthop(via);
  if (!nh) return unexpected{nh.error()};
  auto res = table(via.v4).add_bulk(dests, control::route_kind::static_route, *nh, via.v4);
  if (!res) return fail(errc::einval, res.error().message);
  changed();
  return *res;
}

}  // namespace umi::node
