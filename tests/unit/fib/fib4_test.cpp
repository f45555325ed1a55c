// fib4: longest-prefix match against a reference model, updates, and lock-free
// readers under route churn. Addresses are host-order integers.
#include "stack/fib/fib4.hpp"

#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "tests/unit/fib/qsbr_reclaimer.hpp"

using umi::fib::fib4;
using umi::fib::fib_error;
using umi::fib::nexthop_id;
using umi::fib::no_route;
using umi::fib::route4;

namespace {

constexpr std::uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

constexpr std::uint32_t mask(std::uint32_t a, unsigned len) {
  return len == 0 ? 0 : a & (~std::uint32_t{0} << (32 - len));
}

class reference4 {
 public:
  void insert(std::uint32_t p, unsigned len, nexthop_id nh) { by_len_[len][mask(p, len)] = nh; }
  bool erase(std::uint32_t p, unsigned len) { return by_len_[len].erase(mask(p, len)) != 0; }
  std::optional<nexthop_id> exact(std::uint32_t p, unsigned len) const {
    auto it = by_len_[len].find(mask(p, len));
    if (it == by_len_[len].end()) return std::nullopt;
    return it->second;
  }
  nexthop_id lookup(std::uint32_t a) const {
    for (int len = 32; len >= 0; --len) {
      const auto& m = by_len_[static_cast<unsigned>(len)];
      if (auto it = m.find(mask(a, static_cast<unsigned>(len))); it != m.end()) return it->second;
    }
    return no_route;
  }
  std::size_t size() const {
    std::size_t n = 0;
    for (const auto& m : by_len_) n += m.size();
    return n;
  }

 private:
  std::array<std::map<std::uint32_t, nexthop_id>, 33> by_len_;
};

// Bits [from, 32) of a set to random values.
std::uint32_t randomize_from(std::uint32_t a, unsigned from, std::mt19937_64& rng) {
  if (from >= 32) return a;
  const std::uint32_t host = from == 0 ? ~std::uint32_t{0} : ~std::uint32_t{0} >> from;
  return (a & ~host) | (static_cast<std::uint32_t>(rng()) & host);
}

// Clustered routes with every length from /0 to /32, mostly /24.
std::vector<route4> random_routes(std::size_t n, std::mt19937_64& rng) {
  std::vector<std::uint32_t> bases = {0, 0xffffffffu, v4(192, 0, 2, 0), v4(10, 0, 0, 0)};
  while (bases.size() < 16) bases.push_back(static_cast<std::uint32_t>(rng()));
  std::vector<route4> routes;
  routes.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    // Short routes are few (as in real tables): each one re-pushes its next hop
    // into every subtree below it, which is what makes them slow to change.
    const auto pick = rng() % 20;
    const auto len = static_cast<unsigned>(pick < 8 ? 24 : pick < 9 ? rng() % 17 : 17 + rng() % 16);
    const auto from = static_cast<unsigned>(rng() % (len + 1));
    const std::uint32_t base = bases[rng() % bases.size()];
    routes.push_back({mask(randomize_from(base, from, rng), len), static_cast<std::uint8_t>(len),
                      static_cast<nexthop_id>(rng() % 1000)});
  }
  return routes;
}

std::vector<std::uint32_t> queries_for(const std::vector<route4>& routes, std::size_t n,
                                       std::mt19937_64& rng) {
  std::vector<std::uint32_t> q;
  for (std::size_t i = 0; i < n; ++i) {
    const route4& r = routes[rng() % routes.size()];
    q.push_back(i % 4 == 3 ? static_cast<std::uint32_t>(rng())
                           : randomize_from(r.prefix, r.len, rng));
  }
  return q;
}

void check_against(const fib4& fib, const reference4& ref,
                   const std::vector<std::uint32_t>& queries) {
  std::vector<nexthop_id> bulk(queries.size());
  fib.lookup_bulk(queries.data(), bulk.data(), static_cast<unsigned>(queries.size()));
  std::size_t single_mismatch = 0;
  std::size_t bulk_mismatch = 0;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const nexthop_id want = ref.lookup(queries[i]);
    if (fib.lookup(queries[i]) != want && single_mismatch++ == 0) {
      INFO("first mismatch at " << std::hex << queries[i]);
      CHECK(fib.lookup(queries[i]) == want);
    }
    bulk_mismatch += bulk[i] != want;
  }
  CHECK(single_mismatch == 0);
  CHECK(bulk_mismatch == 0);
}

}  // namespace

TEST_CASE("fib4 empty table matches nothing", "[fib][fib4]") {
  fib4 fib;
  CHECK(fib.size() == 0);
  CHECK(fib.lookup(v4(192, 0, 2, 1)) == no_route);
  CHECK_FALSE(fib.find_exact(0, 0));
  CHECK_FALSE(fib.erase(0, 0));
}

TEST_CASE("fib4 resolves every prefix length along one address to the longest match",
          "[fib][fib4]") {
  const std::uint32_t a = v4(198, 51, 100, 77);
  fib4 fib;
  for (unsigned len = 0; len <= 32; len += 2) REQUIRE(fib.insert(a, len, len));
  CHECK(fib.size() == 17);
  CHECK(fib.lookup(a) == 32);
  for (unsigned bits = 0; bits < 32; ++bits) {
    INFO("common bits " << bits);
    CHECK(fib.lookup(a ^ (0x80000000u >> bits)) == bits / 2 * 2);
  }
  for (unsigned len = 32; len >= 2; len -= 2) {
    REQUIRE(fib.erase(a, len));
    INFO("erased /" << len);
    CHECK(fib.lookup(a) == len - 2);
  }
  REQUIRE(fib.erase(a, 0));
  CHECK(fib.lookup(a) == no_route);
}

TEST_CASE("fib4 lookups that leave a sparse subtree's chain get the covering route",
          "[fib][fib4]") {
  const std::uint32_t a = v4(192, 0, 2, 77);
  fib4 fib;
  REQUIRE(fib.insert(a, 32, 1));
  REQUIRE(fib.insert(v4(192, 0, 0, 0), 16, 2));
  for (unsigned bit = 0; bit < 32; ++bit) {
    INFO("flipped bit " << bit);
    CHECK(fib.lookup(a ^ (0x80000000u >> bit)) == (bit >= 16 ? 2u : no_route));
  }
  CHECK(fib.lookup(a) == 1);
}

TEST_CASE("fib4 replaces, erases back to the covering route and ignores host bits", "[fib][fib4]") {
  fib4 fib;
  REQUIRE(fib.insert(v4(10, 0, 0, 0), 8, 1));
  REQUIRE(fib.insert(v4(10, 1, 2, 0), 24, 2));
  REQUIRE(fib.insert(v4(10, 1, 2, 3), 32, 3));
  REQUIRE(fib.insert(v4(10, 1, 2, 99), 24, 4));  // replaces 10.1.2.0/24
  CHECK(fib.size() == 3);
  CHECK(fib.find_exact(v4(10, 1, 2, 0), 24) == 4u);
  CHECK(fib.lookup(v4(10, 1, 2, 3)) == 3);
  CHECK(fib.lookup(v4(10, 1, 2, 4)) == 4);
  CHECK(fib.erase(v4(10, 1, 2, 3), 32));
  CHECK(fib.lookup(v4(10, 1, 2, 3)) == 4);
  CHECK(fib.erase(v4(10, 1, 2, 0), 24));
  CHECK(fib.lookup(v4(10, 1, 2, 3)) == 1);
  CHECK_FALSE(fib.erase(v4(10, 1, 2, 0), 24));
  CHECK(fib.lookup(v4(11, 0, 0, 0)) == no_route);
}

TEST_CASE("fib4 refuses bad lengths and the reserved next hop", "[fib][fib4]") {
  fib4 fib;
  auto r = fib.insert(0, 33, 1);
  REQUIRE_FALSE(r);
  CHECK(r.error() == fib_error::bad_prefix_length);
  r = fib.insert(0, 0, no_route);
  REQUIRE_FALSE(r);
  CHECK(r.error() == fib_error::bad_next_hop);
  const std::vector<route4> batch = {{v4(10, 0, 0, 0), 8, 1}, {0, 0, no_route}};
  REQUIRE_FALSE(fib.insert_bulk(batch));
  CHECK(fib.size() == 0);
}

TEST_CASE("fib4 random table agrees with the reference through inserts and erases", "[fib][fib4]") {
  std::mt19937_64 rng(4);
  const auto routes = random_routes(50'000, rng);
  fib4 fib;
  reference4 ref;
  for (const auto& r : routes) {
    REQUIRE(fib.insert(r.prefix, r.len, r.nh));
    ref.insert(r.prefix, r.len, r.nh);
  }
  CHECK(fib.size() == ref.size());
  const auto queries = queries_for(routes, 50'000, rng);
  check_against(fib, ref, queries);
  std::size_t exact_mismatch = 0;
  for (const auto& r : routes)
    exact_mismatch += fib.find_exact(r.prefix, r.len) != ref.exact(r.prefix, r.len);
  CHECK(exact_mismatch == 0);

  for (std::size_t i = 0; i < routes.size(); ++i) {
    const auto& r = routes[i];
    if (i % 2 == 0) {
      CHECK(fib.erase(r.prefix, r.len) == ref.erase(r.prefix, r.len));
    } else if (i % 3 == 0) {
      REQUIRE(fib.insert(r.prefix, r.len, 5000 + static_cast<nexthop_id>(i)));
      ref.insert(r.prefix, r.len, 5000 + static_cast<nexthop_id>(i));
    }
  }
  CHECK(fib.size() == ref.size());
  check_against(fib, ref, queries);
}

TEST_CASE("fib4 bulk install matches the reference, last duplicate wins", "[fib][fib4]") {
  std::mt19937_64 rng(44);
  auto routes = random_routes(50'000, rng);
  for (std::size_t i = 0; i < 1000; ++i) {
    route4 again = routes[rng() % routes.size()];
    again.nh = 7000 + static_cast<nexthop_id>(i);
    routes.push_back(again);
  }
  reference4 ref;
  for (const auto& r : routes) ref.insert(r.prefix, r.len, r.nh);
  const std::span<const route4> all(routes);
  fib4 fib;
  const std::size_t empty = fib.memory_bytes();
  REQUIRE(fib.insert_bulk(all.first(routes.size() / 2)));
  REQUIRE(fib.insert_bulk(all.subspan(routes.size() / 2)));
  CHECK(fib.size() == ref.size());
  check_against(fib, ref, queries_for(routes, 50'000, rng));

  for (const auto& r : routes) fib.erase(r.prefix, r.len);
  CHECK(fib.size() == 0);
  CHECK(fib.memory_bytes() == empty);
}

TEST_CASE("fib4 readers see unaffected routes throughout 100k updates",
          "[fib][fib4][concurrency]") {
  const std::vector<route4> fixed = {
      {0, 0, 100},
      {v4(192, 0, 2, 0), 24, 101},
      {v4(192, 0, 2, 128), 25, 102},
      {v4(192, 0, 2, 77), 32, 103},
      {v4(198, 51, 100, 0), 22, 104},
      {v4(203, 0, 113, 0), 24, 105},
      {v4(10, 0, 0, 0), 8, 106},
  };
  std::mt19937_64 rng(4444);
  reference4 ref;
  for (const auto& r : fixed) ref.insert(r.prefix, r.len, r.nh);
  struct probe {
    std::uint32_t addr;
    nexthop_id want;
    unsigned len;
  };
  std::vector<probe> probes;
  for (const auto& r : fixed) {
    for (int found = 0; found < 6;) {
      const std::uint32_t a = randomize_from(r.prefix, r.len, rng);
      if (ref.lookup(a) != r.nh) continue;
      probes.push_back({a, r.nh, r.len});
      ++found;
    }
  }
  auto churn_prefix = [&]() -> std::pair<std::uint32_t, unsigned> {
    for (;;) {
      const probe& near = probes[rng() % probes.size()];
      const auto len = 1 + static_cast<unsigned>(rng() % 32);
      std::uint32_t a = rng() % 2 ? near.addr : static_cast<std::uint32_t>(rng());
      if (rng() % 2) a = randomize_from(a, len, rng) ^ (0x80000000u >> (rng() % len));
      a = mask(a, len);
      bool ok = true;
      for (const auto& p : probes) ok = ok && !(mask(p.addr, len) == a && len >= p.len);
      if (ok) return {a, len};
    }
  };

  umi::test::qsbr_reclaimer qsbr;
  fib4 fib(&qsbr);
  REQUIRE(fib.insert_bulk(fixed));
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> passes{0};
  std::atomic<std::uint64_t> wrong{0};
  std::thread reader([&] {
    std::vector<std::uint32_t> addrs;
    for (const auto& p : probes) addrs.push_back(p.addr);
    std::vector<nexthop_id> out(addrs.size());
    while (!stop.load(std::memory_order_acquire)) {
      std::uint64_t bad = 0;
      for (const auto& p : probes) bad += fib.lookup(p.addr) != p.want;
      fib.lookup_bulk(addrs.data(), out.data(), static_cast<unsigned>(addrs.size()));
      for (std::size_t i = 0; i < probes.size(); ++i) bad += out[i] != probes[i].want;
      if (bad != 0) wrong.fetch_add(bad, std::memory_order_relaxed);
      passes.fetch_add(1, std::memory_order_release);
      qsbr.quiescent();
    }
    qsbr.offline();
  });

  std::vector<std::pair<std::uint32_t, unsigned>> live;
  for (std::uint64_t ops = 0; ops < 100'000; ++ops) {
    if (ops % 1000 == 0) {  // stay in step with the reader, without sleeping
      const auto seen = passes.load(std::memory_order_acquire);
      while (passes.load(std::memory_order_acquire) == seen) std::this_thread::yield();
    }
    if (live.size() < 3000 || rng() % 2) {
      auto [a, len] = churn_prefix();
      REQUIRE(fib.insert(a, len, static_cast<nexthop_id>(rng() % 50)));
      live.emplace_back(a, len);
    } else {
      const std::size_t i = rng() % live.size();
      fib.erase(live[i].first, live[i].second);
      live[i] = live.back();
      live.pop_back();
    }
    qsbr.reclaim();
  }
  stop.store(true, std::memory_order_release);
  reader.join();
  qsbr.reclaim();

  CHECK(wrong.load() == 0);
  CHECK(passes.load() >= 100);
  CHECK(qsbr.retired() > 1000);
  CHECK(qsbr.freed() == qsbr.retired());
  for (const auto& p : probes) CHECK(fib.lookup(p.addr) == p.want);
}
