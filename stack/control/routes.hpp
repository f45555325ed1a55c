#pragma once
// The routing table of one address family as the control plane sees it:
// routes with their origin and flags (what `route` and `netstat -r` show),
// the next hops they share, and the FIB the workers look up. Routes change
// while traffic flows: the FIB is updated in place by copy-on-write and old
// memory is retired through the RCU reclaimer, so no worker ever waits.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "stack/base/addr.hpp"
#include "stack/base/clock.hpp"
#include "stack/base/result.hpp"
#include "stack/control/route_map.hpp"
#include "stack/fib/fib4.hpp"
#include "stack/fib/fib6.hpp"

namespace umi::control {

enum class route_kind : std::uint8_t {
  connected,       // prefix of an interface address (KAME: cloning, "UC")
  host,            // one of our own addresses ("UH", delivered locally)
  static_route,    // route add
  redirect,        // learned from an ICMPv6 redirect ("UGHD")
  default_router,  // from router advertisements
};
const char* route_kind_name(route_kind k) noexcept;

enum class nh_type : std::uint8_t { forward, local, reject, blackhole };

struct nexthop {
  nh_type type = nh_type::forward;
  unsigned ifindex = 0;
  std::optional<ip6_addr> gateway;  // none: the destination itself is on-link
  unsigned refs = 0;
  bool operator==(const nexthop& o) const {
    return type == o.type && ifindex == o.ifindex && gateway == o.gateway;
  }
};

// An optional point in time in 8 bytes (std::optional<time_point> takes 16,
// and a full table holds one per route).
class expiry {
 public:
  constexpr expiry() noexcept = default;
  constexpr expiry(std::nullopt_t) noexcept {}
  constexpr expiry(time_point t) noexcept : t_(t) {}
  constexpr explicit operator bool() const noexcept { return t_ != none(); }
  constexpr bool has_value() const noexcept { return t_ != none(); }
  constexpr const time_point& operator*() const noexcept { return t_; }
  constexpr std::optional<time_point> get() const noexcept {
    return has_value() ? std::optional<time_point>(t_) : std::nullopt;
  }

 private:
  static constexpr time_point none() noexcept { return time_point::min(); }
  time_point t_ = none();
};

struct route6 {
  ip6_addr dest;
  fib::nexthop_id nh = fib::no_route;
  std::uint8_t plen = 0;  // 0..128
  route_kind kind = route_kind::static_route;
  bool interface_route = false;  // -interface: on-link through ifindex
  bool v4 = false;               // an IPv4 route, held as an IPv4-mapped prefix (plen + 96)
  expiry expire;
};
static_assert(sizeof(route6) <= 32, "a full table holds a million of these");

enum class route_errc : std::uint8_t { exists, not_found, unreachable, invalid, full };
struct route_error {
  route_errc code;
  std::string message;
};

class route_table6 {
 public:
  explicit route_table6(fib::reclaimer* r = nullptr) : reclaimer_(r), fib_(r) {}

  result<const route6*, route_error> add(route6 r, nexthop nh, bool replace = false);
  // Many static routes through one next hop at once (route files, benches):
  // the FIB is updated in one batch. Existing prefixes are replaced.
  result<std::size_t, route_error> add_bulk(const std::vector<std::pair<ip6_addr, unsigned>>& dests,
                                            route_kind kind, const nexthop& nh, bool v4);
  result<route6, route_error> remove(const ip6_addr& dest, unsigned plen,
                                     std::optional<ip6_addr> gateway = std::nullopt);
  // Removes every route of `kind` through `ifindex` (0: any interface).
  std::vector<route6> remove_if_kind(route_kind kind, unsigned ifindex = 0);

  // Longest-prefix match on the control thread (route get, locally sent
  // packets): the route and its next hop.
  const route6* match(const ip6_addr& dst) const;
  const route6* find(const ip6_addr& dest, unsigned plen) const;
  const nexthop& hop(fib::nexthop_id id) const { return nhs_[id]; }

  // In (prefix, length) order; iterate as `for (const auto& [key, route] : routes())`.
  const route_map<route6>& routes() const { return routes_; }
  // The routes that carry an expiry time, soonest first: what a periodic
  // expiry check walks instead of the whole table.
  using expiry_key = std::pair<time_point, std::pair<ip6_addr, unsigned>>;
  const std::set<expiry_key>& expiring() const { return expiring_; }
  const std::vector<nexthop>& nexthops() const { return nhs_; }
  const fib::fib6& fib() const { return fib_; }
  // IPv4 routes (IPv4-mapped prefixes, plen >= 96) also go into a fib4, whose
  // 32-bit lookups are what the workers use; nullptr until the first one.
  const fib::fib4* fib4() const { return fib4_.get(); }
  // Bumped whenever the next-hop table changes (the workers' copy is rebuilt).
  std::uint64_t nexthop_generation() const { return nh_gen_; }

 private:
  fib::nexthop_id intern(const nexthop& nh);
  void release(fib::nexthop_id id);
  void track_expiry(const route6& r, bool add);
  fib::fib4* fib4_for(const ip6_addr& dest, unsigned plen);

  route_map<route6> routes_;
  std::set<expiry_key> expiring_;
  std::vector<nexthop> nhs_;
  std::vector<fib::nexthop_id> free_nhs_;
  fib::reclaimer* reclaimer_;
  fib::fib6 fib_;
  std::unique_ptr<fib::fib4> fib4_;
  std::uint64_t nh_gen_ = 0;
};

// KAME flag letters of a route, in netstat's order.
std::string route_flags(const route6& r, const nexthop& nh);

}  // namespace umi::control
