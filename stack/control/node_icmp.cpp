// ICMPv6 input (echo, NS/NA) and error generation.
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
void node::icmp_input(interface& ifp, bytes pkt, std::size_t off, bool l2_multicast) {
  auto ip = wire::ipv6_view::parse(pkt);
  const bytes msg = pkt.subspan(off);
  auto icmp = wire::icmpv6_view::parse(msg);
  if (!icmp) {
    counters_.inc(stats::icmp6::tooshort);
    return;
  }
  if (!wire::upper_checksum_ok(ip->src(), ip->dst(), 58, msg)) {
    counters_.inc(stats::icmp6::checksum);
    return;
  }
  ++counters_.icmp6_in_hist[icmp->type()];
  switch (icmp->type()) {
    case echo_request: {
      if (!wire::echo_view::parse(msg)) {
        counters_.inc(stats::icmp6::tooshort);
        return;
      }
      send_request r;
      r.dst = ip->src();
      r.ifindex = ip->src().is_link_scope() ? ifp.index : 0;
      // Reply from the address asked, unless it was multicast or anycast.
      const addr_entry* a = ifp.find(ip->dst());
      if (!ip->dst().is_multicast() && a && !a->anycast) r.src = ip->dst();
      r.payload.assign(msg.begin(), msg.end());
      r.payload[0] = echo_reply;
      r.payload[1] = 0;
      if (ip->src().is_unspecified() || ip->src().is_multicast()) return;
      if (send(std::move(r))) counters_.inc(stats::icmp6::reflect);
      return;
    }
    case echo_reply: {
      auto e = wire::echo_view::parse(msg);
      if (!e) {
        counters_.inc(stats::icmp6::tooshort);
        return;
      }
      if (!ip->dst().is_multicast() && !l2_multicast) nc_.confirm(ifp.index, ip->src(), now());
      if (env_.echo_reply) {
        echo_event ev;
        ev.ident = e->ident();
        ev.seq = e->seq();
        ev.from = ip->src();
        ev.to = ip->dst();
        ev.ifindex = ifp.index;
        ev.hlim = ip->hop_limit();
        ev.len = msg.size();
        ev.payload.assign(e->data().begin(), e->data().end());
        env_.echo_reply(ev);
      }
      return;
    }
    case wire::icmp6_type::neighbor_solicit:
      ns_input(ifp, ip->src(), ip->dst(), ip->hop_limit(), msg);
      return;
    case wire::icmp6_type::neighbor_advert:
      na_input(ifp, ip->src(), ip->dst(), ip->hop_limit(), msg);
      return;
    case wire::icmp6_type::redirect:
      redirect_input(ifp, ip->src(), ip->hop_limit(), msg);
      return;
    case wire::icmp6_type::ni_query:
    case wire::icmp6_type::ni_reply:
      ni_input(ifp, *ip, msg);
      return;
    case wire::icmp6_type::router_solicit:
      rs_input(ifp, ip->src(), ip->hop_limit(), msg);
      return;
    case wire::icmp6_type::router_advert:
      // RFC 4861 §6.1: validity first (node_ra.cpp counts the refusals). A host
      // learns from RAs (node_ra.cpp); an advertising router compares other
      // routers' RAs with its own (§6.2.7, rtadv.cpp).
      ra_input(ifp, ip->src(), ip->hop_limit(), msg);
      rtadv_ra_input(ifp, ip->src(), ip->hop_limit(), msg);
      return;
    default:
      if (wire::is_icmp6_error(icmp->type())) error_input(msg, ip->src(), ip->hop_limit());
      return;
  }
}

// The checks every NDP message shares (RFC 4861 §7.1): hop limit 255, code
// 0, the fixed part present, options well formed. Each refusal is counted.
template <class View>
std::optional<std::pair<View, wire::nd_options>> node::validate_nd(std::uint8_t hlim, bytes msg) {
  if (hlim != 255) {
    counters_.inc(stats::icmp6::nd_badhlim);
    return std::nullopt;
  }
  auto v = View::parse(msg);
  if (msg[1] != 0 || !v) {
    counters_.inc(stats::icmp6::nd_invalid);
    return std::nullopt;
  }
  auto opts = wire::parse_nd_options(v->options());
  if (!opts) {
    counters_.inc(stats::icmp6::nd_badopt);
    return std::nullopt;
  }
  return std::pair{*v, *opts};
}

// RFC 4861 §7.1.1 validation, then §7.2.3 / RFC 4862 §5.4.3.
void node::ns_input(interface& ifp, const ip6_addr& src, const ip6_addr& dst, std::uint8_t hlim,
                    bytes msg) {
  auto checked = validate_nd<wire::ns_view>(hlim, msg);
  if (!checked) return;
  const auto& [ns, opts] = *checked;
  const ip6_addr target = ns.target();
  if (target.is_multicast() ||
      (src.is_unspecified() && (!dst.is_solicited_node() || opts.src_lladdr))) {
    counters_.inc(stats::icmp6::nd_invalid);
    return;
  }
  addr_entry* a = ifp.find(target);
  if (a == nullptr || a->duplicated) return;  // not for us
  if (a->tentative) {
    // RFC 4862 §5.4.3: an NS for our tentative address from the unspecified
    // source is another node doing DAD for it: the address is duplicated.
    if (src.is_unspecified() && a->dad_running) dad_failed(ifp, *a, "NS received");
    return;
  }
  if (src.is_unspecified()) {
    // Another node's DAD for our address: defend it (RFC 4861 §7.2.4).
    send_na(ifp, ip6::all_nodes, target, false, !a->anycast);
    return;
  }
  if (opts.src_lladdr) nc_.on_lladdr_learned(ifp.index, src, *opts.src_lladdr, now());
  send_na(ifp, src, target, true, !a->anycast);
}

// RFC 4861 §7.1.2 validation, then §7.2.5 / RFC 4862 §5.4.4.
void node::na_input(interface& ifp, const ip6_addr& src, const ip6_addr& dst, std::uint8_t hlim,
                    bytes msg) {
  (void)src;
  auto checked = validate_nd<wire::na_view>(hlim, msg);
  if (!checked) return;
  const auto& [na, opts] = *checked;
  if (na.target().is_multicast() || (dst.is_multicast() && na.solicited())) {
    counters_.inc(stats::icmp6::nd_invalid);
    return;
  }
  if (addr_entry* a = ifp.find(na.target())) {
    if (a->tentative && a->dad_running)
      dad_failed(ifp, *a, "NA received");
    else if (!a->duplicated)
      log(ifp.name + ": duplicate address " + a->addr.to_string() + " advertised by another node");
    return;
  }
  nc_.on_advert(ifp.index, na.target(), opts.tgt_lladdr, na.router(), na.solicited(),
                na.override_flag(), now());
}

// An ICMPv6 error quoting one of our echo requests is reported to ping6.
// An ICMPv6 error quoting one of our echo requests is reported to ping6; one
// quoting a UDP probe (or an echo request) to traceroute6 listeners.
void node::error_input(bytes msg, const ip6_addr& from, std::uint8_t hlim) {
  if (msg.size() < 8 + wire::ipv6_view::header_len + 8) return;
  const bytes inner = msg.subspan(8);
  const bytes quoted = inner.subspan(wire::ipv6_view::header_len);
  if (inner[6] == 17 && env_.probe) {
    probe_event ev;
    ev.ident = load_be16(&quoted[0]);
    ev.port = load_be16(&quoted[2]);
    ev.from = from;
    ev.type = msg[0];
    ev.code = msg[1];
    ev.hlim = hlim;
    ev.len = msg.size();
    env_.probe(ev);
    return;
  }
  if (inner[6] != 58 || quoted[0] != echo_request) return;
  if (env_.probe) {
    probe_event ev;
    ev.ident = load_be16(&quoted[4]);
    ev.seq = load_be16(&quoted[6]);
    ev.from = from;
    ev.type = msg[0];
    ev.code = msg[1];
    ev.hlim = hlim;
    ev.len = msg.size();
    env_.probe(ev);
  }
  if (env_.icmp_error) {
    icmp_error_event ev;
    ev.ident = load_be16(&quoted[4]);
    ev.seq = load_be16(&quoted[6]);
    ev.from = from;
    ev.type = msg[0];
    ev.code = msg[1];
    ev.mtu = msg[0] == wire::icmp6_type::packet_too_big ? load_be32(&msg[4]) : 0;
    env_.icmp_error(ev);
  }
}

void node::send_error(interface& ifp, bytes offending, bool l2_multicast, std::uint8_t type,
                      std::uint8_t code, std::uint32_t param) {
  counters_.inc(stats::icmp6::error);
  auto ip = wire::ipv6_view::parse(offending);
  if (!ip) return;
  icmp::offending_packet op;
  op.src = ip->src();
  op.dst = ip->dst();
  op.l2_multicast = l2_multicast;
  // RFC 4443 §2.4 (e.1): look past extension headers for an ICMPv6 error.
  if (auto up = wire::find_upper_layer(*ip); up && up->first == 58) {
    const std::uint8_t t = ip->packet()[up->second];
    op.is_icmp6_error = wire::is_icmp6_error(t);
    op.is_redirect = t == wire::icmp6_type::redirect;
  }
  if (icmp::may_send_error(op, type, code) != icmp::error_verdict::send) {
    counters_.inc(stats::icmp6::canterror);
    return;
  }
  if (!err_limit_.allow(now())) {
    counters_.inc(stats::icmp6::toofreq);
    return;
  }
  // RFC 4443 §2.4 (c): as much of the invoking packet as fits in 1280 bytes.
  const std::size_t room = 1280 - wire::ipv6_view::header_len - 8;
  const std::size_t n = std::min(room, offending.size());
  send_request r;
  r.dst = ip->src();
  r.ifindex = ip->src().is_link_scope() ? ifp.index : 0;
  // Reply from the address the packet was sent to when it is ours.
  if (!ip->dst().is_multicast() && ifp.find(ip->dst()) && !ifp.find(ip->dst())->anycast)
    r.src = ip->dst();
  r.payload.resize(8 + n);
  r.payload[0] = type;
  r.payload[1] = code;
  store_be32(&r.payload[4], param);
  std::copy_n(offending.begin(), n, r.payload.begin() + 8);
  (void)send(std::move(r));
}

}  // namespace umi::node
