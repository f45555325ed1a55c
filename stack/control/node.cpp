#include "stack/control/node.hpp"

#include <algorithm>

#include "stack/ip6/source_select.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/icmpv6.hpp"
#include "stack/wire/ipv4.hpp"
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

std::optional<std::array<std::uint8_t, 8>> interface::interface_id() const {
  for (const auto& a : addrs) {
    if (!a.addr.is_link_local()) continue;
    std::array<std::uint8_t, 8> id{};
    std::copy(a.addr.b.begin() + 8, a.addr.b.end(), id.begin());
    return id;
  }
  return std::nullopt;
}

std::set<ip6_addr> interface::groups() const {
  // RFC 4291 §2.8: all-nodes (node- and link-local) and the solicited-node
  // group of every unicast and anycast address.
  std::set<ip6_addr> g{ip6::all_nodes, ip6::node_local_all_nodes};
  for (const auto& a : addrs) g.insert(a.addr.solicited_node());
  g.insert(ni_groups.begin(), ni_groups.end());
  if (all_routers) g.insert(ip6::all_routers);
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
      rt6_(env_.reclaimer),
      rt4_(env_.reclaimer),
      arp_(cfg_.nd, *env_.random,
           nd::nd_actions{[this](unsigned ifx, const ip6_addr& t, std::optional<mac_addr> m) {
                            // ARP request (RFC 826): broadcast, or unicast for a NUD probe.
                            interface* ifp = interface_by_index(ifx);
                            if (ifp == nullptr || ifp->addrs4.empty()) return;
                            const std::uint32_t tpa = load_be32(&t.b[12]);
                            std::uint32_t spa = ifp->addrs4.front().addr;
                            for (const auto& a : ifp->addrs4)
                              if (((a.addr ^ tpa) >> (32 - a.plen)) == 0) spa = a.addr;
                            send_arp(*ifp, wire::arp::op_request, spa, tpa, mac_addr{},
                                     m ? *m : mac_addr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}});
                          },
                          [this](unsigned ifx, const mac_addr& mac, std::vector<std::uint8_t> pkt) {
                            if (interface* ifp = interface_by_index(ifx))
                              emit4(*ifp, mac, std::move(pkt), false);
                          },
                          [this](unsigned ifx, std::vector<std::uint8_t> pkt) {
                            // RFC 1812 §4.3.3.1: host unreachable for each held packet.
                            if (interface* ifp = interface_by_index(ifx))
                              send_error4(*ifp, bytes(pkt), false, 3, 1, 0);
                          }}),
      err_limit_(cfg_.icmp6_errppslimit) {
  sysctl_.force("kern.hostname", cfg_.hostname);
  sysctl_.force("net.inet6.ip6.forwarding", std::int64_t{cfg_.forwarding});
  sysctl_.on_change = [this](const std::string& name) { apply_sysctl(name); };
  ni_limit_.set_rate(cfg_.icmp6_errppslimit);
}

void node::apply_sysctl(const std::string& name) {
  auto i = [this](const char* n) { return sysctl_.integer(n); };
  cfg_.forwarding = i("net.inet6.ip6.forwarding") != 0;
  cfg_.forwarding4 = i("net.inet.ip.forwarding") != 0;
  cfg_.redirects4 = i("net.inet.ip.redirect") != 0;
  cfg_.ttl = static_cast<std::uint8_t>(i("net.inet.ip.ttl"));
  err4_limit_.set_rate(static_cast<unsigned>(i("net.inet.icmp.icmplim")));
  cfg_.redirects = i("net.inet6.ip6.redirect") != 0;
  cfg_.hop_limit = static_cast<std::uint8_t>(i("net.inet6.ip6.hlim"));
  cfg_.dad_count = static_cast<unsigned>(i("net.inet6.ip6.dad_count"));
  cfg_.icmp6_errppslimit = static_cast<unsigned>(i("net.inet6.icmp6.errppslimit"));
  cfg_.accept_redirects = i("net.inet6.icmp6.rediraccept") != 0;
  cfg_.redirect_timeout = std::chrono::seconds(i("net.inet6.icmp6.redirtimeout"));
  cfg_.nd.delay_first_probe = std::chrono::seconds(i("net.inet6.icmp6.nd6_delay"));
  cfg_.nd.max_unicast_solicit = static_cast<unsigned>(i("net.inet6.icmp6.nd6_umaxtries"));
  cfg_.nd.max_multicast_solicit = static_cast<unsigned>(i("net.inet6.icmp6.nd6_mmaxtries"));
  cfg_.nd.max_queue = static_cast<std::size_t>(i("net.inet6.icmp6.nd6_maxqueuelen"));
  cfg_.hostname = sysctl_.string("kern.hostname");
  nc_.set_params(cfg_.nd);
  arp_.set_params(cfg_.nd);
  err_limit_.set_rate(cfg_.icmp6_errppslimit);
  ni_limit_.set_rate(cfg_.icmp6_errppslimit);
  update_ni_groups();
  log("sysctl " + name + " changed");
  changed();
}

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
  update_ni_groups();
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
  add_address_routes(ifp, e);
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
    arp_.flush_interface(ifp->index);
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
    // Configured by hand: an autoconfigured address stops ageing (RAs never
    // expire what an administrator set).
    e->autoconf = e->deprecated = false;
    e->valid_until.reset();
    e->preferred_until.reset();
    changed();
    return ok;
  }
  if (!p.alias && !ifp->addrs.empty()) {
    // KAME ifconfig without `alias` replaces the first inet6 address.
    const addr_entry gone = ifp->addrs.front();
    ifp->addrs.erase(ifp->addrs.begin());
    remove_address_routes(*ifp, gone);
  }
  addr_entry e;
  e.addr = a;
  e.plen = p.plen;
  e.anycast = p.anycast;
  ifp->addrs.push_back(e);
  add_address_routes(*ifp, e);
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
  const addr_entry gone = *it;
  ifp->addrs.erase(it);
  remove_address_routes(*ifp, gone);
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
  ra_tick(t);
  rtsol_tick(t);
  nc_.tick(t);
  arp_.tick(t);
  expire_reassembly(t);
  rtadv_.tick();
  // Routes learned from redirects live net.inet6.icmp6.redirtimeout seconds.
  std::vector<std::pair<ip6_addr, unsigned>> expired;
  for (const auto& [when, k] : rt6_.expiring()) {
    if (when > t) break;
    const control::route6* r = rt6_.find(k.first, k.second);
    if (r != nullptr && r->kind == control::route_kind::redirect) expired.push_back(k);
  }
  for (const auto& [d, l] : expired) {
    if (auto r = rt6_.remove(d, l)) route_event("RTM_DELETE", *r);
    changed();
  }
}

void node::input(unsigned port, bytes frame) {
  interface* ifp = interface_by_port(port);
  if (ifp == nullptr || !ifp->up) return;
  auto eth = wire::ethernet_view::parse(frame);
  if (!eth) return;
  if (eth->type() != static_cast<std::uint16_t>(wire::ethertype::ipv6)) {
    input4(*ifp, frame);
    return;
  }
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
      counters_.inc(stats::ip6::fragments);
      reassemble(ifp, *ip, w.nh_field_offset, l2_multicast);
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

}  // namespace umi::node
