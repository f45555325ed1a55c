#include "stack/nd/neighbor_cache.hpp"

namespace umi::nd {

char state_letter(nud_state s) noexcept {
  switch (s) {
    case nud_state::incomplete:
      return 'I';
    case nud_state::reachable:
      return 'R';
    case nud_state::stale:
      return 'S';
    case nud_state::delay:
      return 'D';
    case nud_state::probe:
      return 'P';
  }
  return '?';
}

const char* state_name(nud_state s) noexcept {
  switch (s) {
    case nud_state::incomplete:
      return "incomplete";
    case nud_state::reachable:
      return "reachable";
    case nud_state::stale:
      return "stale";
    case nud_state::delay:
      return "delay";
    case nud_state::probe:
      return "probe";
  }
  return "unknown";
}

// RFC 4861 §6.3.2: ReachableTime = BaseReachableTime * uniform[0.5, 1.5).
duration neighbor_cache::random_reachable() {
  const auto base = params_.base_reachable_time.count();
  const auto lo = base / 2;
  const auto hi = base + base / 2;
  reachable_time_ = duration(static_cast<duration::rep>(
      rng_.uniform(static_cast<std::uint64_t>(lo), static_cast<std::uint64_t>(hi - 1))));
  return reachable_time_;
}

void neighbor_cache::enter(neighbor& n, nud_state s, time_point now) {
  n.state = s;
  switch (s) {
    case nud_state::incomplete:
      n.expire = now + params_.retrans_timer;
      break;
    case nud_state::reachable:
      n.probes = 0;
      n.expire = now + random_reachable();
      break;
    case nud_state::stale:
      n.probes = 0;
      n.expire = now + params_.stale_gc;
      break;
    case nud_state::delay:
      n.expire = now + params_.delay_first_probe;
      break;
    case nud_state::probe:
      n.expire = now + params_.retrans_timer;
      break;
  }
}

neighbor* neighbor_cache::insert(unsigned ifindex, const ip6_addr& addr, time_point now) {
  if (entries_.size() >= params_.max_entries) {
    // Make room only at the expense of an entry nobody relies on: the stale
    // (or delay/probe, i.e. unconfirmed) dynamic entry used least recently.
    // REACHABLE, INCOMPLETE-in-progress and static entries are never evicted
    // for a newcomer, so a flood of new targets cannot push out live peers.
    auto victim = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      const neighbor& n = it->second;
      if (n.is_static || n.state != nud_state::stale) continue;
      if (victim == entries_.end() || n.expire < victim->second.expire) victim = it;
    }
    if (victim == entries_.end()) {
      ++counters_.cache_full;
      return nullptr;
    }
    entries_.erase(victim);
    ++gen_;
  }
  auto [it, inserted] = entries_.try_emplace(key{ifindex, addr});
  (void)inserted;
  it->second.ifindex = ifindex;
  it->second.addr = addr;
  (void)now;
  return &it->second;
}

void neighbor_cache::release_held(neighbor& n) {
  if (!n.lladdr) return;
  while (!n.held.empty()) {
    auto pkt = std::move(n.held.front());
    n.held.pop_front();
    if (act_.send_held) act_.send_held(n.ifindex, *n.lladdr, std::move(pkt));
  }
}

neighbor_cache::resolve_result neighbor_cache::resolve(unsigned ifindex, const ip6_addr& addr,
                                                       std::vector<std::uint8_t>* pkt,
                                                       time_point now, mac_addr& out_mac) {
  auto it = entries_.find(key{ifindex, addr});
  if (it == entries_.end()) {
    neighbor* n = insert(ifindex, addr, now);
    if (n == nullptr) return resolve_result::dropped;
    enter(*n, nud_state::incomplete, now);
    n->probes = 1;
    if (pkt) n->held.push_back(std::move(*pkt));
    if (act_.send_ns) act_.send_ns(ifindex, addr, std::nullopt);
    return resolve_result::queued;
  }
  neighbor& n = it->second;
  if (n.state == nud_state::incomplete) {
    if (pkt) {
      // RFC 4861 §7.2.2: when the queue overflows, discard the oldest packet.
      if (n.held.size() >= params_.max_queue) {
        n.held.pop_front();
        ++counters_.queue_drops;
      }
      n.held.push_back(std::move(*pkt));
    }
    return resolve_result::queued;
  }
  out_mac = *n.lladdr;
  // §7.3.3: first use of a STALE entry starts the DELAY timer.
  if (n.state == nud_state::stale && !n.is_static) enter(n, nud_state::delay, now);
  return resolve_result::send;
}

void neighbor_cache::on_lladdr_learned(unsigned ifindex, const ip6_addr& addr, const mac_addr& mac,
                                       time_point now, bool is_router_msg) {
  auto it = entries_.find(key{ifindex, addr});
  if (it == entries_.end()) {
    neighbor* n = insert(ifindex, addr, now);
    if (n == nullptr) return;
    n->lladdr = mac;
    enter(*n, nud_state::stale, now);
    ++gen_;
    return;
  }
  neighbor& n = it->second;
  if (n.is_static) return;
  if (is_router_msg) n.router = true;
  if (n.state == nud_state::incomplete) {
    n.lladdr = mac;
    enter(n, nud_state::stale, now);
    ++gen_;
    release_held(n);
    return;
  }
  if (n.lladdr != mac) {
    n.lladdr = mac;
    enter(n, nud_state::stale, now);
    ++gen_;
  }
}

void neighbor_cache::on_advert(unsigned ifindex, const ip6_addr& target,
                               std::optional<mac_addr> tlla, bool router, bool solicited,
                               bool override_flag, time_point now) {
  auto it = entries_.find(key{ifindex, target});
  if (it == entries_.end()) return;  // §7.2.5: no entry => silently discard
  neighbor& n = it->second;
  if (n.is_static) return;
  if (n.state == nud_state::incomplete) {
    if (!tlla) return;
    n.lladdr = tlla;
    n.router = router;
    enter(n, solicited ? nud_state::reachable : nud_state::stale, now);
    ++gen_;
    release_held(n);
    return;
  }
  const bool differs = tlla && n.lladdr != tlla;
  if (!override_flag && differs) {
    // §7.2.5: keep the cached address; a REACHABLE entry becomes STALE.
    if (n.state == nud_state::reachable) enter(n, nud_state::stale, now);
    return;
  }
  if (differs) ++gen_;
  if (tlla) n.lladdr = tlla;
  if (solicited) {
    enter(n, nud_state::reachable, now);
  } else if (differs) {
    enter(n, nud_state::stale, now);
  }
  n.router = router;
}

void neighbor_cache::confirm(unsigned ifindex, const ip6_addr& addr, time_point now) {
  auto it = entries_.find(key{ifindex, addr});
  if (it == entries_.end() || it->second.is_static || !it->second.lladdr) return;
  enter(it->second, nud_state::reachable, now);
}

void neighbor_cache::tick(time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    neighbor& n = it->second;
    if (n.is_static) {
      if (!n.permanent && n.expire <= now) {
        ++gen_;
        it = entries_.erase(it);
      } else {
        ++it;
      }
      continue;
    }
    if (n.expire > now) {
      ++it;
      continue;
    }
    bool erase = false;
    switch (n.state) {
      case nud_state::incomplete:
        if (n.probes < params_.max_multicast_solicit) {
          ++n.probes;
          n.expire = now + params_.retrans_timer;
          if (act_.send_ns) act_.send_ns(n.ifindex, n.addr, std::nullopt);
        } else {
          ++counters_.resolve_failed;
          while (!n.held.empty()) {
            auto pkt = std::move(n.held.front());
            n.held.pop_front();
            if (act_.unreachable) act_.unreachable(n.ifindex, std::move(pkt));
          }
          erase = true;
        }
        break;
      case nud_state::reachable:
        enter(n, nud_state::stale, now);
        break;
      case nud_state::stale:
        erase = true;  // garbage collection of long-unused entries
        break;
      case nud_state::delay:
        enter(n, nud_state::probe, now);
        n.probes = 1;
        if (act_.send_ns) act_.send_ns(n.ifindex, n.addr, n.lladdr);
        break;
      case nud_state::probe:
        if (n.probes < params_.max_unicast_solicit) {
          ++n.probes;
          n.expire = now + params_.retrans_timer;
          if (act_.send_ns) act_.send_ns(n.ifindex, n.addr, n.lladdr);
        } else {
          erase = true;
        }
        break;
    }
    if (erase) ++gen_;
    it = erase ? entries_.erase(it) : std::next(it);
  }
}

bool neighbor_cache::set_static(unsigned ifindex, const ip6_addr& addr, const mac_addr& mac,
                                bool temp, time_point now) {
  auto it = entries_.find(key{ifindex, addr});
  neighbor* n = it != entries_.end() ? &it->second : insert(ifindex, addr, now);
  if (n == nullptr) return false;
  n->lladdr = mac;
  n->state = nud_state::reachable;
  n->is_static = true;
  n->permanent = !temp;
  n->probes = 0;
  n->expire = temp ? now + params_.temp_static_lifetime : time_point{};
  ++gen_;
  release_held(*n);
  return true;
}

bool neighbor_cache::remove(unsigned ifindex, const ip6_addr& addr) {
  ++gen_;
  return entries_.erase(key{ifindex, addr}) != 0;
}

std::vector<neighbor> neighbor_cache::flush() {
  std::vector<neighbor> out;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.is_static) {
      ++it;
      continue;
    }
    out.push_back(std::move(it->second));
    it = entries_.erase(it);
    ++gen_;
  }
  return out;
}

void neighbor_cache::flush_interface(unsigned ifindex) {
  ++gen_;
  std::erase_if(entries_,
                [&](const auto& kv) { return kv.first.first == ifindex && !kv.second.is_static; });
}

const neighbor* neighbor_cache::find(unsigned ifindex, const ip6_addr& addr) const {
  auto it = entries_.find(key{ifindex, addr});
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace umi::nd
