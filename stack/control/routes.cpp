#include "stack/control/routes.hpp"

#include <algorithm>

namespace umi::control {
namespace {
unexpected<route_error> fail(route_errc c, std::string m) {
  return unexpected{route_error{c, std::move(m)}};
}
}  // namespace

const char* route_kind_name(route_kind k) noexcept {
  switch (k) {
    case route_kind::connected:
      return "connected";
    case route_kind::host:
      return "host";
    case route_kind::static_route:
      return "static";
    case route_kind::redirect:
      return "redirect";
    case route_kind::default_router:
      return "default_router";
  }
  return "static";
}

fib::nexthop_id route_table6::intern(const nexthop& nh) {
  for (fib::nexthop_id i = 0; i < nhs_.size(); ++i) {
    if (nhs_[i].refs != 0 && nhs_[i] == nh) {
      ++nhs_[i].refs;
      return i;
    }
  }
  ++nh_gen_;
  if (!free_nhs_.empty()) {
    const fib::nexthop_id id = free_nhs_.back();
    free_nhs_.pop_back();
    nhs_[id] = nh;
    nhs_[id].refs = 1;
    return id;
  }
  nhs_.push_back(nh);
  nhs_.back().refs = 1;
  return static_cast<fib::nexthop_id>(nhs_.size() - 1);
}

void route_table6::release(fib::nexthop_id id) {
  if (id >= nhs_.size() || nhs_[id].refs == 0) return;
  if (--nhs_[id].refs == 0) {
    // A worker may still hold this id from a FIB lookup made before the
    // route went away: the slot is reused only after a grace period.
    ++nh_gen_;
    if (reclaimer_) {
      reclaimer_->retire([this, id] { free_nhs_.push_back(id); });
    } else {
      free_nhs_.push_back(id);
    }
  }
}

namespace {
bool is_mapped4(const ip6_addr& a, unsigned plen) {
  return plen >= 96 && a.hi() == 0 && (a.lo() >> 32) == 0xffff;
}
std::uint32_t low32(const ip6_addr& a) {
  return static_cast<std::uint32_t>(a.lo());
}
}  // namespace

fib::fib4* route_table6::fib4_for(const ip6_addr& dest, unsigned plen) {
  if (!is_mapped4(dest, plen)) return nullptr;
  if (!fib4_) fib4_ = std::make_unique<fib::fib4>(reclaimer_);
  return fib4_.get();
}

void route_table6::track_expiry(const route6& r, bool add) {
  if (!r.expire) return;
  if (add) {
    expiring_.emplace(*r.expire, std::pair{r.dest, r.plen});
  } else {
    expiring_.erase(expiry_key{*r.expire, std::pair{r.dest, r.plen}});
  }
}

result<const route6*, route_error> route_table6::add(route6 r, nexthop nh, bool replace) {
  if (r.plen > 128) return fail(route_errc::invalid, "Invalid argument");
  r.dest = r.dest.masked(r.plen);
  route6* old = routes_.find(std::pair{r.dest, r.plen});
  if (old != nullptr && !replace) return fail(route_errc::exists, "File exists");
  if (old == nullptr && replace) return fail(route_errc::not_found, "not in table");
  const fib::nexthop_id id = intern(nh);
  if (auto ins = fib_.insert(r.dest, r.plen, id); !ins) {
    release(id);
    return fail(route_errc::full, "routing table overflow");
  }
  if (fib::fib4* f4 = fib4_for(r.dest, r.plen)) (void)f4->insert(low32(r.dest), r.plen - 96, id);
  r.nh = id;
  if (old != nullptr) {
    track_expiry(*old, false);
    track_expiry(r, true);
    release(old->nh);
    *old = r;
    return old;
  }
  track_expiry(r, true);
  return routes_.try_emplace(r).first;
}

result<std::size_t, route_error> route_table6::add_bulk(
    const std::vector<std::pair<ip6_addr, unsigned>>& dests, route_kind kind, const nexthop& nh,
    bool v4) {
  for (const auto& [d, l] : dests) {
    if (l > 128) return fail(route_errc::invalid, "Invalid argument");
  }
  std::vector<route6> sorted;
  sorted.reserve(dests.size());
  for (const auto& [d, l] : dests) {
    route6 r;
    r.dest = d.masked(l);
    r.plen = l;
    r.kind = kind;
    r.v4 = v4;
    sorted.push_back(r);
  }
  // The last of duplicate prefixes wins: sort stably, keep each run's last.
  std::stable_sort(sorted.begin(), sorted.end(), route_map<route6>::key_less);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i + 1 < sorted.size() && !route_map<route6>::key_less(sorted[i], sorted[i + 1])) continue;
    sorted[kept++] = sorted[i];
  }
  sorted.resize(kept);
  if (!sorted.empty()) {
    const fib::nexthop_id id = intern(nh);
    nhs_[id].refs += static_cast<unsigned>(sorted.size() - 1);
    for (auto& r : sorted) r.nh = id;
  }
  routes_.merge_sorted(sorted, [this](const route6& old) {
    track_expiry(old, false);
    release(old.nh);
  });
  std::vector<fib::route6> batch;
  batch.reserve(sorted.size());
  for (const auto& r : sorted) batch.push_back({r.dest, static_cast<std::uint8_t>(r.plen), r.nh});
  if (!fib_.insert_bulk(batch)) return fail(route_errc::invalid, "Invalid argument");
  std::vector<fib::route4> batch4;
  for (const auto& r : sorted)
    if (is_mapped4(r.dest, r.plen))
      batch4.push_back({low32(r.dest), static_cast<std::uint8_t>(r.plen - 96), r.nh});
  if (!batch4.empty()) {
    if (!fib4_) fib4_ = std::make_unique<fib::fib4>(reclaimer_);
    (void)fib4_->insert_bulk(batch4);
  }
  return dests.size();
}

result<route6, route_error> route_table6::remove(const ip6_addr& dest, unsigned plen,
                                                 std::optional<ip6_addr> gateway) {
  const route6* found = routes_.find(std::pair{dest.masked(plen), plen});
  if (found == nullptr) return fail(route_errc::not_found, "not in table");
  if (gateway && nhs_[found->nh].gateway != gateway)
    return fail(route_errc::not_found, "not in table");
  const route6 r = *found;
  track_expiry(r, false);
  fib_.erase(r.dest, r.plen);
  if (fib4_ && is_mapped4(r.dest, r.plen)) fib4_->erase(low32(r.dest), r.plen - 96);
  release(r.nh);
  routes_.erase(std::pair{r.dest, r.plen});
  return r;
}

std::vector<route6> route_table6::remove_if_kind(route_kind kind, unsigned ifindex) {
  std::vector<route6> out;
  routes_.erase_if(
      [&](const route6& r) {
        return r.kind == kind && (ifindex == 0 || nhs_[r.nh].ifindex == ifindex);
      },
      [&](const route6& r) {
        out.push_back(r);
        track_expiry(r, false);
        fib_.erase(r.dest, r.plen);
        if (fib4_ && is_mapped4(r.dest, r.plen)) fib4_->erase(low32(r.dest), r.plen - 96);
        release(r.nh);
      });
  return out;
}

const route6* route_table6::find(const ip6_addr& dest, unsigned plen) const {
  return routes_.find(std::pair{dest.masked(plen), plen});
}

const route6* route_table6::match(const ip6_addr& dst) const {
  for (int plen = 128; plen >= 0; --plen) {
    if (const route6* r = find(dst, static_cast<unsigned>(plen))) return r;
  }
  return nullptr;
}

std::string route_flags(const route6& r, const nexthop& nh) {
  // U G H R D M d C X L S 1 2 W c 3 B b. A default route from router
  // advertisements is plain UG, as KAME's defrouter_addreq() installs it.
  std::string f = "U";
  if (nh.gateway && nh.type == nh_type::forward) f += 'G';
  if (r.plen == 128) f += 'H';
  if (nh.type == nh_type::reject) f += 'R';
  if (r.kind == route_kind::redirect) f += 'D';
  if (r.kind == route_kind::connected) f += 'C';
  if (r.kind == route_kind::host) f += 'L';
  if (r.kind == route_kind::static_route) f += 'S';
  if (nh.type == nh_type::blackhole) f += 'B';
  return f;
}

}  // namespace umi::control
