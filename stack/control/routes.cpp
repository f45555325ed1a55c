#include "stack/control/routes.hpp"

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

result<const route6*, route_error> route_table6::add(route6 r, nexthop nh, bool replace) {
  if (r.plen > 128) return fail(route_errc::invalid, "Invalid argument");
  r.dest = r.dest.masked(r.plen);
  const auto key = std::pair{r.dest, r.plen};
  auto it = routes_.find(key);
  if (it != routes_.end() && !replace) return fail(route_errc::exists, "File exists");
  if (it == routes_.end() && replace) return fail(route_errc::not_found, "not in table");
  const fib::nexthop_id id = intern(nh);
  if (auto ins = fib_.insert(r.dest, r.plen, id); !ins) {
    release(id);
    return fail(route_errc::full, "routing table overflow");
  }
  r.nh = id;
  if (it != routes_.end()) {
    release(it->second.nh);
    it->second = r;
    return &it->second;
  }
  return &routes_.emplace(key, r).first->second;
}

result<std::size_t, route_error> route_table6::add_bulk(
    const std::vector<std::pair<ip6_addr, unsigned>>& dests, route_kind kind, const nexthop& nh,
    bool v4) {
  std::vector<fib::route6> batch;
  batch.reserve(dests.size());
  for (const auto& [d, l] : dests) {
    if (l > 128) return fail(route_errc::invalid, "Invalid argument");
  }
  for (const auto& [d, l] : dests) {
    const fib::nexthop_id id = intern(nh);
    route6 r;
    r.dest = d.masked(l);
    r.plen = l;
    r.kind = kind;
    r.nh = id;
    r.v4 = v4;
    auto [it, inserted] = routes_.try_emplace(std::pair{r.dest, r.plen}, r);
    if (!inserted) {
      release(it->second.nh);
      it->second = r;
    }
    batch.push_back({r.dest, static_cast<std::uint8_t>(l), id});
  }
  if (!fib_.insert_bulk(batch)) return fail(route_errc::invalid, "Invalid argument");
  return batch.size();
}

result<route6, route_error> route_table6::remove(const ip6_addr& dest, unsigned plen,
                                                 std::optional<ip6_addr> gateway) {
  auto it = routes_.find(std::pair{dest.masked(plen), plen});
  if (it == routes_.end()) return fail(route_errc::not_found, "not in table");
  if (gateway && nhs_[it->second.nh].gateway != gateway)
    return fail(route_errc::not_found, "not in table");
  route6 r = it->second;
  fib_.erase(r.dest, r.plen);
  release(r.nh);
  routes_.erase(it);
  return r;
}

std::vector<route6> route_table6::remove_if_kind(route_kind kind, unsigned ifindex) {
  std::vector<route6> out;
  for (auto it = routes_.begin(); it != routes_.end();) {
    const route6& r = it->second;
    if (r.kind == kind && (ifindex == 0 || nhs_[r.nh].ifindex == ifindex)) {
      out.push_back(r);
      fib_.erase(r.dest, r.plen);
      release(r.nh);
      it = routes_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

const route6* route_table6::find(const ip6_addr& dest, unsigned plen) const {
  auto it = routes_.find(std::pair{dest.masked(plen), plen});
  return it == routes_.end() ? nullptr : &it->second;
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
