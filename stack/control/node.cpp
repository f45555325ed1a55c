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

const char* errc_name(errc e) noexcept {
  switch (e) {
    case errc::enxio:
      return "ENXIO";
    case errc::einval:
      return "EINVAL";
    case errc::eexist:
      return "EEXIST";
    case errc::esrch:
      return "ESRCH";
    case errc::eaddrnotavail:
      return "EADDRNOTAVAIL";
    case errc::enetunreach:
      return "ENETUNREACH";
    case errc::ehostunreach:
      return "EHOSTUNREACH";
    case errc::enetdown:
      return "ENETDOWN";
  }
  return "EINVAL";
}

namespace {
unexpected<node_error> fail(errc c, std::string msg) {
  return unexpected{node_error{c, std::move(msg)}};
}
}  // namespace

const addr_entry* interface::find(const ip6_addr& a) const noexcept {
  for (const auto& e : addrs)
    if (e.addr == a) return &e;
  return nullptr;
}
addr_entry* interface::find(const ip6_addr& a) noexcept {
  for (auto& e : addrs)
    if (e.addr == a) return &e;
  return nullptr;
}

std::set<ip6_addr> interface::groups() const {
  // RFC 4291 §2.8: all-nodes (node- and link-local) and the solicited-node
  // group of every unicast and anycast address.
  std::set<ip6_addr> g{ip6::all_nodes, ip6::node_local_all_nodes};
  for (const auto& a : addrs) g.insert(a.addr.solicited_node());
  return g;
}

node::node(node_config cfg, node_env env)
    : cfg_(std::move(cfg)),
      env_(std::move(env)),
      nc_(cfg_.nd, *env_.random,
          nd::nd_actions{[this](unsigned ifx, const ip6_addr& t, std::optional<mac_addr> m) {
                           send_ns(ifx, t, m, false);
                         },
                         [this](unsigned ifx, const mac_addr& mac, std::vector<std::uint8_t> pkt) {
                           if (interface* ifp = interface_by_index(ifx))
                             emit(*ifp, mac, std::move(pkt));
                         },
                         [this](unsigned ifx, std::vector<std::uint8_t> pkt) {
                           // RFC 4861 §7.2.2: address unreachable for each held packet.
                           counters_.inc(stats::icmp6::nd_queue_drop);
                           if (interface* ifp = interface_by_index(ifx))
                             send_error(*ifp, bytes(pkt), false, wire::icmp6_type::dst_unreach, 3,
                                        0);
                         }}),
      err_limit_(cfg_.icmp6_errppslimit) {}

unsigned node::add_interface(const std::string& name, unsigned port, const mac_addr& mac,
                             unsigned mtu) {
  interface ifp;
  ifp.name = name;
  ifp.index = static_cast<unsigned>(ifs_.size()) + 1;
  ifp.port = port;
  ifp.mac = mac;
  ifp.mtu = mtu;
  ifs_.push_back(std::move(ifp));
  assign_link_local(ifs_.back());
  changed();
  return ifs_.back().index;
}

interface* node::find_interface(std::string_view name) {
  for (auto& i : ifs_)
    if (i.name == name) return &i;
  return nullptr;
}
interface* node::interface_by_index(unsigned ifindex) {
  return (ifindex >= 1 && ifindex <= ifs_.size()) ? &ifs_[ifindex - 1] : nullptr;
}
interface* node::interface_by_port(unsigned port) {
  for (auto& i : ifs_)
    if (i.port == port) return &i;
  return nullptr;
}

void node::set_link(unsigned ifindex, bool link_up, std::uint32_t speed_mbps) {
  interface* ifp = interface_by_index(ifindex);
  if (ifp == nullptr) return;
  const bool was = ifp->usable();
  ifp->link = link_up;
  ifp->speed_mbps = speed_mbps;
  if (!was && ifp->usable()) {
    for (auto& a : ifp->addrs) start_dad(*ifp, a);
  }
  changed();
}

// KAME in6_ifattach: the link-local address is fe80::/64 + the EUI-64 of the
// MAC; with no usable MAC, the last-resort interface identifier is taken from
// MD5(hostname).
void node::assign_link_local(interface& ifp) {
  for (const auto& a : ifp.addrs)
    if (a.addr.is_link_local()) return;
  ip6_addr ll = ifp.mac.is_zero() || ifp.mac.is_multicast()
                    ? make_addr(ip6_addr{{0xfe, 0x80}}, ifid_from_hostname(cfg_.hostname))
                    : link_local_from_mac(ifp.mac);
  addr_entry e;
  e.addr = ll;
  e.plen = 64;
  ifp.addrs.insert(ifp.addrs.begin(), e);
  start_dad(ifp, ifp.addrs.front());
}

void node::start_dad(interface& ifp, addr_entry& a) {
  a.duplicated = false;
  // RFC 4862 §5.4: no DAD for anycast addresses, nor when dad_count is 0.
  if (a.anycast || cfg_.dad_count == 0) {
    a.tentative = false;
    a.dad_running = false;
    return;
  }
  a.tentative = true;
  a.dad_running = true;
  a.dad_ns_left = cfg_.dad_count;
  // §5.4.2: delay the first NS by a random 0..MAX_RTR_SOLICITATION_DELAY (1 s).
  a.dad_next = now() + std::chrono::milliseconds(env_.random->uniform(0, 1000));
  (void)ifp;
}

void node::dad_failed(interface& ifp, addr_entry& a, const char* why) {
  a.tentative = false;
  a.duplicated = true;
  a.dad_running = false;
  counters_.inc(stats::icmp6::dad_duplicated);
  log(ifp.name + ": DAD detected duplicate IPv6 address " + a.addr.to_string() + ": " + why);
  changed();
}

node_result<ok_t> node::set_up(std::string_view ifname, bool up) {
  interface* ifp = find_interface(ifname);
  if (ifp == nullptr)
    return fail(errc::enxio, "interface " + std::string(ifname) + " does not exist");
  if (ifp->up == up) return ok;
  ifp->up = up;
  if (!up) {
    nc_.flush_interface(ifp->index);
    for (auto& a : ifp->addrs) a.dad_running = false;
  } else {
    // KAME in6_if_up: a link-local address is (re)assigned if missing and
    // every address goes through DAD again.
    assign_link_local(*ifp);
    for (auto& a : ifp->addrs) start_dad(*ifp, a);
  }
  changed();
  return ok;
}

node_result<ok_t> node::add_address(std::string_view ifname, const ip6_addr& a, addr_params p) {
  interface* ifp = find_interface(ifname);
  if (ifp == nullptr)
    return fail(errc::enxio, "interface " + std::string(ifname) + " does not exist");
  if (p.plen > 128) return fail(errc::einval, "prefixlen: bad value");
  if (a.is_multicast() || a.is_unspecified() || a.is_loopback())
    return fail(errc::einval, "Invalid argument");
  for (const auto& other : ifs_)
    if (&other != ifp && other.find(a)) return fail(errc::eexist, "File exists");
  if (addr_entry* e = ifp->find(a)) {
    e->plen = p.plen;
    e->anycast = p.anycast;
    changed();
    return ok;
  }
  if (!p.alias && !ifp->addrs.empty()) {
    // KAME ifconfig without `alias` replaces the first inet6 address.
    ifp->addrs.erase(ifp->addrs.begin());
  }
  addr_entry e;
  e.addr = a;
  e.plen = p.plen;
  e.anycast = p.anycast;
  ifp->addrs.push_back(e);
  if (ifp->usable()) {
    start_dad(*ifp, ifp->addrs.back());
  } else {
    ifp->addrs.back().tentative = !p.anycast;
  }
  changed();
  return ok;
}

node_result<ok_t> node::delete_address(std::string_view ifname, const ip6_addr& a) {
  interface* ifp = find_interface(ifname);
  if (ifp == nullptr)
    return fail(errc::enxio, "interface " + std::string(ifname) + " does not exist");
  auto it = std::find_if(ifp->addrs.begin(), ifp->addrs.end(),
                         [&](const addr_entry& e) { return e.addr == a; });
  if (it == ifp->addrs.end()) return fail(errc::eaddrnotavail, "Can't assign requested address");
  ifp->addrs.erase(it);
  changed();
  return ok;
}

unsigned node::onlink_interface(const ip6_addr& a) const {
  for (const auto& i : ifs_)
    for (const auto& e : i.addrs)
      if (!e.addr.is_link_local() && !e.duplicated && a.matches_prefix(e.addr, e.plen))
        return i.index;
  return 0;
}

node_result<ok_t> node::set_neighbor(unsigned ifindex, const ip6_addr& a, const mac_addr& mac,
                                     bool temp) {
  if (interface_by_index(ifindex) == nullptr || a.is_multicast())
    return fail(errc::einval, "set: cannot configure a new entry");
  if (!nc_.set_static(ifindex, a, mac, temp, now()))
    return fail(errc::einval, "set: cannot configure a new entry");
  return ok;
}

node_result<ok_t> node::delete_neighbor(unsigned ifindex, const ip6_addr& a) {
  if (!nc_.remove(ifindex, a)) return fail(errc::esrch, "cannot locate " + a.to_string());
  return ok;
}

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

void node::emit(interface& ifp, const mac_addr& dst_mac, std::vector<std::uint8_t> ip6pkt) {
  if (!ifp.usable()) {
    counters_.inc(stats::ip6::odropped);
    return;
  }
  std::vector<std::uint8_t> frame(wire::ethernet_view::header_len + ip6pkt.size());
  wire::ethernet_repr{dst_mac, ifp.mac, static_cast<std::uint16_t>(wire::ethertype::ipv6)}.emit(
      mut_bytes(frame));
  std::copy(ip6pkt.begin(), ip6pkt.end(), frame.begin() + wire::ethernet_view::header_len);
  if (ip6pkt.size() > wire::ipv6_view::header_len && ip6pkt[6] == 58)
    ++counters_.icmp6_out_hist[ip6pkt[wire::ipv6_view::header_len]];
  counters_.inc(stats::ip6::localout);
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
  if (ifp == nullptr) {
    if (to_self) {
      ifp = interface_by_index(local_if->index);
    } else {
      ifp = interface_by_index(onlink_interface(r.dst));
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
      r.hop_limit ? *r.hop_limit : (r.dst.is_multicast() ? 1 : cfg_.hop_limit);
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
    emit(*ifp, r.dst.multicast_mac(), std::move(pkt));
    // IPV6_MULTICAST_LOOP (default on): our own membership hears it too.
    if (joined) {
      counters_.inc(stats::ip6::total);
      deliver(*ifp, bytes(copy), true);
    }
    return res;
  }
  mac_addr mac;
  switch (nc_.resolve(ifp->index, r.dst, &pkt, now(), mac)) {
    case nd::neighbor_cache::resolve_result::send:
      emit(*ifp, mac, std::move(pkt));
      break;
    case nd::neighbor_cache::resolve_result::queued:
      break;
    case nd::neighbor_cache::resolve_result::dropped:
      return fail(errc::ehostunreach, "No buffer space available");
  }
  return res;
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

void node::tick() {
  const time_point t = now();
  for (auto& ifp : ifs_) {
    if (!ifp.usable()) continue;
    for (auto& a : ifp.addrs) {
      if (!a.dad_running || a.dad_next > t) continue;
      if (a.dad_ns_left > 0) {
        --a.dad_ns_left;
        send_ns(ifp.index, a.addr, std::nullopt, true);
        a.dad_next = t + cfg_.nd.retrans_timer;
      } else {
        // RFC 4862 §5.4.5: no conflict heard: the address is ours. Announce
        // it with an unsolicited NA (RFC 4861 §7.2.6).
        a.dad_running = false;
        a.tentative = false;
        log(ifp.name + ": " + a.addr.to_string() + " passed DAD");
        send_na(ifp, ip6::all_nodes, a.addr, false, !a.anycast);
        changed();
      }
    }
  }
  nc_.tick(t);
}

void node::input(unsigned port, bytes frame) {
  interface* ifp = interface_by_port(port);
  if (ifp == nullptr || !ifp->up) return;
  auto eth = wire::ethernet_view::parse(frame);
  if (!eth || eth->type() != static_cast<std::uint16_t>(wire::ethertype::ipv6)) return;
  deliver(*ifp, eth->payload(), eth->dst().is_multicast());
}

// Local delivery of a packet whose fixed header the worker has validated.
void node::deliver(interface& ifp, bytes ip6pkt, bool l2_multicast) {
  auto ip = wire::ipv6_view::parse(ip6pkt);
  if (!ip) return;  // the worker counted it
  auto w = wire::walk_extension_headers(*ip);
  using st = wire::ext_walk::status;
  switch (w.st) {
    case st::ok:
      break;
    case st::param_problem:
      counters_.inc(stats::ip6::badoptions);
      send_error(ifp, ip->packet(), l2_multicast, wire::icmp6_type::param_problem, w.icmp_code,
                 w.pointer);
      return;
    case st::discard:
    case st::truncated:
      counters_.inc(stats::ip6::badoptions);
      return;
    case st::too_many:
      counters_.inc(stats::ip6::toomanyhdr);
      return;
    case st::fragment:
      // Reassembly is not implemented: fragments are counted and dropped.
      counters_.inc(stats::ip6::fragments);
      return;
  }
  ++counters_.ip6_in_hist[w.upper];
  // RFC 4862 §5.4: DAD's own NS/NA go to multicast groups; anything unicast
  // to a tentative address, NS and NA included, is silently discarded.
  if (const addr_entry* a = ifp.find(ip->dst()); a && (a->tentative || a->duplicated)) return;
  counters_.inc(stats::ip6::delivered);
  switch (w.upper) {
    case 58:
      icmp_input(ifp, ip->packet(), w.upper_offset, l2_multicast);
      return;
    case 59:  // no next header
      return;
    case 17:  // no UDP sockets yet: port unreachable (RFC 4443 §3.1 code 4)
      send_error(ifp, ip->packet(), l2_multicast, wire::icmp6_type::dst_unreach, 4, 0);
      return;
    case 6:  // no TCP listeners yet
      return;
    default:
      // RFC 8200 §4: unrecognised next header => Parameter Problem code 1,
      // pointing at the field that named it.
      counters_.inc(stats::ip6::nxthdr_unknown);
      send_error(ifp, ip->packet(), l2_multicast, wire::icmp6_type::param_problem, 1,
                 w.nh_field_offset);
      return;
  }
}

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
    case wire::icmp6_type::router_solicit:
    case wire::icmp6_type::router_advert:
    case wire::icmp6_type::redirect:
      // RFC 4861 §6.1: validity first; router behaviour comes with routing.
      if (ip->hop_limit() != 255) counters_.inc(stats::icmp6::nd_badhlim);
      return;
    default:
      if (wire::is_icmp6_error(icmp->type())) error_input(msg, ip->src());
      return;
  }
}

// RFC 4861 §7.1.1 validation, then §7.2.3 / RFC 4862 §5.4.3.
void node::ns_input(interface& ifp, const ip6_addr& src, const ip6_addr& dst, std::uint8_t hlim,
                    bytes msg) {
  if (hlim != 255) {
    counters_.inc(stats::icmp6::nd_badhlim);
    return;
  }
  auto ns = wire::ns_view::parse(msg);
  if (msg[1] != 0 || !ns) {
    counters_.inc(stats::icmp6::nd_invalid);
    return;
  }
  auto opts = wire::parse_nd_options(ns->options());
  if (!opts) {
    counters_.inc(stats::icmp6::nd_badopt);
    return;
  }
  const ip6_addr target = ns->target();
  if (target.is_multicast() ||
      (src.is_unspecified() && (!dst.is_solicited_node() || opts->src_lladdr))) {
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
  if (opts->src_lladdr) nc_.on_lladdr_learned(ifp.index, src, *opts->src_lladdr, now());
  send_na(ifp, src, target, true, !a->anycast);
}

// RFC 4861 §7.1.2 validation, then §7.2.5 / RFC 4862 §5.4.4.
void node::na_input(interface& ifp, const ip6_addr& src, const ip6_addr& dst, std::uint8_t hlim,
                    bytes msg) {
  (void)src;
  if (hlim != 255) {
    counters_.inc(stats::icmp6::nd_badhlim);
    return;
  }
  auto na = wire::na_view::parse(msg);
  if (msg[1] != 0 || !na) {
    counters_.inc(stats::icmp6::nd_invalid);
    return;
  }
  auto opts = wire::parse_nd_options(na->options());
  if (!opts) {
    counters_.inc(stats::icmp6::nd_badopt);
    return;
  }
  if (na->target().is_multicast() || (dst.is_multicast() && na->solicited())) {
    counters_.inc(stats::icmp6::nd_invalid);
    return;
  }
  if (addr_entry* a = ifp.find(na->target())) {
    if (a->tentative && a->dad_running)
      dad_failed(ifp, *a, "NA received");
    else if (!a->duplicated)
      log(ifp.name + ": duplicate address " + a->addr.to_string() + " advertised by another node");
    return;
  }
  nc_.on_advert(ifp.index, na->target(), opts->tgt_lladdr, na->router(), na->solicited(),
                na->override_flag(), now());
}

// An ICMPv6 error quoting one of our echo requests is reported to ping6.
void node::error_input(bytes msg, const ip6_addr& from) {
  if (msg.size() < 8 + wire::ipv6_view::header_len + 8) return;
  const bytes inner = msg.subspan(8);
  const std::size_t plen = load_be16(&inner[4]);
  (void)plen;
  if (inner[6] != 58) return;
  const bytes quoted = inner.subspan(wire::ipv6_view::header_len);
  if (quoted[0] != echo_request) return;
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
