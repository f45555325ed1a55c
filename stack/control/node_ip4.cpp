// IPv4 on the node: addresses (ifconfig inet), ARP (RFC 826) on the NUD
// machine of the neighbour cache, ICMP echo and errors (RFC 792, RFC 1812
// §4.3), local output, and the IPv4 forwarding slow path.
#include <algorithm>
#include <chrono>

#include "stack/control/node.hpp"
#include "stack/ip4/input.hpp"
#include "stack/ip4/options.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/ipv4.hpp"

namespace umi::node {

namespace {
constexpr mac_addr broadcast_mac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
constexpr bool is_multicast4(std::uint32_t a) {
  return (a >> 28) == 0xe;
}
std::uint32_t mask_of(unsigned plen) {
  return plen == 0 ? 0 : 0xffffffffu << (32 - plen);
}
}  // namespace

bool node::is_our_address4(std::uint32_t a, const interface** out) const {
  for (const auto& i : ifs_)
    for (const auto& e : i.addrs4)
      if (e.addr == a) {
        if (out) *out = &i;
        return true;
      }
  return false;
}

unsigned node::onlink_interface4(std::uint32_t a) const {
  for (const auto& i : ifs_)
    for (const auto& e : i.addrs4)
      if (((e.addr ^ a) & mask_of(e.plen)) == 0) return i.index;
  return 0;
}

void node::add_address4_routes(const interface& ifp, const addr4_entry& a) {
  control::route6 host;
  host.dest = ip4::mapped(a.addr);
  host.plen = 128;
  host.kind = control::route_kind::host;
  host.v4 = true;
  const control::nexthop local{control::nh_type::local, ifp.index, {}, 0};
  if (rt4_.add(host, local, rt4_.find(host.dest, 128) != nullptr))
    route_event("RTM_ADD", *rt4_.find(host.dest, 128));
  if (a.plen >= 32) return;
  control::route6 net;
  net.dest = ip4::mapped(a.addr & mask_of(a.plen));
  net.plen = 96 + a.plen;
  net.kind = control::route_kind::connected;
  net.v4 = true;
  if (rt4_.find(net.dest, net.plen)) return;
  if (auto r = rt4_.add(net, control::nexthop{control::nh_type::forward, ifp.index, {}, 0}))
    route_event("RTM_ADD", **r);
}

void node::remove_address4_routes(const interface& ifp, const addr4_entry& a) {
  const ip6_addr h = ip4::mapped(a.addr);
  if (const auto* r = rt4_.find(h, 128); r && r->kind == control::route_kind::host)
    if (auto g = rt4_.remove(h, 128)) route_event("RTM_DELETE", *g);
  for (const auto& o : ifp.addrs4)
    if (o.plen == a.plen && ((o.addr ^ a.addr) & mask_of(a.plen)) == 0) return;
  const ip6_addr net = ip4::mapped(a.addr & mask_of(a.plen));
  const auto* c = rt4_.find(net, 96 + a.plen);
  if (c && c->kind == control::route_kind::connected && rt4_.hop(c->nh).ifindex == ifp.index)
    if (auto g = rt4_.remove(net, 96 + a.plen)) route_event("RTM_DELETE", *g);
}

node_result<ok_t> node::add_address4(std::string_view ifname, std::uint32_t a, unsigned plen,
                                     bool alias) {
  interface* ifp = find_interface(ifname);
  if (ifp == nullptr)
    return fail(errc::enxio, "interface " + std::string(ifname) + " does not exist");
  if (plen > 32 || a == 0 || is_multicast4(a) || a == 0xffffffffu || (a >> 24) == 127)
    return fail(errc::einval, "Invalid argument");
  for (const auto& other : ifs_)
    if (&other != ifp)
      for (const auto& e : other.addrs4)
        if (e.addr == a) return fail(errc::eexist, "File exists");
  if (!alias && !ifp->addrs4.empty()) {  // BSD: without alias, replace the first address
    const addr4_entry gone = ifp->addrs4.front();
    ifp->addrs4.erase(ifp->addrs4.begin());
    remove_address4_routes(*ifp, gone);
  }
  auto it = std::find_if(ifp->addrs4.begin(), ifp->addrs4.end(),
                         [&](const addr4_entry& e) { return e.addr == a; });
  if (it != ifp->addrs4.end()) {
    remove_address4_routes(*ifp, *it);
    ifp->addrs4.erase(it);
  }
  ifp->addrs4.push_back({a, plen});
  add_address4_routes(*ifp, ifp->addrs4.back());
  // Gratuitous ARP: announce the address (and update neighbours' caches).
  send_arp(*ifp, wire::arp::op_request, a, a, mac_addr{}, broadcast_mac);
  changed();
  return ok;
}

node_result<ok_t> node::delete_address4(std::string_view ifname, std::uint32_t a) {
  interface* ifp = find_interface(ifname);
  if (ifp == nullptr)
    return fail(errc::enxio, "interface " + std::string(ifname) + " does not exist");
  auto it = std::find_if(ifp->addrs4.begin(), ifp->addrs4.end(),
                         [&](const addr4_entry& e) { return e.addr == a; });
  if (it == ifp->addrs4.end()) return fail(errc::eaddrnotavail, "Can't assign requested address");
  const addr4_entry gone = *it;
  ifp->addrs4.erase(it);
  remove_address4_routes(*ifp, gone);
  changed();
  return ok;
}

node_result<ok_t> node::set_arp(std::uint32_t a, const mac_addr& mac, bool temp) {
  const unsigned ifx = onlink_interface4(a);
  if (ifx == 0 || mac.is_multicast())
    return fail(errc::einval, "set: cannot configure a new entry");
  if (!arp_.set_static(ifx, ip4::mapped(a), mac, temp, now()))
    return fail(errc::einval, "set: cannot configure a new entry");
  return ok;
}

node_result<ok_t> node::delete_arp(std::uint32_t a) {
  for (const auto& [k, e] : arp_.entries()) {
    if (e.addr == ip4::mapped(a)) {
      arp_.remove(e.ifindex, e.addr);
      return ok;
    }
  }
  return fail(errc::esrch, wire::ip4_to_string(a) + " not found");
}

void node::send_arp(interface& ifp, std::uint16_t op, std::uint32_t spa, std::uint32_t tpa,
                    const mac_addr& tha, const mac_addr& dst) {
  if (!ifp.usable()) return;
  std::vector<std::uint8_t> f(wire::ethernet_view::header_len + wire::arp::len);
  wire::ethernet_repr{dst, ifp.mac, static_cast<std::uint16_t>(wire::ethertype::arp)}.emit(
      mut_bytes(f));
  wire::arp_view a;
  a.op = op;
  a.sha = ifp.mac;
  a.spa = spa;
  a.tha = tha;
  a.tpa = tpa;
  a.emit(mut_bytes(f).subspan(wire::ethernet_view::header_len));
  if (env_.tx) env_.tx(ifp.port, std::move(f));
}

// RFC 826 "packet reception", with the merge rule: an existing entry for the
// sender is updated; a new one is made only when the target is us.
void node::arp_input(interface& ifp, bytes payload) {
  auto a = wire::arp_view::parse(payload);
  if (!a || (a->op != wire::arp::op_request && a->op != wire::arp::op_reply) ||
      a->sha.is_multicast()) {
    counters_.inc(stats::icmp::arp_badlen);
    return;
  }
  if (a->sha == ifp.mac) return;  // our own broadcast looped back
  if (is_our_address4(a->spa)) {
    counters_.inc(stats::icmp::arp_conflict);
    log(ifp.name + ": ARP: " + a->sha.to_string() + " is using my IP address " +
        wire::ip4_to_string(a->spa));
    return;
  }
  const bool for_us = std::any_of(ifp.addrs4.begin(), ifp.addrs4.end(),
                                  [&](const addr4_entry& e) { return e.addr == a->tpa; });
  const ip6_addr key = ip4::mapped(a->spa);
  if (a->spa != 0) {
    if (for_us || arp_.find(ifp.index, key) != nullptr) {
      arp_.on_lladdr_learned(ifp.index, key, a->sha, now());
      // A reply to our request confirms reachability.
      if (a->op == wire::arp::op_reply && for_us)
        arp_.on_advert(ifp.index, key, a->sha, false, true, true, now());
    }
  }
  if (a->op == wire::arp::op_request && for_us)
    send_arp(ifp, wire::arp::op_reply, a->tpa, a->spa, a->sha, a->sha);
}

void node::input4(interface& ifp, bytes frame) {
  auto eth = wire::ethernet_view::parse(frame);
  if (!eth) return;
  if (eth->type() == static_cast<std::uint16_t>(wire::ethertype::arp)) {
    arp_input(ifp, eth->payload());
    return;
  }
  if (eth->type() == static_cast<std::uint16_t>(wire::ethertype::ipv4))
    deliver4(ifp, eth->payload(), eth->dst().is_multicast());
}

// Checks the options of a packet that arrived on `in` (RFC 1812 §5.2.4;
// FreeBSD ip_dooptions()): a malformed option earns a Parameter Problem
// pointing at it, a source route "source route failed" (source routes are
// not honoured), both counted as bad options. False: the packet is consumed.
bool node::options_ok4(interface& in, bytes pkt, bool l2_broadcast, bool for_us) {
  const std::size_t hl = std::size_t{pkt[0] & 0x0fu} * 4;
  if (hl <= 20) return true;
  std::array<std::uint8_t, 60> copy{};
  std::copy_n(pkt.begin(), hl, copy.begin());
  const auto v = ip4::process_options(mut_bytes(copy.data(), hl), false, 0, 0, {});
  switch (v.what) {
    case ip4::options_verdict::kind::ok:
      return true;
    case ip4::options_verdict::kind::param_problem:
      counters_.inc(stats::ip::badoptions);
      send_error4(in, pkt, l2_broadcast, 12, 0, std::uint32_t{v.pointer} << 24);
      return false;
    case ip4::options_verdict::kind::source_route:
      if (for_us && !cfg_.forwarding4) {  // a host drops it silently
        counters_.inc(stats::ip::cantforward);
        return false;
      }
      counters_.inc(stats::ip::badoptions);
      send_error4(in, pkt, l2_broadcast, 3, 5, 0);
      return false;
  }
  return true;
}

// Fills this hop's Record Route / Timestamp entries of a packet leaving by
// `out` with the address of that interface (RFC 791 §3.1). True when the
// header changed: the caller recomputes its checksum.
bool node::record_options4(interface& out, std::uint32_t next_hop, mut_bytes pkt) {
  const std::size_t hl = std::size_t{pkt[0] & 0x0fu} * 4;
  if (hl <= 20 || out.addrs4.empty()) return false;
  std::uint32_t addr = out.addrs4.front().addr;
  for (const auto& a : out.addrs4)
    if (((a.addr ^ next_hop) & mask_of(a.plen)) == 0) addr = a.addr;
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const auto v =
      ip4::process_options(pkt.first(hl), true, addr, static_cast<std::uint32_t>(ms % 86'400'000),
                           [this](std::uint32_t a) { return is_our_address4(a); });
  return v.modified;
}

void node::deliver4(interface& ifp, bytes pkt, bool l2_broadcast) {
  auto ip = wire::ipv4_view::parse(pkt);
  if (!ip) return;  // the worker counted it
  if (!options_ok4(ifp, ip->packet(), l2_broadcast, true)) return;
  if (ip->is_fragment()) {
    counters_.inc(stats::ip::fragments);
    const std::vector<std::uint8_t> whole = reassemble4(ifp, *ip);
    if (!whole.empty()) deliver4(ifp, bytes(whole), l2_broadcast);
    return;
  }
  counters_.inc(stats::ip::delivered);
  const bytes l4 = ip->payload();
  switch (ip->protocol()) {
    case 1: {  // ICMP
      if (l4.size() < 8) {
        counters_.inc(stats::icmp::tooshort);
        return;
      }
      if (wire::fold(wire::sum16(l4)) != 0xffff) {
        counters_.inc(stats::icmp::checksum);
        return;
      }
      ++counters_.icmp_in_hist[l4[0]];
      if (l4[0] == 8 && l4[1] == 0) {  // echo request (RFC 792)
        const bool bcast = l2_broadcast || !is_our_address4(ip->dst());
        if (bcast && sysctl_.integer("net.inet.icmp.bmcastecho") == 0) return;
        send4_request r;
        r.dst = ip->src();
        if (!bcast) r.src = ip->dst();
        r.payload.assign(l4.begin(), l4.end());
        r.payload[0] = 0;
        if (send4(std::move(r))) counters_.inc(stats::icmp::reflect);
      } else if (l4[0] == 3 || l4[0] == 11) {
        error_input4(l4, ip->src(), ip->ttl());
      } else if (l4[0] == 0) {
        // Echo replies go to ping and traceroute -I listeners.
        if (env_.echo_reply) {
          echo_event ev;
          ev.ident = load_be16(&l4[4]);
          ev.seq = load_be16(&l4[6]);
          ev.from = ip4::mapped(ip->src());
          ev.to = ip4::mapped(ip->dst());
          ev.ifindex = ifp.index;
          ev.hlim = ip->ttl();
          ev.len = l4.size();
          ev.payload.assign(l4.begin() + 8, l4.end());
          env_.echo_reply(ev);
        }
      }
      return;
    }
    case 17:  // UDP: no sockets yet, port unreachable (RFC 1122 §3.2.2.1)
      send_error4(ifp, ip->packet(), l2_broadcast, 3, 3, 0);
      return;
    case 6:
      return;
    default:
      counters_.inc(stats::ip::noproto);
      send_error4(ifp, ip->packet(), l2_broadcast, 3, 2, 0);  // protocol unreachable
      return;
  }
}

void node::emit4(interface& ifp, const mac_addr& dst, std::vector<std::uint8_t> pkt,
                 bool forwarded) {
  if (!ifp.usable()) {
    counters_.inc(stats::ip::odropped);
    return;
  }
  std::vector<std::uint8_t> f(wire::ethernet_view::header_len + pkt.size());
  wire::ethernet_repr{dst, ifp.mac, static_cast<std::uint16_t>(wire::ethertype::ipv4)}.emit(
      mut_bytes(f));
  std::copy(pkt.begin(), pkt.end(), f.begin() + wire::ethernet_view::header_len);
  // Held packets released after ARP resolution: not ours means forwarded.
  if (!forwarded && pkt.size() >= 20) forwarded = !is_our_address4(load_be32(&pkt[12]));
  if (forwarded) {
    counters_.inc(stats::ip::forward);
  } else {
    counters_.inc(stats::ip::localout);
    if (pkt.size() > 20 && pkt[9] == 1) ++counters_.icmp_out_hist[pkt[(pkt[0] & 0xf) * 4u]];
  }
  if (env_.tx) env_.tx(ifp.port, std::move(f));
}

// Resolves the next hop and transmits, fragmenting when allowed (RFC 791
// §3.2, RFC 1812 §5.2.6).
void node::output4(interface& out, std::uint32_t next_hop, std::vector<std::uint8_t> pkt,
                   bool forwarded) {
  std::vector<std::vector<std::uint8_t>> pieces;
  const std::size_t hl = std::size_t{pkt[0] & 0x0fu} * 4;
  if (pkt.size() <= out.mtu) {
    pieces.push_back(std::move(pkt));
  } else {
    const std::size_t chunk = (out.mtu - hl) & ~std::size_t{7};
    const std::size_t total = pkt.size() - hl;
    const std::uint16_t base = load_be16(&pkt[6]);
    const std::size_t base_off = std::size_t{base & 0x1fffu} * 8;
    const bool base_more = (base & 0x2000) != 0;
    counters_.inc(stats::ip::fragmented);
    // Fragments after the first carry only the options marked "copied".
    std::array<std::uint8_t, 60> later{};
    const std::size_t later_hl =
        ip4::copy_fragment_options(bytes(pkt.data(), hl), mut_bytes(later));
    for (std::size_t off = 0; off < total; off += chunk) {
      const std::size_t n = std::min(chunk, total - off);
      const std::size_t h = off == 0 ? hl : later_hl;
      std::vector<std::uint8_t> f(h + n);
      std::copy_n(off == 0 ? pkt.data() : later.data(), h, f.begin());
      std::copy_n(pkt.begin() + static_cast<std::ptrdiff_t>(hl + off), n,
                  f.begin() + static_cast<std::ptrdiff_t>(h));
      store_be16(&f[2], static_cast<std::uint16_t>(h + n));
      const bool more = base_more || off + n < total;
      store_be16(&f[6], static_cast<std::uint16_t>(((base_off + off) / 8) | (more ? 0x2000 : 0)));
      ip4::ipv4_set_checksum(mut_bytes(f.data(), h));
      counters_.inc(stats::ip::ofragments);
      pieces.push_back(std::move(f));
    }
  }
  for (auto& p : pieces) {
    mac_addr mac;
    if (arp_.resolve(out.index, ip4::mapped(next_hop), &p, now(), mac) ==
        nd::neighbor_cache::resolve_result::send)
      emit4(out, mac, std::move(p), forwarded);
  }
}

node_result<std::uint32_t> node::send4(send4_request r) {
  const interface* local = nullptr;
  const bool to_self = is_our_address4(r.dst, &local);
  const bool limited_bcast = r.dst == 0xffffffffu;
  interface* out = nullptr;
  std::uint32_t next = r.dst;
  if (to_self) {
    out = interface_by_index(local->index);
  } else if (!limited_bcast) {
    const fib::nexthop_id id = rt4_.fib().lookup(ip4::mapped(r.dst));
    if (id == fib::no_route) {
      counters_.inc(stats::ip::noroute);
      return fail(errc::enetunreach, "No route to host");
    }
    const control::nexthop& nh = rt4_.hop(id);
    if (nh.type == control::nh_type::reject) return fail(errc::ehostunreach, "No route to host");
    if (nh.type == control::nh_type::blackhole) return std::uint32_t{0};
    out = interface_by_index(nh.ifindex);
    if (nh.gateway) next = load_be32(&nh.gateway->b[12]);
  }
  if (out == nullptr && !ifs_.empty() && limited_bcast) out = &ifs_.front();
  if (out == nullptr || out->addrs4.empty()) return fail(errc::enetunreach, "No route to host");
  std::uint32_t src = out->addrs4.front().addr;
  for (const auto& a : out->addrs4)
    if (((a.addr ^ next) & mask_of(a.plen)) == 0) src = a.addr;
  if (r.src) {
    if (!is_our_address4(*r.src))
      return fail(errc::eaddrnotavail, "Can't assign requested address");
    src = *r.src;
  }
  if (r.protocol == 1 && r.payload.size() >= 4) {
    r.payload[2] = r.payload[3] = 0;
    store_be16(&r.payload[2],
               static_cast<std::uint16_t>(~wire::fold(wire::sum16(bytes(r.payload)))));
  }
  if (r.payload.size() > 65535 - 20) return fail(errc::einval, "Message too long");
  std::vector<std::uint8_t> pkt(20 + r.payload.size());
  wire::ipv4_repr h;
  h.src = src;
  h.dst = r.dst;
  h.protocol = r.protocol;
  h.ttl = r.ttl.value_or(cfg_.ttl);
  h.total_length = static_cast<std::uint16_t>(pkt.size());
  h.ident = ++ip4_ident_;
  h.emit(mut_bytes(pkt));
  std::copy(r.payload.begin(), r.payload.end(), pkt.begin() + 20);
  if (to_self) {
    counters_.inc(stats::ip::localout);
    counters_.inc(stats::ip::total);
    deliver4(*out, bytes(pkt), false);
    return src;
  }
  if (limited_bcast) {
    emit4(*out, broadcast_mac, std::move(pkt), false);
    return src;
  }
  output4(*out, next, std::move(pkt), false);
  return src;
}

// RFC 1812 §4.3.2.7: no error about an ICMP error, a broadcast or multicast
// destination, a non-initial fragment, or a source that is not one host.
// The message quotes the header and as much data as keeps it within 576
// bytes (§4.3.2.3).
void node::send_error4(interface& ifp, bytes offending, bool l2_broadcast, std::uint8_t type,
                       std::uint8_t code, std::uint32_t param) {
  counters_.inc(stats::icmp::error);
  auto ip = wire::ipv4_view::parse(offending);
  if (!ip) return;
  const std::uint32_t dst = ip->dst(), src = ip->src();
  const bytes l4 = ip->payload();
  const bool icmp_error =
      ip->protocol() == 1 && !l4.empty() && l4[0] != 0 && l4[0] != 8 && l4[0] != 13 && l4[0] != 14;
  bool dst_bcast = l2_broadcast || dst == 0xffffffffu || is_multicast4(dst);
  for (const auto& a : ifp.addrs4)
    if (dst == a.broadcast()) dst_bcast = true;
  if (icmp_error || dst_bcast || ip->frag_offset() != 0 || src == 0 || is_multicast4(src) ||
      src == 0xffffffffu || (src >> 24) == 127) {
    counters_.inc(stats::icmp::oldicmp);
    return;
  }
  if (!err4_limit_.allow(now())) {
    counters_.inc(stats::icmp::toofreq);
    return;
  }
  const std::size_t n = std::min<std::size_t>(offending.size(), 576 - 20 - 8);
  send4_request r;
  r.dst = src;
  r.protocol = 1;
  r.payload.resize(8 + n);
  r.payload[0] = type;
  r.payload[1] = code;
  store_be32(&r.payload[4], param);
  std::copy_n(offending.begin(), n, r.payload.begin() + 8);
  (void)send4(std::move(r));
}

void node::forward_punt4(interface& in, bytes pkt, bool l2_broadcast, pipeline::punt_reason r,
                         std::uint32_t nexthop) {
  using pr = pipeline::punt_reason;
  switch (r) {
    case pr::local:
      deliver4(in, pkt, l2_broadcast);
      return;
    case pr::hop_limit:  // RFC 1812 §5.3.1: time exceeded in transit
      counters_.inc(stats::ip::cantforward);
      send_error4(in, pkt, l2_broadcast, 11, 0, 0);
      return;
    case pr::no_route:  // §5.2.7.1: network unreachable
    case pr::beyond_scope:
      counters_.inc(stats::ip::noroute);
      send_error4(in, pkt, l2_broadcast, 3, 0, 0);
      return;
    case pr::reject:  // communication administratively prohibited (RFC 1812 §5.2.7.1)
      counters_.inc(stats::ip::cantforward);
      send_error4(in, pkt, l2_broadcast, 3, 13, 0);
      return;
    case pr::too_big: {  // fragmentation needed and DF set, with the next-hop MTU (RFC 1191)
      unsigned mtu = 576;
      if (nexthop < rt4_.nexthops().size())
        if (const interface* o = interface_by_index(rt4_.hop(nexthop).ifindex)) mtu = o->mtu;
      counters_.inc(stats::ip::cantfrag);
      send_error4(in, pkt, l2_broadcast, 3, 4, mtu & 0xffffu);
      return;
    }
    case pr::resolve:
    case pr::redirect:
    case pr::slow_forward:
      forward_slow4(in, pkt, true);  // redirect whatever the punt reason
      return;
  }
}

void node::forward_slow4(interface& in, bytes pkt, bool may_redirect) {
  auto ip = wire::ipv4_view::parse(pkt);
  if (!ip || !cfg_.forwarding4) return;
  if (!options_ok4(in, ip->packet(), false, false)) return;
  if (ip->ttl() <= 1) {
    send_error4(in, pkt, false, 11, 0, 0);
    return;
  }
  const fib::nexthop_id id = rt4_.fib().lookup(ip4::mapped(ip->dst()));
  if (id == fib::no_route) {
    counters_.inc(stats::ip::noroute);
    send_error4(in, pkt, false, 3, 0, 0);
    return;
  }
  const control::nexthop& nh = rt4_.hop(id);
  if (nh.type == control::nh_type::local) {
    deliver4(in, pkt, false);
    return;
  }
  if (nh.type == control::nh_type::reject) {
    send_error4(in, pkt, false, 3, 13, 0);
    return;
  }
  if (nh.type == control::nh_type::blackhole) return;
  interface* out = interface_by_index(nh.ifindex);
  if (out == nullptr || !out->usable()) {
    send_error4(in, pkt, false, 3, 0, 0);
    return;
  }
  if (ip->total_length() > out->mtu && ip->dont_fragment()) {
    counters_.inc(stats::ip::cantfrag);
    send_error4(in, pkt, false, 3, 4, out->mtu & 0xffffu);
    return;
  }
  const std::uint32_t next = nh.gateway ? load_be32(&nh.gateway->b[12]) : ip->dst();
  // RFC 1812 §5.2.7.2: redirect a directly connected source (host redirect).
  if (may_redirect && cfg_.redirects4 && out == &in && ip->header_len() == 20) {
    for (const auto& a : in.addrs4) {
      if (((a.addr ^ ip->src()) & mask_of(a.plen)) != 0) continue;
      if (err4_limit_.allow(now())) {
        send4_request r;
        r.dst = ip->src();
        r.protocol = 1;
        const std::size_t n = std::min<std::size_t>(pkt.size(), 20 + 8);
        r.payload.resize(8 + n);
        r.payload[0] = 5;
        r.payload[1] = 1;  // redirect datagrams for the host
        store_be32(&r.payload[4], next);
        std::copy_n(pkt.begin(), n, r.payload.begin() + 8);
        (void)send4(std::move(r));
        counters_.inc(stats::ip::redirectsent);
      }
      break;
    }
  }
  if (id >= slow_use4_.size()) slow_use4_.resize(id + 1);
  ++slow_use4_[id];
  std::vector<std::uint8_t> copy(pkt.begin(), pkt.end());
  const bool rewritten = record_options4(*out, next, mut_bytes(copy));
  wire::ipv4_decrement_ttl(mut_bytes(copy));
  if (rewritten) ip4::ipv4_set_checksum(mut_bytes(copy).first(ip->header_len()));
  output4(*out, next, std::move(copy), true);
}

// ICMP errors quoting a UDP probe or an echo request of ours go to
// traceroute listeners.
void node::error_input4(bytes msg, std::uint32_t from, std::uint8_t ttl) {
  if (msg.size() < 8 + 20 + 8 || !env_.probe) return;
  const bytes inner = msg.subspan(8);
  const std::size_t hl = std::size_t{inner[0] & 0x0fu} * 4;
  if ((inner[0] >> 4) != 4 || hl < 20 || inner.size() < hl + 8) return;
  const bytes q = inner.subspan(hl);
  probe_event ev;
  ev.v4 = true;
  ev.from = ip4::mapped(from);
  ev.type = msg[0];
  ev.code = msg[1];
  ev.hlim = ttl;
  ev.len = msg.size();
  if (inner[9] == 17) {
    ev.ident = load_be16(&q[0]);
    ev.port = load_be16(&q[2]);
  } else if (inner[9] == 1 && q[0] == 8) {
    ev.ident = load_be16(&q[4]);
    ev.seq = load_be16(&q[6]);
  } else {
    return;
  }
  env_.probe(ev);
}

}  // namespace umi::node
