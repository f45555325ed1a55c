// Router advertisements as a host processes them (RFC 4861 §6.1.2, §6.3.4,
// RFC 4862 §5.5.3), the lifetimes of what they teach us, and the router
// solicitor behind rtsol/rtsold (RFC 4861 §6.3.7, KAME rtsold.c).
#include <algorithm>

#include "stack/control/node.hpp"
#include "stack/wire/icmpv6.hpp"
#include "stack/wire/ra.hpp"

namespace umi::node {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::optional<time_point> lifetime_end(time_point now, std::uint32_t secs) {
  if (secs == wire::infinite_lifetime) return std::nullopt;
  return now + seconds(secs);
}

std::optional<std::uint32_t> lifetime_value(std::uint32_t secs) {
  if (secs == wire::infinite_lifetime) return std::nullopt;
  return secs;
}

// RFC 4862 §5.5.3 (e): the new valid lifetime of an address that already
// exists. `remaining` nullopt is infinity.
std::optional<time_point> two_hour_rule(time_point now, std::optional<time_point> current,
                                        std::uint32_t received) {
  const std::optional<time_point> offered = lifetime_end(now, received);
  // 1. Received lifetime above two hours, or above the remaining lifetime:
  //    take it.
  if (!offered) return offered;
  if (seconds(received) > two_hours || (current && *offered > *current)) return offered;
  // 2. Remaining lifetime at most two hours: keep it (an unauthenticated RA
  //    may not shorten it).
  if (current && *current - now <= two_hours) return current;
  // 3. Otherwise two hours.
  return now + two_hours;
}

// KAME rtsold's interface_up(): the link is up and the link-local address
// has passed DAD, so an RS can leave from it.
bool ready_to_solicit(const interface& ifp) {
  if (!ifp.usable()) return false;
  for (const auto& a : ifp.addrs)
    if (a.addr.is_link_local() && a.tentative) return false;
  return true;
}

const char* state_number(rtsol_state s) {
  switch (s) {
    case rtsol_state::idle:
      return "0";
    case rtsol_state::delay:
      return "1";
    case rtsol_state::probe:
      return "2";
    case rtsol_state::down:
      return "3";
  }
  return "?";
}

}  // namespace

// ---- RA input ---------------------------------------------------------------------

void node::ra_input(interface& ifp, const ip6_addr& src, std::uint8_t hlim, bytes msg) {
  // RFC 4861 §6.1.2: hop limit 255, link-local source, code 0, at least 16
  // octets, every option well formed. Each refusal has its own counter.
  if (hlim != 255) {
    counters_.inc(stats::icmp6::nd_badhlim);
    counters_.inc(stats::icmp6::ra_badhlim);
    return;
  }
  if (!src.is_link_local()) {
    counters_.inc(stats::icmp6::ra_badsrc);
    return;
  }
  auto ra = wire::ra_view::parse(msg);
  if (!ra || msg[1] != 0) {
    counters_.inc(stats::icmp6::nd_invalid);
    counters_.inc(stats::icmp6::ra_invalid);
    return;
  }
  auto opts = wire::parse_ra_options(ra->options());
  if (!opts) {
    counters_.inc(stats::icmp6::nd_badopt);
    counters_.inc(stats::icmp6::ra_badopt);
    return;
  }
  // Our own RA, looped back to the all-nodes group we belong to, teaches nothing.
  if (ifp.find(src) != nullptr) {
    counters_.inc(stats::icmp6::ra_ignored);
    return;
  }
  // A valid RA ends a solicitation round whether or not we act on it (KAME
  // rtsold listens on its own socket).
  rtsol_heard_ra(ifp.index, src);

  // KAME: RAs are processed only by hosts (forwarding 0) with accept_rtadv 1.
  if (sysctl_.integer("net.inet6.ip6.accept_rtadv") == 0 || cfg_.forwarding) {
    counters_.inc(stats::icmp6::ra_ignored);
    return;
  }
  counters_.inc(stats::icmp6::ra_accepted);
  counters_.icmp6[static_cast<std::size_t>(stats::icmp6::ra_badprefix)] += opts->bad_prefix_len;

  // §6.3.4: the link parameters an RA may set; zero means unspecified. They
  // shape what the node itself sends on the link (KAME's nd_ifinfo).
  ra_ifinfo& ii = ifinfo_for(ifp);
  if (ra->cur_hop_limit() != 0) ii.curhlim = ra->cur_hop_limit();
  if (ra->reachable_time() != 0 && ra->reachable_time() <= 3600000 &&
      ii.basereachable_ms != ra->reachable_time()) {
    ii.basereachable_ms = ra->reachable_time();
    cfg_.nd.base_reachable_time = milliseconds(ra->reachable_time());
    nc_.set_params(cfg_.nd);
  }
  if (ra->retrans_timer() != 0 && ra->retrans_timer() <= 3600000) {
    ii.retrans_ms = ra->retrans_timer();
    cfg_.nd.retrans_timer = milliseconds(ra->retrans_timer());
    nc_.set_params(cfg_.nd);
  }
  if (opts->mtu) {
    // §6.3.4: an MTU below the IPv6 minimum or above the link's maximum is
    // ignored.
    if (*opts->mtu >= 1280 && *opts->mtu <= ifp.mtu) {
      ii.linkmtu = *opts->mtu;
    } else {
      log(ifp.name + ": RA from " + src.to_string() + " with bogus MTU " +
          std::to_string(*opts->mtu) + " ignored");
    }
  }
  if (opts->src_lladdr) nc_.on_lladdr_learned(ifp.index, src, *opts->src_lladdr, now(), true);
  ra_router(ifp, src, ra->router_lifetime(), ra->managed(), ra->other());
  // What the data path uses (addresses, routes, MTU) reports its own changes.
  for (const auto& pi : opts->prefixes) ra_prefix(ifp, src, pi);
}

ra_ifinfo& node::ifinfo_for(interface& ifp) {
  for (auto& i : ra_.ifinfo)
    if (i.ifindex == ifp.index) return i;
  ra_ifinfo i;
  i.ifindex = ifp.index;
  ra_.ifinfo.push_back(i);
  return ra_.ifinfo.back();
}

const ra_ifinfo* node::nd_ifinfo(unsigned ifindex) const {
  for (const auto& i : ra_.ifinfo)
    if (i.ifindex == ifindex) return &i;
  return nullptr;
}

unsigned node::link_mtu(const interface& ifp) const {
  const ra_ifinfo* ii = nd_ifinfo(ifp.index);
  return ii && ii->linkmtu ? std::min(*ii->linkmtu, ifp.mtu) : ifp.mtu;
}

std::uint8_t node::hop_limit_for(unsigned ifindex) const {
  const ra_ifinfo* ii = nd_ifinfo(ifindex);
  return ii && ii->curhlim ? *ii->curhlim : cfg_.hop_limit;
}

// §6.3.4: the default router list.
void node::ra_router(interface& ifp, const ip6_addr& router, std::uint16_t lifetime, bool m,
                     bool o) {
  auto it = std::find_if(ra_.routers.begin(), ra_.routers.end(), [&](const default_router& r) {
    return r.ifindex == ifp.index && r.addr == router;
  });
  if (lifetime == 0) {
    if (it != ra_.routers.end()) {
      log(ifp.name + ": router " + router.to_string() + " withdrew (lifetime 0)");
      ra_.routers.erase(it);
      sync_default_route();
    }
    return;
  }
  if (it == ra_.routers.end()) {
    if (ra_.routers.size() >= max_default_routers) {
      counters_.inc(stats::icmp6::ra_router_full);
      return;
    }
    ra_.routers.push_back(default_router{ifp.index, router, {}, m, o});
    it = ra_.routers.end() - 1;
    log(ifp.name + ": default router " + router.to_string() + " learned");
  }
  it->expire = now() + seconds(lifetime);
  it->managed = m;
  it->other = o;
  sync_default_route();
}

void node::default_router_flush() {
  ra_.routers.clear();
  sync_default_route();
}

// The ::/0 route follows the default router list: through the first router
// whose link is usable. A default route set by hand is never touched.
void node::sync_default_route() {
  const control::route6* cur = rt6_.find(ip6_addr{}, 0);
  if (cur && cur->kind != control::route_kind::default_router) return;
  const default_router* best = nullptr;
  for (const auto& r : ra_.routers) {
    const interface* ifp = interface_by_index(r.ifindex);
    if (ifp && ifp->usable()) {
      best = &r;
      break;
    }
  }
  if (best == nullptr) {
    if (cur) {
      if (auto r = rt6_.remove(ip6_addr{}, 0)) route_event("RTM_DELETE", *r);
      changed();
    }
    return;
  }
  const control::nexthop nh{control::nh_type::forward, best->ifindex, best->addr, 0};
  if (cur && rt6_.hop(cur->nh) == nh) return;
  control::route6 r;
  r.plen = 0;
  r.kind = control::route_kind::default_router;
  if (auto res = rt6_.add(r, nh, cur != nullptr))
    route_event(cur ? "RTM_CHANGE" : "RTM_ADD", **res);
  changed();
}

// §6.3.4 (on-link) and RFC 4862 §5.5.3 (autonomous) for one prefix option.
void node::ra_prefix(interface& ifp, const ip6_addr& router, const wire::prefix_info& pi) {
  // RFC 4862 §5.5.3 (b), (c): link-local prefixes and preferred > valid are
  // ignored; so is anything multicast.
  if (pi.prefix.is_link_local() || pi.prefix.is_multicast() ||
      pi.preferred_lifetime > pi.valid_lifetime) {
    counters_.inc(stats::icmp6::ra_badprefix);
    return;
  }
  if (!pi.onlink && !pi.autonomous) return;
  const unsigned plen = pi.prefix_len;
  const ip6_addr prefix = pi.prefix.masked(plen);
  const time_point t = now();
  auto it = std::find_if(prefixes_.begin(), prefixes_.end(), [&](const prefix_entry& e) {
    return e.ifindex == ifp.index && e.plen == plen && e.prefix == prefix;
  });
  // A prefix configured by hand takes precedence over what routers say.
  if (it != prefixes_.end() && !it->from_ra) return;
  // §5.5.3 (d): autoconfiguration needs prefix length + 64-bit ID = 128.
  const bool autoconf = pi.autonomous && plen == 64;

  if (it == prefixes_.end()) {
    if (pi.valid_lifetime == 0) return;  // §6.3.4: "do not add it"
    const auto learned = std::count_if(prefixes_.begin(), prefixes_.end(),
                                       [](const prefix_entry& e) { return e.from_ra; });
    if (static_cast<std::size_t>(learned) >= max_ra_prefixes) {
      counters_.inc(stats::icmp6::ra_prefix_full);
      return;
    }
    prefix_entry e;
    e.ifindex = ifp.index;
    e.prefix = prefix;
    e.plen = plen;
    e.from_ra = true;
    e.advertisers.push_back(router);
    prefixes_.push_back(e);
    it = prefixes_.end() - 1;
    log(ifp.name + ": prefix " + prefix.to_string() + "/" + std::to_string(plen) +
        " learned from " + router.to_string());
  } else if (std::find(it->advertisers.begin(), it->advertisers.end(), router) ==
                 it->advertisers.end() &&
             it->advertisers.size() < max_prefix_advertisers) {
    it->advertisers.push_back(router);
  }
  it->onlink = pi.onlink;
  it->autonomous = pi.autonomous;
  it->vltime = lifetime_value(pi.valid_lifetime);
  it->pltime = lifetime_value(pi.preferred_lifetime);

  addr_entry* a = nullptr;
  if (autoconf) {
    if (auto id = ifp.interface_id()) {
      it->addr = make_addr(prefix, *id);
      a = ifp.find(it->addr);
      if (a == nullptr && pi.valid_lifetime != 0) {
        // §5.5.3 (d): a new address, through DAD (§5.4) like any other.
        bool elsewhere = false;
        for (const auto& other : ifs_) elsewhere = elsewhere || other.find(it->addr) != nullptr;
        if (!elsewhere && add_address(ifp.name, it->addr, {64, true, false})) {
          a = ifp.find(it->addr);
          a->autoconf = true;
          a->valid_until = lifetime_end(t, pi.valid_lifetime);
        }
      } else if (a != nullptr && a->autoconf) {
        // §5.5.3 (e): an address we formed before.
        a->valid_until = two_hour_rule(t, a->valid_until, pi.valid_lifetime);
      }
      if (a != nullptr && !a->autoconf) a = nullptr;  // set by hand: not ours to age
    }
  }
  // §6.3.4: an on-link prefix makes its destinations direct neighbours (a
  // connected route, as an address of the prefix would bring). ::/0 stays
  // the default route's.
  if (pi.onlink && plen > 0 && pi.valid_lifetime != 0 && rt6_.find(prefix, plen) == nullptr) {
    control::route6 net;
    net.dest = prefix;
    net.plen = plen;
    net.kind = control::route_kind::connected;
    if (auto r = rt6_.add(net, control::nexthop{control::nh_type::forward, ifp.index, {}, 0})) {
      route_event("RTM_ADD", **r);
      changed();
    }
  }
  if (a != nullptr) {
    a->preferred_until = lifetime_end(t, pi.preferred_lifetime);
    a->deprecated = pi.preferred_lifetime == 0;
    // The prefix lives as long as the address formed from it.
    it->expire = a->valid_until;
  } else {
    // On-link only (§6.3.4): the lifetime is taken as given; zero times the
    // prefix out at once.
    it->expire = lifetime_end(t, pi.valid_lifetime);
    if (pi.valid_lifetime == 0) remove_ra_prefix(static_cast<std::size_t>(it - prefixes_.begin()));
  }
}

void node::remove_ra_prefix(std::size_t index) {
  const prefix_entry p = prefixes_[index];
  prefixes_.erase(prefixes_.begin() + static_cast<std::ptrdiff_t>(index));
  if (interface* ifp = interface_by_index(p.ifindex)) {
    if (const addr_entry* a = ifp->find(p.addr); a && a->autoconf) {
      log(ifp->name + ": autoconfigured address " + p.addr.to_string() + " expired");
      (void)delete_address(ifp->name, p.addr);
    }
    // The on-link route goes with the prefix unless an address still holds it.
    const auto* c = rt6_.find(p.prefix, p.plen);
    const bool held = std::any_of(ifp->addrs.begin(), ifp->addrs.end(), [&](const addr_entry& a) {
      return a.plen == p.plen && a.addr.masked(p.plen) == p.prefix;
    });
    if (c && !held && c->kind == control::route_kind::connected &&
        rt6_.hop(c->nh).ifindex == ifp->index) {
      if (auto r = rt6_.remove(p.prefix, p.plen)) route_event("RTM_DELETE", *r);
    }
  }
  changed();
}

// Lifetimes: routers leave the list, addresses become deprecated when their
// preferred lifetime ends and go when the valid one does (RFC 4862 §5.5.4).
void node::ra_tick(time_point t) {
  const std::size_t before = ra_.routers.size();
  std::erase_if(ra_.routers, [&](const default_router& r) {
    if (r.expire > t) return false;
    log("default router " + r.addr.to_string() + " expired");
    return true;
  });
  // (A route flush removes the ::/0 route until the next RA puts it back.)
  if (ra_.routers.size() != before) sync_default_route();
  for (auto& ifp : ifs_) {
    for (auto& a : ifp.addrs) {
      if (a.autoconf && !a.deprecated && a.preferred_until && *a.preferred_until <= t) {
        a.deprecated = true;
        log(ifp.name + ": " + a.addr.to_string() + " deprecated");
        changed();
      }
    }
  }
  for (std::size_t i = prefixes_.size(); i-- > 0;) {
    const prefix_entry& p = prefixes_[i];
    if (p.from_ra && p.expire && *p.expire <= t) remove_ra_prefix(i);
  }
  // An autoconfigured address whose prefix entry was flushed still ages.
  for (auto& ifp : ifs_) {
    std::vector<ip6_addr> gone;
    for (const auto& a : ifp.addrs)
      if (a.autoconf && a.valid_until && *a.valid_until <= t) gone.push_back(a.addr);
    for (const auto& a : gone) (void)delete_address(ifp.name, a);
  }
}

// ---- router solicitation (rtsol / rtsold) -----------------------------------------

node_result<std::uint64_t> node::rtsol_start(const std::vector<unsigned>& ifindexes,
                                             rtsol_options o) {
  rtsol_run run;
  run.id = ra_.next_run++;
  run.mobile = o.mobile;
  run.once = o.once;
  run.debug = o.debug;
  for (unsigned ifx : ifindexes) {
    interface* ifp = interface_by_index(ifx);
    if (ifp == nullptr) return fail(errc::enxio, "no such interface");
    for (const auto& r : run.ifs)
      if (r.ifindex == ifx)
        return fail(errc::eexist, "interface " + ifp->name + " was already cofigured");
    rtsol_if rif;
    rif.ifindex = ifx;
    rif.active = ifp->usable();
    run.ifs.push_back(rif);
  }
  ra_.runs.push_back(std::move(run));
  rtsol_run& r = ra_.runs.back();
  for (auto& rif : r.ifs) {
    rif.state =
        ready_to_solicit(*interface_by_index(rif.ifindex)) ? rtsol_state::delay : rtsol_state::down;
    rtsol_timer_update(r, rif);
  }
  return r.id;
}

void node::rtsol_stop(std::uint64_t run) {
  std::erase_if(ra_.runs, [&](const rtsol_run& r) { return r.id == run; });
}

void node::rtsol_log(const rtsol_run& run, int prio, const char* func,
                     const std::string& msg) const {
  if (env_.rtsol_log) env_.rtsol_log(rtsol_log_event{run.id, prio, func, msg});
}

// rtsold.c rtsol_timer_update().
void node::rtsol_timer_update(rtsol_run& run, rtsol_if& rif) {
  const interface* ifp = interface_by_index(rif.ifindex);
  const std::string name = ifp ? ifp->name : "?";
  duration d{};
  switch (rif.state) {
    case rtsol_state::down:
      // Not ready yet (tentative link-local): retry every second, ten times,
      // then once a minute.
      if (++rif.dadcount > 10) {
        rif.dadcount = 0;
        d = seconds(60);
      } else {
        d = seconds(1);
      }
      break;
    case rtsol_state::idle:
      if (!run.mobile) {
        rif.expire.reset();
        rtsol_log(run, log_debug, "rtsol_timer_update", "stop timer for " + name);
        return;
      }
      d = seconds(3);  // -m: poll the link status
      break;
    case rtsol_state::delay:
      d = milliseconds(env_.random->uniform(
          0, std::chrono::duration_cast<milliseconds>(max_rtr_solicitation_delay).count() - 1));
      break;
    case rtsol_state::probe:
      d = rtr_solicitation_interval;
      break;
  }
  rif.expire = now() + d;
  if (run.debug > 1) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    rtsol_log(run, log_debug, "rtsol_timer_update",
              "set timer for " + name + " to " + std::to_string(us / 1000000) + ":" +
                  std::to_string(us % 1000000));
  }
}

// rtsol.c sendpacket(): an RS to all-routers with hop limit 255, from the
// link-local address with our link-layer address (RFC 4861 §6.3.7).
void node::rtsol_send(rtsol_run& run, rtsol_if& rif) {
  interface* ifp = interface_by_index(rif.ifindex);
  if (ifp == nullptr) return;
  rtsol_log(run, log_debug, "sendpacket",
            "send RS on " + ifp->name + ", whose state is " + state_number(rif.state));
  ++rif.probes;
  if (!ifp->usable()) {
    // ENETDOWN is reported only when debugging (rtsol.c).
    counters_.inc(stats::ip6::odropped);
    if (run.debug > 0)
      rtsol_log(run, log_err, "sendpacket", "sendmsg on " + ifp->name + ": Network is down");
    return;
  }
  ip6_addr src{};
  for (const auto& a : ifp->addrs)
    if (a.addr.is_link_local() && !a.tentative && !a.duplicated) src = a.addr;
  std::vector<std::uint8_t> msg(wire::rs_max_len);
  // §4.1: no source link-layer option from the unspecified address.
  msg.resize(
      wire::emit_rs(mut_bytes(msg), src.is_unspecified() ? std::nullopt : std::optional{ifp->mac}));
  auto pkt = build_ip6(src, ip6::all_routers, 58, 255, std::move(msg));
  emit(*ifp, ip6::all_routers.multicast_mac(), std::move(pkt));
}

void node::rtsol_heard_ra(unsigned ifindex, const ip6_addr& src) {
  const interface* ifp = interface_by_index(ifindex);
  for (auto& run : ra_.runs) {
    for (auto& rif : run.ifs) {
      if (rif.ifindex != ifindex) continue;
      rtsol_log(run, log_debug, "rtsol_input",
                "received RA from " + src.to_string() + " on " + ifp->name + ", state is " +
                    state_number(rif.state));
      ++rif.racnt;
      if (rif.state == rtsol_state::probe) {
        rif.state = rtsol_state::idle;
        rif.probes = 0;
        rtsol_timer_update(run, rif);
      }
    }
  }
}

// rtsold.c rtsol_check_timer(), for every run.
void node::rtsol_tick(time_point t) {
  for (auto& run : ra_.runs) {
    for (auto& rif : run.ifs) {
      interface* ifp = interface_by_index(rif.ifindex);
      const bool usable = ifp->usable();
      // The port's link status (KAME polled it in the idle state; we see every change):
      // the link coming back up starts a new round, and with -m the default routers on
      // the link are probed first (once the link-local address is usable again).
      if (usable != rif.active) {
        rtsol_log(run, log_debug, "rtsol_check_timer",
                  ifp->name + " status is changed from " + std::to_string(rif.active) + " to " +
                      std::to_string(usable));
        rif.active = usable;
        if (usable) {
          rif.probe_routers = run.mobile;
          rif.state = ready_to_solicit(*ifp) ? rtsol_state::delay : rtsol_state::down;
          rif.probes = 0;
          rif.dadcount = 0;
          rtsol_timer_update(run, rif);
        }
      }
      if (!rif.expire || *rif.expire > t) continue;
      if (run.debug > 1)
        rtsol_log(run, log_debug, "rtsol_check_timer",
                  "timer expiration on " + ifp->name + ", state = " + state_number(rif.state));
      switch (rif.state) {
        case rtsol_state::down:
          if (ready_to_solicit(*ifp)) rif.state = rtsol_state::delay;
          break;
        case rtsol_state::idle:
          break;  // -m: the periodic look at the link (changes are handled above)
        case rtsol_state::delay:
          if (rif.probe_routers) {
            // rtsold probe.c: unicast NS to each default router on the link, so NUD
            // learns at once whether the old routers are still there.
            rif.probe_routers = false;
            for (const auto& r : ra_.routers) {
              if (r.ifindex != ifp->index) continue;
              const nd::neighbor* n = nc_.find(r.ifindex, r.addr);
              send_ns(r.ifindex, r.addr, n ? n->lladdr : std::nullopt, false);
            }
          }
          rif.state = rtsol_state::probe;
          rtsol_send(run, rif);
          break;
        case rtsol_state::probe:
          if (rif.probes < max_rtr_solicitations) {
            rtsol_send(run, rif);
          } else {
            rtsol_log(run, log_info, "rtsol_check_timer",
                      "No answer after sending " + std::to_string(rif.probes) + " RSs");
            rif.probes = 0;
            rif.state = rtsol_state::idle;
          }
          break;
      }
      rtsol_timer_update(run, rif);
    }
    if (!run.once || run.done) continue;
    // -1: done once every interface heard an RA, or none has a timer left.
    const bool all_ra =
        std::all_of(run.ifs.begin(), run.ifs.end(), [](const rtsol_if& r) { return r.racnt > 0; });
    const bool no_timer = std::all_of(run.ifs.begin(), run.ifs.end(),
                                      [](const rtsol_if& r) { return !r.expire.has_value(); });
    if (all_ra || no_timer) {
      run.done = true;
      if (env_.rtsol_done) env_.rtsol_done(run.id);
    }
  }
}

}  // namespace umi::node
