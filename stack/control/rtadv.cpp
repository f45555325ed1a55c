#include "stack/control/rtadv.hpp"

#include <algorithm>
#include <cstdio>

#include "stack/control/node.hpp"
#include "stack/wire/ndp.hpp"

namespace umi::node {

namespace {

template <class... A>
std::string format(const char* fmt, A... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

const char* on_off(bool v) {
  return v ? "ON" : "OFF";
}

}  // namespace

std::optional<std::string> validate_rtadv_config(const rtadv_config& c, unsigned link_mtu) {
  using namespace rtadv_const;
  const char* ifn = c.ifname.c_str();
  if (c.maxinterval < min_maxinterval || c.maxinterval > max_maxinterval)
    return format("<getconfig> maxinterval (%u) on %s is invalid (must be between %u and %u)",
                  c.maxinterval, ifn, min_maxinterval, max_maxinterval);
  if (c.mininterval < min_mininterval || c.mininterval > c.maxinterval * 3 / 4)
    return format("<getconfig> mininterval (%u) on %s is invalid (must be between %u and %u)",
                  c.mininterval, ifn, min_mininterval, c.maxinterval * 3 / 4);
  if (c.chlim > 255)
    return format("<getconfig> hoplimit (%u) on %s is invalid (must be between 0 and 255)", c.chlim,
                  ifn);
  if (c.raflags > 255)
    return format("<getconfig> raflags (%u) on %s is invalid (must be between 0 and 255)",
                  c.raflags, ifn);
  if (c.rltime != 0 && (c.rltime < c.maxinterval || c.rltime > max_router_lifetime))
    return format(
        "<getconfig> router lifetime (%u) on %s is invalid (must be 0 or between %u and %u)",
        c.rltime, ifn, c.maxinterval, max_router_lifetime);
  if (c.rtime > max_reachable_time)
    return format("<getconfig> reachable time (%u) on %s is invalid (must be no greater than %u)",
                  c.rtime, ifn, max_reachable_time);
  if (c.mtu != 0 && (c.mtu < min_link_mtu || (link_mtu != 0 && c.mtu > link_mtu))) {
    if (link_mtu != 0)
      return format(
          "<getconfig> advertised link mtu (%u) on %s is invalid (must be between least MTU "
          "(%u) and physical link MTU (%u)",
          c.mtu, ifn, min_link_mtu, link_mtu);
    return format("<getconfig> advertised link mtu (%u) on %s is invalid (must be at least %u)",
                  c.mtu, ifn, min_link_mtu);
  }
  if (c.prefixes) {
    for (const auto& p : *c.prefixes) {
      const std::string a = p.prefix.to_string();
      if (p.plen > 128)
        return format("<getconfig> prefixlen (%u) for %s on %s out of range", unsigned{p.plen},
                      a.c_str(), ifn);
      if (p.prefix.is_multicast())
        return format("<getconfig> multicast prefix (%s) must not be advertised on %s", a.c_str(),
                      ifn);
    }
  }
  return std::nullopt;
}

duration router_advertiser::next_interval(const rtadv_config& c, unsigned initial_sent, rng& r) {
  using namespace std::chrono;
  duration d = milliseconds(
      r.uniform(std::uint64_t{c.mininterval} * 1000, std::uint64_t{c.maxinterval} * 1000));
  const duration cap = seconds(rtadv_const::max_initial_rtr_advert_interval);
  if (initial_sent < rtadv_const::max_initial_rtr_advertisements && d > cap) d = cap;
  return d;
}

std::optional<std::string> router_advertiser::start(unsigned ifindex, rtadv_config cfg,
                                                    bool static_prefixes) {
  const interface* ifp = env_.iface ? env_.iface(ifindex) : nullptr;
  if (ifp == nullptr) return "<getconfig> interface " + cfg.ifname + " does not exist";
  if (auto it = ifs_.find(ifindex); it != ifs_.end() && it->second.final_left == 0)
    return "<main> " + ifp->name + ": already advertising (another rtadvd is running)";
  cfg.ifname = ifp->name;
  if (auto e = validate_rtadv_config(cfg, ifp->mtu)) return e;
  iface_state s;
  s.ifindex = ifindex;
  s.cfg = std::move(cfg);
  s.static_prefixes = static_prefixes;
  if (!s.cfg.prefixes) {
    auto p = interface_prefixes(ifindex);
    if (p.empty())
      log("<get_prefix> " + ifp->name + " has no global prefix; advertising no prefix", log_info);
    if (static_prefixes) s.cfg.prefixes = std::move(p);
  }
  // §6.2.4: the first RA goes out after a random delay (capped at 16 s).
  s.next_ra = now() + next_interval(s.cfg, 0, *env_.random);
  ifs_[ifindex] = std::move(s);
  if (env_.membership) env_.membership(ifindex, true);
  return std::nullopt;
}

bool router_advertiser::stop(unsigned ifindex) {
  auto it = ifs_.find(ifindex);
  if (it == ifs_.end() || it->second.final_left != 0) return false;
  iface_state& s = it->second;
  s.final_left = rtadv_const::max_final_rtr_advertisements;
  s.rs_reply_at.reset();
  if (env_.membership) env_.membership(ifindex, false);
  send_ra(s);
  if (--s.final_left == 0) {
    ifs_.erase(it);
  } else {
    s.next_ra = now() + std::chrono::seconds(rtadv_const::min_delay_between_ras);
  }
  return true;
}

void router_advertiser::cancel(unsigned ifindex) {
  if (ifs_.erase(ifindex) != 0 && env_.membership) env_.membership(ifindex, false);
}

bool router_advertiser::advertising(unsigned ifindex) const {
  auto it = ifs_.find(ifindex);
  return it != ifs_.end() && it->second.final_left == 0;
}

std::vector<wire::ra_prefix> router_advertiser::interface_prefixes(unsigned ifindex) const {
  std::vector<wire::ra_prefix> out;
  const interface* ifp = env_.iface ? env_.iface(ifindex) : nullptr;
  if (ifp == nullptr) return out;
  for (const auto& a : ifp->addrs) {
    if (a.addr.is_link_local() || a.addr.is_multicast() || a.anycast || a.duplicated) continue;
    if (a.plen > 128) continue;
    wire::ra_prefix p;
    p.prefix = a.addr.masked(a.plen);
    p.plen = static_cast<std::uint8_t>(a.plen);
    p.vltime = rtadv_const::def_vltime;
    p.pltime = rtadv_const::def_pltime;
    const bool dup = std::any_of(out.begin(), out.end(), [&](const wire::ra_prefix& q) {
      return q.plen == p.plen && q.prefix == p.prefix;
    });
    if (!dup) out.push_back(p);
  }
  return out;
}

wire::ra_repr router_advertiser::make_ra(const iface_state& s) const {
  wire::ra_repr ra;
  const rtadv_config& c = s.cfg;
  ra.cur_hop_limit = static_cast<std::uint8_t>(c.chlim);
  ra.flags = static_cast<std::uint8_t>(c.raflags);
  const bool router = !env_.is_router || env_.is_router();
  ra.router_lifetime = s.final_left != 0 || !router ? 0 : static_cast<std::uint16_t>(c.rltime);
  ra.reachable_time = c.rtime;
  ra.retrans_timer = c.retrans;
  const interface* ifp = env_.iface ? env_.iface(s.ifindex) : nullptr;
  if (!c.nolladdr && ifp != nullptr) ra.src_lladdr = ifp->mac;
  if (c.mtu != 0) ra.mtu = c.mtu;
  if (c.prefixes) {
    ra.prefixes = *c.prefixes;
  } else {
    ra.prefixes = interface_prefixes(s.ifindex);
    for (const auto& [p, until] : s.withdrawn) ra.prefixes.push_back(p);
  }
  return ra;
}

// Without configured prefixes rtadvd follows the interface: a prefix that
// went away is still advertised, with zero lifetimes, for two hours, so
// hosts deprecate the addresses they made from it.
void router_advertiser::follow_prefixes(iface_state& s) {
  if (s.cfg.prefixes) return;
  const auto current = interface_prefixes(s.ifindex);
  const time_point t = now();
  auto in = [](const std::vector<wire::ra_prefix>& v, const wire::ra_prefix& p) {
    return std::any_of(v.begin(), v.end(), [&](const wire::ra_prefix& q) {
      return q.plen == p.plen && q.prefix == p.prefix;
    });
  };
  std::erase_if(s.withdrawn, [&](const auto& w) { return w.second <= t || in(current, w.first); });
  for (const auto& old : s.followed) {
    if (in(current, old)) continue;
    wire::ra_prefix gone = old;
    gone.vltime = 0;
    gone.pltime = 0;
    s.withdrawn.emplace_back(gone, t + rtadv_const::withdrawn_prefix_hold);
    log(format("<update_prefix> prefix %s/%u deleted on %s; advertised with zero lifetimes",
               old.prefix.to_string().c_str(), unsigned{old.plen}, s.cfg.ifname.c_str()),
        log_info);
  }
  s.followed = current;
}

void router_advertiser::send_ra(iface_state& s) {
  follow_prefixes(s);
  ++s.counters.ra_out;
  ++totals_.ra_out;
  s.last_multicast = now();
  if (env_.send) env_.send(s.ifindex, make_ra(s).emit());
}

void router_advertiser::tick() {
  const time_point t = now();
  for (auto it = ifs_.begin(); it != ifs_.end();) {
    iface_state& s = it->second;
    const interface* ifp = env_.iface ? env_.iface(s.ifindex) : nullptr;
    if (s.final_left != 0) {
      if (t >= s.next_ra) {
        send_ra(s);
        if (--s.final_left == 0) {
          it = ifs_.erase(it);
          continue;
        }
        s.next_ra = t + std::chrono::seconds(rtadv_const::min_delay_between_ras);
      }
      ++it;
      continue;
    }
    const bool solicited = s.rs_reply_at && t >= *s.rs_reply_at;
    if ((solicited || t >= s.next_ra) && ifp != nullptr && ifp->usable()) {
      send_ra(s);
      s.rs_reply_at.reset();
      if (s.initial_sent < rtadv_const::max_initial_rtr_advertisements) ++s.initial_sent;
      s.next_ra = t + next_interval(s.cfg, s.initial_sent, *env_.random);
    }
    ++it;
  }
}

// RFC 4861 §6.1.1 validation, then §6.2.6: answer with a multicast RA
// after a random 0..MAX_RA_DELAY_TIME, no sooner than MIN_DELAY_BETWEEN_RAS
// after the previous multicast RA; RSs arriving meanwhile share that RA.
void router_advertiser::rs_input(unsigned ifindex, const ip6_addr& src, std::uint8_t hlim,
                                 bytes msg) {
  auto it = ifs_.find(ifindex);
  if (it == ifs_.end() || it->second.final_left != 0) return;
  iface_state& s = it->second;
  const std::string from = src.to_string();
  const std::string& ifn = s.cfg.ifname;
  if (hlim != 255) {
    ++s.counters.rs_bad;
    ++totals_.rs_bad;
    log(format("<rs_input> RS with invalid hop limit(%u) received from %s on %s", unsigned{hlim},
               from.c_str(), ifn.c_str()));
    return;
  }
  if (msg.size() < wire::rs_header_len || msg[1] != 0) {
    ++s.counters.rs_bad;
    ++totals_.rs_bad;
    log(format("<rs_input> RS from %s on %s does not have enough length or a bad code",
               from.c_str(), ifn.c_str()));
    return;
  }
  auto opts = wire::parse_nd_options(msg.subspan(wire::rs_header_len));
  if (!opts) {
    ++s.counters.rs_bad;
    ++totals_.rs_bad;
    log(format("<rs_input> ND option check failed for an RS from %s on %s", from.c_str(),
               ifn.c_str()));
    return;
  }
  if (src.is_unspecified() && opts->src_lladdr) {
    ++s.counters.rs_bad;
    ++totals_.rs_bad;
    log(format("<rs_input> RS from unspecified src on %s has a link-layer address option",
               ifn.c_str()));
    return;
  }
  ++s.counters.rs_in;
  ++totals_.rs_in;
  if (s.rs_reply_at) return;  // an answer is already scheduled
  const time_point t = now();
  const duration delay =
      std::chrono::milliseconds(env_.random->uniform(0, rtadv_const::max_ra_delay_time_ms));
  time_point at = t + delay;
  const duration min_gap = std::chrono::seconds(rtadv_const::min_delay_between_ras);
  if (s.last_multicast && t < *s.last_multicast + min_gap) at = *s.last_multicast + min_gap + delay;
  // An unsolicited RA due sooner answers it anyway.
  if (s.next_ra <= at) return;
  s.rs_reply_at = at;
}

// RFC 4861 §6.2.7: another router's RA on a link we advertise on. Values
// both of us specify must agree; disagreements are logged and counted.
void router_advertiser::ra_input(unsigned ifindex, const ip6_addr& src, std::uint8_t hlim,
                                 bytes msg) {
  auto it = ifs_.find(ifindex);
  if (it == ifs_.end()) return;
  iface_state& s = it->second;
  const std::string from = src.to_string();
  const char* ifn = s.cfg.ifname.c_str();
  if (hlim != 255) {
    log(format("<ra_input> RA with invalid hop limit(%u) received from %s on %s", unsigned{hlim},
               from.c_str(), ifn));
    return;
  }
  if (!src.is_link_local()) {
    log(format("<ra_input> RA witn non-linklocal source address %s received on %s", from.c_str(),
               ifn));
    return;
  }
  auto ra = wire::ra_repr::parse(msg);
  if (!ra || msg[1] != 0) {
    log(format("<ra_input> ND option check failed for an RA from %s on %s", from.c_str(), ifn));
    return;
  }
  ++s.counters.ra_in;
  ++totals_.ra_in;
  const rtadv_config& c = s.cfg;
  unsigned bad = 0;
  auto inconsistent = [&](const std::string& m) {
    log(m, log_warning);
    ++bad;
  };
  if (ra->cur_hop_limit != 0 && c.chlim != 0 && ra->cur_hop_limit != c.chlim) {
    inconsistent(format("<ra_input> CurHopLimit inconsistent on %s: %u from %s, %u from us", ifn,
                        unsigned{ra->cur_hop_limit}, from.c_str(), c.chlim));
  }
  for (auto [bit, name] : {std::pair{wire::ra_flag_managed, "M"}, {wire::ra_flag_other, "O"}}) {
    const bool theirs = (ra->flags & bit) != 0, ours = (c.raflags & bit) != 0;
    if (theirs != ours) {
      inconsistent(format("<ra_input> %s flag inconsistent on %s: %s from %s, %s from us", name,
                          ifn, on_off(theirs), from.c_str(), on_off(ours)));
    }
  }
  if (ra->reachable_time != 0 && c.rtime != 0 && ra->reachable_time != c.rtime) {
    inconsistent(format("<ra_input> ReachableTime inconsistent on %s: %u from %s, %u from us", ifn,
                        ra->reachable_time, from.c_str(), c.rtime));
  }
  if (ra->retrans_timer != 0 && c.retrans != 0 && ra->retrans_timer != c.retrans) {
    inconsistent(format("<ra_input> RetranceTimer inconsistent on %s: %u from %s, %u from us", ifn,
                        ra->retrans_timer, from.c_str(), c.retrans));
  }
  if (ra->mtu && *ra->mtu != 0 && c.mtu != 0 && *ra->mtu != c.mtu) {
    inconsistent(format("<ra_input> MTU option value inconsistent on %s: %u from %s, %u from us",
                        ifn, *ra->mtu, from.c_str(), c.mtu));
  }
  const auto ours = c.prefixes ? *c.prefixes : interface_prefixes(ifindex);
  for (const auto& p : ra->prefixes) {
    if (p.prefix.is_link_local()) continue;
    const std::string pfx = p.prefix.masked(p.plen).to_string();
    auto mine = std::find_if(ours.begin(), ours.end(), [&](const wire::ra_prefix& q) {
      return q.plen == p.plen && q.prefix.masked(q.plen) == p.prefix.masked(p.plen);
    });
    if (mine == ours.end()) {
      log(format("<prefix_check> prefix %s/%u from %s on %s is not in our list", pfx.c_str(),
                 unsigned{p.plen}, from.c_str(), ifn),
          log_info);
      continue;
    }
    if (p.vltime != mine->vltime) {
      inconsistent(
          format("<prefix_check> valid lifetime for %s/%u inconsistent on %s: %u from %s, %u "
                 "from us",
                 pfx.c_str(), unsigned{p.plen}, ifn, p.vltime, from.c_str(), mine->vltime));
    }
    if (p.pltime != mine->pltime) {
      inconsistent(
          format("<prefix_check> preferred lifetime for %s/%u inconsistent on %s: %u from %s, %u "
                 "from us",
                 pfx.c_str(), unsigned{p.plen}, ifn, p.pltime, from.c_str(), mine->pltime));
    }
  }
  if (bad != 0) {
    ++s.counters.ra_inconsistent;
    ++totals_.ra_inconsistent;
  }
}

}  // namespace umi::node
