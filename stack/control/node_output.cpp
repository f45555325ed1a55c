// What the node itself sends: source selection, route and neighbour
// resolution, fragmentation, NS/NA.
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
bool node::is_our_address(const ip6_addr& a, const interface** out) const {
  for (const auto& i : ifs_) {
    if (const addr_entry* e = i.find(a); e && !e->duplicated) {
      if (out) *out = &i;
      return true;
    }
  }
  return false;
}

std::vector<std::uint8_t> node::build_ip6(const ip6_addr& src, const ip6_addr& dst, std::uint8_t nh,
                                          std::uint8_t hlim, std::vector<std::uint8_t> payload) {
  if (nh == 58 && payload.size() >= 4) {
    payload[2] = payload[3] = 0;
    store_be16(&payload[2], wire::upper_checksum(src, dst, nh, bytes(payload)));
  } else if (nh == 17 && payload.size() >= 8) {  // UDP: the checksum is mandatory over IPv6
    payload[6] = payload[7] = 0;
    std::uint16_t c = wire::upper_checksum(src, dst, nh, bytes(payload));
    store_be16(&payload[6], c == 0 ? 0xffff : c);
  }
  std::vector<std::uint8_t> pkt(wire::ipv6_view::header_len + payload.size());
  wire::ipv6_repr h;
  h.src = src;
  h.dst = dst;
  h.next_header = nh;
  h.hop_limit = hlim;
  h.payload_length = static_cast<std::uint16_t>(payload.size());
  h.emit(mut_bytes(pkt));
  std::copy(payload.begin(), payload.end(), pkt.begin() + wire::ipv6_view::header_len);
  return pkt;
}

void node::emit(interface& ifp, const mac_addr& dst_mac, std::vector<std::uint8_t> ip6pkt,
                bool forwarded) {
  if (!ifp.usable()) {
    counters_.inc(stats::ip6::odropped);
    return;
  }
  std::vector<std::uint8_t> frame(wire::ethernet_view::header_len + ip6pkt.size());
  wire::ethernet_repr{dst_mac, ifp.mac, static_cast<std::uint16_t>(wire::ethertype::ipv6)}.emit(
      mut_bytes(frame));
  std::copy(ip6pkt.begin(), ip6pkt.end(), frame.begin() + wire::ethernet_view::header_len);
  // Packets held for neighbour resolution come back here without knowing
  // whose they were: a source that is not ours means we forwarded it.
  if (!forwarded && ip6pkt.size() >= wire::ipv6_view::header_len) {
    ip6_addr src;
    std::copy_n(ip6pkt.begin() + wire::ipv6_field::src, 16, src.b.begin());
    forwarded = !src.is_unspecified() && !is_our_address(src) && ifp.find(src) == nullptr;
  }
  if (forwarded) {
    counters_.inc(stats::ip6::forward);
  } else {
    if (ip6pkt.size() > wire::ipv6_view::header_len && ip6pkt[6] == 58)
      ++counters_.icmp6_out_hist[ip6pkt[wire::ipv6_view::header_len]];
    counters_.inc(stats::ip6::localout);
  }
  if (env_.tx) env_.tx(ifp.port, std::move(frame));
}

node_result<send_result> node::send(send_request r) {
  interface* ifp = nullptr;
  if (r.ifindex != 0) {
    ifp = interface_by_index(r.ifindex);
    if (ifp == nullptr) return fail(errc::enxio, "no such interface");
  } else if (r.dst.is_link_scope()) {
    return fail(errc::einval, "scoped destination " + r.dst.to_string() + " needs an interface");
  }
  const interface* local_if = nullptr;
  const bool to_self = is_our_address(r.dst, &local_if);
  ip6_addr next_hop = r.dst;
  if (ifp == nullptr) {
    if (to_self) {
      ifp = interface_by_index(local_if->index);
    } else {
      const fib::nexthop_id id = rt6_.fib().lookup(r.dst);
      if (id == fib::no_route) {
        counters_.inc(stats::ip6::noroute);
        return fail(errc::enetunreach, "No route to host");
      }
      const control::nexthop& nh = rt6_.hop(id);
      if (nh.type == control::nh_type::reject) return fail(errc::ehostunreach, "No route to host");
      if (nh.type == control::nh_type::blackhole) return send_result{};
      ifp = interface_by_index(nh.ifindex);
      if (nh.gateway) next_hop = *nh.gateway;
    }
    if (ifp == nullptr) {
      counters_.inc(stats::ip6::noroute);
      return fail(errc::enetunreach, "No route to host");
    }
  }
  if (!ifp->up) return fail(errc::enetdown, "Network is down");

  ip6_addr src;
  if (r.src) {
    // A tentative address may not be used as a source (RFC 4862 §5.4).
    const interface* sif = nullptr;
    if (!is_our_address(*r.src, &sif) || sif->find(*r.src)->tentative)
      return fail(errc::eaddrnotavail, "Can't assign requested address");
    src = *r.src;
  } else {
    std::vector<ip6::src_candidate> cands;
    for (const auto& i : ifs_) {
      if (!i.up) continue;
      for (const auto& a : i.addrs)
        cands.push_back(
            {a.addr, i.index, !a.tentative && !a.duplicated && !a.anycast, a.deprecated});
    }
    auto s = ip6::select_source(r.dst, ifp->index, cands);
    if (!s) return fail(errc::eaddrnotavail, "Can't assign requested address");
    src = *s;
  }
  const std::uint8_t hlim =
      r.hop_limit ? *r.hop_limit : (r.dst.is_multicast() ? 1 : hop_limit_for(ifp->index));
  auto pkt = build_ip6(src, r.dst, r.next_header, hlim, std::move(r.payload));
  send_result res{src, ifp->index};

  if (to_self) {  // loopback: deliver to ourselves (KAME: through lo0)
    counters_.inc(stats::ip6::localout);
    counters_.inc(stats::ip6::total);
    deliver(*ifp, bytes(pkt), false);
    return res;
  }
  if (r.dst.is_multicast()) {
    const bool joined = ifp->groups().count(r.dst) != 0;
    auto copy = joined ? pkt : std::vector<std::uint8_t>{};
    for (auto& piece : fragment(std::move(pkt), link_mtu(*ifp)))
      emit(*ifp, r.dst.multicast_mac(), std::move(piece));
    // IPV6_MULTICAST_LOOP (default on): our own membership hears it too.
    if (joined) {
      counters_.inc(stats::ip6::total);
      deliver(*ifp, bytes(copy), true);
    }
    return res;
  }
  for (auto& piece : fragment(std::move(pkt), link_mtu(*ifp))) {
    mac_addr mac;
    switch (nc_.resolve(ifp->index, next_hop, &piece, now(), mac)) {
      case nd::neighbor_cache::resolve_result::send:
        emit(*ifp, mac, std::move(piece));
        break;
      case nd::neighbor_cache::resolve_result::queued:
        break;
      case nd::neighbor_cache::resolve_result::dropped:
        return fail(errc::ehostunreach, "No buffer space available");
    }
  }
  return res;
}

// RFC 8200 §4.5: a packet we originate that exceeds the link MTU leaves in
// fragments; the unfragmentable part is the IPv6 header (we add no
// extension headers of our own). Identification is random (RFC 7739).
std::vector<std::vector<std::uint8_t>> node::fragment(std::vector<std::uint8_t> pkt, unsigned mtu) {
  std::vector<std::vector<std::uint8_t>> out;
  constexpr std::size_t hl = wire::ipv6_view::header_len;
  if (pkt.size() <= mtu || mtu < 1280) {
    out.push_back(std::move(pkt));
    return out;
  }
  const std::uint8_t nh = pkt[wire::ipv6_field::next_header];
  const std::uint32_t ident = static_cast<std::uint32_t>(env_.random->next());
  const std::size_t chunk = (mtu - hl - 8) & ~std::size_t{7};
  const std::size_t total = pkt.size() - hl;
  for (std::size_t off = 0; off < total; off += chunk) {
    const std::size_t n = std::min(chunk, total - off);
    const bool more = off + n < total;
    std::vector<std::uint8_t> f(hl + 8 + n);
    std::copy_n(pkt.begin(), hl, f.begin());
    store_be16(&f[wire::ipv6_field::payload_len], static_cast<std::uint16_t>(8 + n));
    f[wire::ipv6_field::next_header] = 44;
    f[hl] = nh;
    f[hl + 1] = 0;
    store_be16(&f[hl + 2], static_cast<std::uint16_t>(off | (more ? 1 : 0)));
    store_be32(&f[hl + 4], ident);
    std::copy_n(pkt.begin() + static_cast<std::ptrdiff_t>(hl + off), n, f.begin() + hl + 8);
    out.push_back(std::move(f));
  }
  return out;
}

void node::send_ns(unsigned ifindex, const ip6_addr& target, std::optional<mac_addr> dst_mac,
                   bool dad) {
  interface* ifp = interface_by_index(ifindex);
  if (ifp == nullptr || !ifp->usable()) return;
  ip6_addr src{};  // DAD: unspecified source, no SLLA (RFC 4862 §5.4.2)
  if (!dad) {
    std::vector<ip6::src_candidate> cands;
    for (const auto& a : ifp->addrs)
      cands.push_back(
          {a.addr, ifp->index, !a.tentative && !a.duplicated && !a.anycast, a.deprecated});
    auto s = ip6::select_source(target, ifp->index, cands);
    if (!s) return;
    src = *s;
  }
  const ip6_addr dst = dst_mac ? target : target.solicited_node();
  std::vector<std::uint8_t> msg(32);
  std::optional<mac_addr> slla;
  if (!dad) slla = ifp->mac;
  msg.resize(wire::emit_ns(mut_bytes(msg), target, slla));
  auto pkt = build_ip6(src, dst, 58, 255, std::move(msg));
  emit(*ifp, dst_mac ? *dst_mac : dst.multicast_mac(), std::move(pkt));
}

void node::send_na(interface& ifp, const ip6_addr& dst, const ip6_addr& target, bool solicited,
                   bool override_flag) {
  std::vector<std::uint8_t> msg(32);
  msg.resize(
      wire::emit_na(mut_bytes(msg), target, cfg_.forwarding, solicited, override_flag, ifp.mac));
  // RFC 4861 §7.2.4: the source is the target address when it is ours.
  auto pkt = build_ip6(target, dst, 58, 255, std::move(msg));
  if (dst.is_multicast()) {
    emit(ifp, dst.multicast_mac(), std::move(pkt));
    return;
  }
  mac_addr mac;
  if (nc_.resolve(ifp.index, dst, &pkt, now(), mac) == nd::neighbor_cache::resolve_result::send)
    emit(ifp, mac, std::move(pkt));
}

}  // namespace umi::node
