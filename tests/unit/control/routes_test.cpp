// The control plane's route table: route_map against std::map as a model
// (ordering, replacement, erasure, bulk merge), the expiry index, and
// add_bulk's duplicate and reference-count rules.
#include "stack/control/routes.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <random>

using umi::ip6_addr;
using umi::control::nexthop;
using umi::control::route6;
using umi::control::route_kind;
using umi::control::route_map;
using umi::control::route_table6;

namespace {
ip6_addr addr(const char* s) {
  return *ip6_addr::parse(s);
}
route6 route(std::mt19937_64& rng, std::uint32_t tag) {
  route6 r;
  r.dest.b[0] = 0x20;
  r.dest.b[1] = 0x01;
  for (int i = 2; i < 8; ++i) r.dest.b[i] = static_cast<std::uint8_t>(rng() % 4);  // collisions
  r.plen = 64 - static_cast<unsigned>(rng() % 2);
  r.nh = tag;
  return r;
}
using model = std::map<std::pair<ip6_addr, unsigned>, std::uint32_t>;
void same(const route_map<route6>& m, const model& ref) {
  REQUIRE(m.size() == ref.size());
  auto it = ref.begin();
  for (const auto& [k, r] : m) {
    REQUIRE(it != ref.end());
    CHECK(k == it->first);
    CHECK(r.nh == it->second);
    ++it;
  }
  for (const auto& [k, nh] : ref) {
    const route6* r = m.find(k);
    REQUIRE(r != nullptr);
    CHECK(r->nh == nh);
  }
}
}  // namespace

TEST_CASE("route_map keeps the order and contents of a std::map", "[routes]") {
  std::mt19937_64 rng(7);
  route_map<route6> m;
  model ref;
  for (std::uint32_t i = 0; i < 6000; ++i) {  // several chunk splits
    const route6 r = route(rng, i);
    auto [p, inserted] = m.try_emplace(r);
    CHECK(inserted == ref.emplace(route_map<route6>::key_of(r), i).second);
    if (!inserted) CHECK(p->nh == ref[route_map<route6>::key_of(r)]);
  }
  same(m, ref);
  for (std::uint32_t i = 0; i < 3000; ++i) {
    const auto k = route_map<route6>::key_of(route(rng, 0));
    CHECK(m.erase(k) == (ref.erase(k) == 1));
  }
  same(m, ref);
  m.erase_if([](const route6& r) { return r.nh % 3 == 0; },
             [&](const route6& r) { CHECK(ref.erase(route_map<route6>::key_of(r)) == 1); });
  same(m, ref);
  CHECK(m.find({addr("2001:db8::"), 64}) == nullptr);
}

TEST_CASE("route_map merges a sorted batch, replacing what is there", "[routes]") {
  std::mt19937_64 rng(11);
  for (const std::size_t before : {0u, 100u, 5000u}) {
    route_map<route6> m;
    model ref;
    for (std::uint32_t i = 0; i < before; ++i) {
      const route6 r = route(rng, i);
      if (m.try_emplace(r).second) ref.emplace(route_map<route6>::key_of(r), i);
    }
    std::map<std::pair<ip6_addr, unsigned>, route6> batch;
    for (std::uint32_t i = 0; i < 2000; ++i) {
      const route6 r = route(rng, 100000 + i);
      batch[route_map<route6>::key_of(r)] = r;
    }
    std::vector<route6> sorted;
    for (const auto& [k, r] : batch) sorted.push_back(r);
    std::size_t replaced = 0;
    m.merge_sorted(sorted, [&](const route6& old) {
      ++replaced;
      CHECK(ref.count(route_map<route6>::key_of(old)) == 1);
    });
    std::size_t expect_replaced = 0;
    for (const auto& [k, r] : batch) {
      expect_replaced += ref.count(k);
      ref[k] = r.nh;
    }
    CHECK(replaced == expect_replaced);
    same(m, ref);
    // Single insertions after a merge still land in order.
    for (std::uint32_t i = 0; i < 1000; ++i) {
      const route6 r = route(rng, 200000 + i);
      if (m.try_emplace(r).second) ref.emplace(route_map<route6>::key_of(r), r.nh);
    }
    same(m, ref);
  }
}

TEST_CASE("route_table6 indexes routes that expire", "[routes]") {
  route_table6 rt;
  const nexthop nh{umi::control::nh_type::forward, 1, addr("fe80::1"), 0};
  const umi::time_point t0{std::chrono::seconds(1000)};
  route6 r;
  r.dest = addr("2001:db8::5");
  r.plen = 128;
  r.kind = route_kind::redirect;
  r.expire = t0 + std::chrono::seconds(60);
  REQUIRE(rt.add(r, nh));
  route6 s = r;
  s.dest = addr("2001:db8::6");
  s.expire = t0 + std::chrono::seconds(30);
  REQUIRE(rt.add(s, nh));
  route6 plain;
  plain.dest = addr("2001:db8:1::");
  plain.plen = 64;
  REQUIRE(rt.add(plain, nh));
  REQUIRE(rt.expiring().size() == 2);
  CHECK(rt.expiring().begin()->second.first == s.dest);  // soonest first
  // Replacing a route moves its expiry; removing it drops it.
  r.expire = t0 + std::chrono::seconds(10);
  REQUIRE(rt.add(r, nh, true));
  REQUIRE(rt.expiring().size() == 2);
  CHECK(rt.expiring().begin()->first == t0 + std::chrono::seconds(10));
  REQUIRE(rt.remove(r.dest, 128));
  REQUIRE(rt.expiring().size() == 1);
  CHECK(rt.find(s.dest, 128)->expire.has_value());
  CHECK_FALSE(rt.find(plain.dest, 64)->expire);
  rt.remove_if_kind(route_kind::redirect);
  CHECK(rt.expiring().empty());
}

TEST_CASE("route_table6::add_bulk: last duplicate wins, one reference per route", "[routes]") {
  route_table6 rt;
  const nexthop a{umi::control::nh_type::forward, 1, addr("fe80::1"), 0};
  const nexthop b{umi::control::nh_type::forward, 1, addr("fe80::2"), 0};
  std::vector<std::pair<ip6_addr, unsigned>> d{{addr("2001:db8:1::"), 48},
                                               {addr("2001:db8:2::"), 48},
                                               {addr("2001:db8:1::1"), 48}};  // same prefix
  auto n = rt.add_bulk(d, route_kind::static_route, a, false);
  REQUIRE(n);
  CHECK(*n == 3);
  CHECK(rt.routes().size() == 2);
  const auto id_a = rt.find(addr("2001:db8:1::"), 48)->nh;
  CHECK(rt.hop(id_a).refs == 2);
  // Replacing one route through another gateway moves its reference.
  REQUIRE(rt.add_bulk({{addr("2001:db8:2::"), 48}}, route_kind::static_route, b, false));
  CHECK(rt.hop(id_a).refs == 1);
  const auto id_b = rt.find(addr("2001:db8:2::"), 48)->nh;
  CHECK(id_b != id_a);
  CHECK(rt.hop(id_b).refs == 1);
  CHECK(rt.fib().lookup(addr("2001:db8:2::9")) == id_b);
  CHECK(rt.fib().lookup(addr("2001:db8:1::9")) == id_a);
  CHECK(rt.match(addr("2001:db8:1::9"))->plen == 48);
  CHECK_FALSE(rt.add_bulk({{addr("2001:db8::"), 129}}, route_kind::static_route, a, false));
}

TEST_CASE("route_table6 mirrors IPv4-mapped routes into a fib4", "[routes]") {
  route_table6 rt;
  CHECK(rt.fib4() == nullptr);
  const nexthop gw{umi::control::nh_type::forward, 1, addr("::ffff:192.0.2.1"), 0};
  route6 net;
  net.dest = addr("::ffff:198.51.100.0");
  net.plen = 96 + 24;
  net.v4 = true;
  REQUIRE(rt.add(net, gw));
  REQUIRE(rt.fib4() != nullptr);
  const auto id = rt.find(net.dest, net.plen)->nh;
  CHECK(rt.fib4()->lookup(0xc6336407u) == id);  // 198.51.100.7
  REQUIRE(
      rt.add_bulk({{addr("::ffff:203.0.113.0"), 96 + 28}, {addr("::ffff:203.0.113.16"), 96 + 28}},
                  route_kind::static_route, gw, true));
  CHECK(rt.fib4()->lookup(0xcb007111u) == rt.find(addr("::ffff:203.0.113.16"), 124)->nh);
  CHECK(rt.fib4()->size() == 3);
  REQUIRE(rt.remove(net.dest, net.plen));
  CHECK(rt.fib4()->lookup(0xc6336407u) == umi::fib::no_route);
  rt.remove_if_kind(route_kind::static_route);
  CHECK(rt.fib4()->size() == 0);
  // An IPv6 route does not reach the fib4.
  route6 six;
  six.dest = addr("2001:db8::");
  six.plen = 32;
  REQUIRE(rt.add(six, gw));
  CHECK(rt.fib4()->size() == 0);
}
