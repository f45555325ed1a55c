// fib6: longest-prefix match against a reference model, updates, and lock-free
// readers under route churn.
#include "stack/fib/fib6.hpp"

#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "tests/unit/fib/qsbr_reclaimer.hpp"
#include "tests/unit/support/fixtures.hpp"

using umi::ip6_addr;
using umi::fib::fib6;
using umi::fib::fib_error;
using umi::fib::nexthop_id;
using umi::fib::no_route;
using umi::fib::route6;
using umi::test::ip6_of;

namespace {

// The obviously correct model: one map per prefix length, longest first.
class reference6 {
 public:
  void insert(const ip6_addr& p, unsigned len, nexthop_id nh) { by_len_[len][p.masked(len)] = nh; }
  bool erase(const ip6_addr& p, unsigned len) { return by_len_[len].erase(p.masked(len)) != 0; }
  std::optional<nexthop_id> exact(const ip6_addr& p, unsigned len) const {
    auto it = by_len_[len].find(p.masked(len));
    if (it == by_len_[len].end()) return std::nullopt;
    return it->second;
  }
  nexthop_id lookup(const ip6_addr& a) const {
    for (int len = 128; len >= 0; --len) {
      const auto& m = by_len_[static_cast<unsigned>(len)];
      if (m.empty()) continue;
      if (auto it = m.find(a.masked(static_cast<unsigned>(len))); it != m.end()) return it->second;
    }
    return no_route;
  }
  std::size_t size() const {
    std::size_t n = 0;
    for (const auto& m : by_len_) n += m.size();
    return n;
  }

 private:
  std::array<std::map<ip6_addr, nexthop_id>, 129> by_len_;
};

// Sets bits [from, 128) of a to random values.
ip6_addr randomize_from(ip6_addr a, unsigned from, std::mt19937_64& rng) {
  for (unsigned bit = from; bit < 128; ++bit) {
    const auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    if (rng() & 1)
      a.b[bit / 8] |= mask;
    else
      a.b[bit / 8] &= static_cast<std::uint8_t>(~mask);
  }
  return a;
}

ip6_addr flip_bit(ip6_addr a, unsigned bit) {
  a.b[bit / 8] ^= static_cast<std::uint8_t>(0x80u >> (bit % 8));
  return a;
}

// Routes clustered around a few bases so that prefixes nest deeply, with every
// length from /0 to /128 represented.
std::vector<route6> random_routes(std::size_t n, std::mt19937_64& rng) {
  std::vector<ip6_addr> bases = {ip6_of("2001:db8::"), ip6_of("::"),
                                 ip6_of("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")};
  while (bases.size() < 24) bases.push_back(randomize_from(ip6_addr{}, 0, rng));
  std::vector<route6> routes;
  routes.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const ip6_addr& base = bases[rng() % bases.size()];
    unsigned len = 0;
    switch (rng() % 10) {
      case 0:
        len = static_cast<unsigned>(rng() % 17);  // top-level routes
        break;
      case 1:
        len = 128;
        break;
      case 2:
      case 3:
      case 4:
        len = 65 + static_cast<unsigned>(rng() % 64);
        break;
      default:
        len = 17 + static_cast<unsigned>(rng() % 48);
        break;
    }
    const auto from = static_cast<unsigned>(rng() % (len + 1));
    routes.push_back({randomize_from(base, from, rng).masked(len), static_cast<std::uint8_t>(len),
                      static_cast<nexthop_id>(rng() % 1000)});
  }
  return routes;
}

// Addresses inside the routes (at a random depth below them) and near them.
std::vector<ip6_addr> queries_for(const std::vector<route6>& routes, std::size_t n,
                                  std::mt19937_64& rng) {
  std::vector<ip6_addr> q;
  q.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const route6& r = routes[rng() % routes.size()];
    if (i % 4 == 3)
      q.push_back(randomize_from(r.prefix, static_cast<unsigned>(rng() % 129), rng));
    else
      q.push_back(randomize_from(r.prefix, r.len, rng));
  }
  return q;
}

void check_against(const fib6& fib, const reference6& ref, const std::vector<ip6_addr>& queries) {
  std::vector<const ip6_addr*> ptrs;
  for (const auto& a : queries) ptrs.push_back(&a);
  std::vector<nexthop_id> bulk(queries.size());
  fib.lookup_bulk(ptrs.data(), bulk.data(), static_cast<unsigned>(ptrs.size()));
  std::size_t single_mismatch = 0;
  std::size_t bulk_mismatch = 0;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const nexthop_id want = ref.lookup(queries[i]);
    if (fib.lookup(queries[i]) != want) {
      if (single_mismatch++ == 0) {
        INFO("first mismatch at " << queries[i].to_string());
        CHECK(fib.lookup(queries[i]) == want);
      }
    }
    if (bulk[i] != want) ++bulk_mismatch;
  }
  CHECK(single_mismatch == 0);
  CHECK(bulk_mismatch == 0);
}

}  // namespace

TEST_CASE("fib6 empty table matches nothing", "[fib][fib6]") {
  fib6 fib;
  CHECK(fib.size() == 0);
  CHECK(fib.lookup(ip6_of("2001:db8::1")) == no_route);
  CHECK(fib.lookup(ip6_of("::")) == no_route);
  CHECK_FALSE(fib.find_exact(ip6_of("::"), 0));
  CHECK_FALSE(fib.erase(ip6_of("::"), 0));
  const ip6_addr a = ip6_of("2001:db8::1");
  const ip6_addr* p = &a;
  nexthop_id out = 7;
  fib.lookup_bulk(&p, &out, 1);
  CHECK(out == no_route);
}

TEST_CASE("fib6 default route and host route are the two ends of the length range", "[fib][fib6]") {
  fib6 fib;
  REQUIRE(fib.insert(ip6_of("::"), 0, 1));
  REQUIRE(fib.insert(ip6_of("2001:db8::1"), 128, 2));
  CHECK(fib.size() == 2);
  CHECK(fib.lookup(ip6_of("2001:db8::1")) == 2);
  CHECK(fib.lookup(ip6_of("2001:db8::")) == 1);
  CHECK(fib.lookup(ip6_of("2001:db8::3")) == 1);
  CHECK(fib.lookup(ip6_of("::")) == 1);
  CHECK(fib.lookup(ip6_of("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")) == 1);
  CHECK(fib.find_exact(ip6_of("::"), 0) == 1u);
  CHECK(fib.find_exact(ip6_of("2001:db8::1"), 128) == 2u);
  CHECK_FALSE(fib.find_exact(ip6_of("2001:db8::"), 127));
}

TEST_CASE("fib6 resolves every prefix length along one address to the longest match",
          "[fib][fib6]") {
  const ip6_addr a = ip6_of("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff");
  fib6 fib;
  // Even lengths only, so that every odd length must fall back to the one above.
  for (unsigned len = 0; len <= 128; len += 2) REQUIRE(fib.insert(a, len, len));
  CHECK(fib.size() == 65);
  CHECK(fib.lookup(a) == 128);
  // An address agreeing with a on exactly its first `bits` bits.
  for (unsigned bits = 0; bits < 128; ++bits) {
    INFO("common bits " << bits);
    CHECK(fib.lookup(flip_bit(a, bits)) == bits / 2 * 2);
  }
  // Erasing from the longest down hands each address back to the next shorter route.
  for (unsigned len = 128; len >= 2; len -= 2) {
    REQUIRE(fib.erase(a, len));
    INFO("erased /" << len);
    CHECK(fib.lookup(a) == len - 2);
  }
  REQUIRE(fib.erase(a, 0));
  CHECK(fib.lookup(a) == no_route);
  CHECK(fib.size() == 0);
}

TEST_CASE("fib6 lookups that leave a sparse subtree's chain get the covering route",
          "[fib][fib6]") {
  // A lone /64 hangs below a chain of nodes without prefixes, which lookups skip
  // in one comparison; an address leaving the chain at any bit must still fall
  // back to what covers it.
  const ip6_addr a = ip6_of("2001:db8:1234:5678::");
  fib6 fib;
  REQUIRE(fib.insert(a, 64, 1));
  for (unsigned bit = 16; bit < 64; ++bit) CHECK(fib.lookup(flip_bit(a, bit)) == no_route);
  REQUIRE(fib.insert(ip6_of("::"), 0, 2));
  REQUIRE(fib.insert(ip6_of("2001:db8::"), 32, 3));
  for (unsigned bit = 0; bit < 128; ++bit) {
    INFO("flipped bit " << bit);
    CHECK(fib.lookup(flip_bit(a, bit)) == (bit >= 64 ? 1u : bit >= 32 ? 3u : 2u));
  }
  // The chain grows and shrinks as routes come and go below it.
  REQUIRE(fib.insert(ip6_of("2001:db8:1234:5600::"), 56, 4));
  CHECK(fib.lookup(ip6_of("2001:db8:1234:56ff::1")) == 4);
  CHECK(fib.lookup(ip6_of("2001:db8:1234:5678::1")) == 1);
  REQUIRE(fib.erase(ip6_of("2001:db8::"), 32));
  REQUIRE(fib.erase(a, 64));
  CHECK(fib.lookup(ip6_of("2001:db8:1234:5678::1")) == 4);
  CHECK(fib.lookup(ip6_of("2001:db8:1234:5778::1")) == 2);
}

TEST_CASE("fib6 shortcuts past runs of single-child nodes follow every update", "[fib][fib6]") {
  // Routes that branch once and then run alone for many levels (a /64 and
  // /128s far below a /32, as a router's table looks under one site prefix):
  // the runs of prefix-free single-child nodes carry shortcuts, which must
  // resolve every address leaving them at any bit, and be rebuilt when a
  // route appears or disappears inside or below a run.
  fib6 fib;
  reference6 ref;
  const auto add = [&](const char* p, unsigned len, nexthop_id nh) {
    REQUIRE(fib.insert(ip6_of(p), len, nh));
    ref.insert(ip6_of(p), len, nh);
  };
  const auto del = [&](const char* p, unsigned len) {
    CHECK(fib.erase(ip6_of(p), len) == ref.erase(ip6_of(p), len));
  };
  const auto probe = [&] {
    std::vector<ip6_addr> q;
    for (const char* base :
         {"2001:db8:1234:5678::9", "2001:db8:1234:5678:0:0:0:1", "2001:db8:ab00::1",
          "2001:db8:abcd:ef01:2345:6789:abcd:ef01", "2001:db8:1234:5600::1"})
      for (unsigned bit = 0; bit < 128; ++bit) q.push_back(flip_bit(ip6_of(base), bit));
    check_against(fib, ref, q);
  };
  add("2001:db8::", 32, 1);
  add("2001:db8:1234:5678::", 64, 2);
  add("2001:db8:abcd:ef01:2345:6789:abcd:ef01", 128, 3);  // a run longer than 10 links
  probe();
  add("2001:db8:1234:5600::", 56, 4);  // a prefix inside the first run splits it
  probe();
  add("2001:db8:1234:5678::1", 128, 5);  // the run continues below the /64
  add("2001:db8:abcd:ef01:2345::", 80, 6);
  probe();
  del("2001:db8:1234:5600::", 56);  // the run joins up again
  del("2001:db8:abcd:ef01:2345::", 80);
  probe();
  add("::", 0, 7);  // a new inherited next hop for every node
  probe();
  del("2001:db8:1234:5678::", 64);
  del("2001:db8::", 32);
  probe();
  del("2001:db8:1234:5678::1", 128);
  del("2001:db8:abcd:ef01:2345:6789:abcd:ef01", 128);
  probe();
  CHECK(fib.size() == 1);
}

TEST_CASE("fib6 chains ending in one block of a node resolve every slot", "[fib][fib6]") {
  // Below a sparse /48, the node of bits 58..63 holds a few /59../64s. When
  // they make one aligned block of slots with one next hop, the chain above
  // resolves it without visiting the node; a block that is not aligned, or
  // two blocks, must not be taken for one.
  const ip6_addr base = ip6_of("2001:db8:1234:5640::");
  const auto at = [&](unsigned slot) {
    ip6_addr a = base;
    a.b[7] = static_cast<std::uint8_t>(0x40 | slot);
    a.b[15] = 0x9;
    return a;
  };
  struct layout {
    const char* name;
    std::vector<std::pair<unsigned, unsigned>> routes;  // (first slot, length)
    std::vector<nexthop_id> nhs;
  };
  const std::vector<layout> layouts = {
      {"one /64", {{5, 64}}, {1}},
      {"an aligned pair of /64s", {{2, 64}, {3, 64}}, {1, 1}},
      {"a pair of /64s across a block boundary", {{1, 64}, {2, 64}}, {1, 1}},
      {"a pair across a larger boundary", {{7, 64}, {8, 64}}, {1, 1}},
      {"two /64s with different next hops", {{2, 64}, {3, 64}}, {1, 2}},
      {"a /62", {{4, 62}}, {1}},
      {"a /62 and a /63 that make a misaligned run", {{4, 62}, {8, 63}}, {1, 1}},
      {"a /59", {{32, 59}}, {1}},
      {"two /59s: the whole node", {{0, 59}, {32, 59}}, {1, 1}},
      {"two /59s with different next hops", {{0, 59}, {32, 59}}, {1, 2}},
      {"a /60 and a /59 with different next hops", {{0, 60}, {32, 59}}, {1, 2}},
  };
  for (const bool covered : {false, true}) {
    for (const layout& l : layouts) {
      INFO(l.name << (covered ? ", under ::/0" : ""));
      fib6 fib;
      reference6 ref;
      if (covered) {
        REQUIRE(fib.insert(ip6_of("::"), 0, 9));
        ref.insert(ip6_of("::"), 0, 9);
      }
      // A sibling branching off at bit 48, so that the node of bits 52..57 is
      // a chain link (not swallowed by the chain from the top level).
      REQUIRE(fib.insert(ip6_of("2001:db8:1234:8000::"), 64, 3));
      ref.insert(ip6_of("2001:db8:1234:8000::"), 64, 3);
      for (std::size_t i = 0; i < l.routes.size(); ++i) {
        const ip6_addr p = at(l.routes[i].first).masked(l.routes[i].second);
        REQUIRE(fib.insert(p, l.routes[i].second, l.nhs[i]));
        ref.insert(p, l.routes[i].second, l.nhs[i]);
      }
      std::vector<ip6_addr> q;
      for (unsigned slot = 0; slot < 64; ++slot) q.push_back(at(slot));
      for (unsigned bit = 0; bit < 128; ++bit) q.push_back(flip_bit(at(l.routes[0].first), bit));
      check_against(fib, ref, q);
    }
  }
}

TEST_CASE("fib6 random small nodes below a chain agree with the reference", "[fib][fib6]") {
  // A few routes of /58../64 in the node of bits 58..63 below a sparse /48,
  // with two next hops so that equal neighbouring blocks occur, sometimes
  // under a covering route: whatever shape the node takes (terminal or not),
  // every slot must resolve as the reference says, then again after the
  // routes are erased one by one.
  std::mt19937_64 rng(5);
  const ip6_addr base = ip6_of("2001:db8:1234:5640::");
  std::vector<ip6_addr> q;
  for (unsigned slot = 0; slot < 64; ++slot) {
    ip6_addr a = base;
    a.b[7] = static_cast<std::uint8_t>(0x40 | slot);
    a.b[15] = 0x1;
    q.push_back(a);
  }
  for (unsigned bit = 0; bit < 128; ++bit) q.push_back(flip_bit(q[0], bit));
  for (int round = 0; round < 300; ++round) {
    INFO("round " << round);
    fib6 fib;
    reference6 ref;
    const auto add = [&](const ip6_addr& p, unsigned len, nexthop_id nh) {
      REQUIRE(fib.insert(p, len, nh));
      ref.insert(p, len, nh);
    };
    add(ip6_of("2001:db8:1234:8000::"), 64, 3);  // makes bits 52..57 a link
    if (rng() % 2) add(ip6_of("::"), 0, 9);
    if (rng() % 4 == 0) add(ip6_of("2001:db8:1234:5640::"), 58, 4);
    std::vector<std::pair<ip6_addr, unsigned>> mine;
    for (unsigned k = 1 + rng() % 4; k > 0; --k) {
      const auto len = static_cast<unsigned>(59 + rng() % 6);
      ip6_addr a = q[rng() % 64].masked(len);
      add(a, len, static_cast<nexthop_id>(1 + rng() % 2));
      mine.emplace_back(a, len);
    }
    check_against(fib, ref, q);
    for (const auto& [a, len] : mine) {
      CHECK(fib.erase(a, len) == ref.erase(a, len));
      check_against(fib, ref, q);
    }
  }
}

TEST_CASE("fib6 insert of an existing prefix replaces its next hop", "[fib][fib6]") {
  fib6 fib;
  REQUIRE(fib.insert(ip6_of("2001:db8:1::"), 48, 1));
  REQUIRE(fib.insert(ip6_of("2001:db8:1::"), 48, 2));
  CHECK(fib.size() == 1);
  CHECK(fib.lookup(ip6_of("2001:db8:1::5")) == 2);
  CHECK(fib.find_exact(ip6_of("2001:db8:1::"), 48) == 2u);
  // Same for a top-level route (length <= 16) and a host route.
  REQUIRE(fib.insert(ip6_of("2000::"), 3, 3));
  REQUIRE(fib.insert(ip6_of("2000::"), 3, 4));
  REQUIRE(fib.insert(ip6_of("2001:db8::9"), 128, 5));
  REQUIRE(fib.insert(ip6_of("2001:db8::9"), 128, 6));
  CHECK(fib.size() == 3);
  CHECK(fib.lookup(ip6_of("3fff::1")) == 4);
  CHECK(fib.lookup(ip6_of("2001:db8::9")) == 6);
}

TEST_CASE("fib6 erase restores the covering route", "[fib][fib6]") {
  fib6 fib;
  REQUIRE(fib.insert(ip6_of("2001:db8::"), 32, 1));
  REQUIRE(fib.insert(ip6_of("2001:db8:1::"), 48, 2));
  REQUIRE(fib.insert(ip6_of("2001:db8:1:2::"), 64, 3));
  REQUIRE(fib.insert(ip6_of("2001::"), 16, 4));
  CHECK(fib.lookup(ip6_of("2001:db8:1:2::1")) == 3);

  CHECK(fib.erase(ip6_of("2001:db8:1:2::"), 64));
  CHECK(fib.lookup(ip6_of("2001:db8:1:2::1")) == 2);
  CHECK_FALSE(fib.erase(ip6_of("2001:db8:1:2::"), 64));
  CHECK_FALSE(fib.erase(ip6_of("2001:db8:1::"), 47));  // only the /48 is installed

  CHECK(fib.erase(ip6_of("2001:db8::"), 32));  // the middle of the chain
  CHECK(fib.lookup(ip6_of("2001:db8:1:2::1")) == 2);
  CHECK(fib.lookup(ip6_of("2001:db8:2::1")) == 4);
  CHECK(fib.erase(ip6_of("2001:db8:1::"), 48));
  CHECK(fib.lookup(ip6_of("2001:db8:1:2::1")) == 4);
  CHECK(fib.erase(ip6_of("2001::"), 16));
  CHECK(fib.lookup(ip6_of("2001:db8:1:2::1")) == no_route);
  CHECK(fib.size() == 0);
}

TEST_CASE("fib6 ignores the host bits of a prefix", "[fib][fib6]") {
  fib6 fib;
  REQUIRE(fib.insert(ip6_of("2001:db8:ffff::1"), 32, 1));
  CHECK(fib.find_exact(ip6_of("2001:db8::"), 32) == 1u);
  CHECK(fib.find_exact(ip6_of("2001:db8:1::"), 32) == 1u);
  CHECK(fib.lookup(ip6_of("2001:db8::7")) == 1);
  CHECK(fib.erase(ip6_of("2001:db8:abcd::"), 32));
  CHECK(fib.size() == 0);
}

TEST_CASE("fib6 refuses bad lengths and the reserved next hop", "[fib][fib6]") {
  fib6 fib;
  auto r = fib.insert(ip6_of("2001:db8::"), 129, 1);
  REQUIRE_FALSE(r);
  CHECK(r.error() == fib_error::bad_prefix_length);
  r = fib.insert(ip6_of("2001:db8::"), 32, no_route);
  REQUIRE_FALSE(r);
  CHECK(r.error() == fib_error::bad_next_hop);
  CHECK_FALSE(fib.erase(ip6_of("2001:db8::"), 129));
  CHECK_FALSE(fib.find_exact(ip6_of("2001:db8::"), 129));

  // A batch with one bad route installs nothing.
  const std::vector<route6> batch = {{ip6_of("2001:db8::"), 32, 1}, {ip6_of("2001:db8::"), 200, 2}};
  r = fib.insert_bulk(batch);
  REQUIRE_FALSE(r);
  CHECK(r.error() == fib_error::bad_prefix_length);
  CHECK(fib.size() == 0);
  CHECK(fib.lookup(ip6_of("2001:db8::1")) == no_route);
}

TEST_CASE("fib6 random table agrees with the reference through inserts and erases", "[fib][fib6]") {
  std::mt19937_64 rng(6);
  const auto routes = random_routes(50'000, rng);
  fib6 fib;
  reference6 ref;
  for (const auto& r : routes) {
    REQUIRE(fib.insert(r.prefix, r.len, r.nh));
    ref.insert(r.prefix, r.len, r.nh);
  }
  CHECK(fib.size() == ref.size());
  const auto queries = queries_for(routes, 20'000, rng);
  check_against(fib, ref, queries);

  std::size_t exact_mismatch = 0;
  for (const auto& r : routes)
    exact_mismatch += fib.find_exact(r.prefix, r.len) != ref.exact(r.prefix, r.len);
  CHECK(exact_mismatch == 0);

  // Erase every other route, re-point some of the rest.
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
  exact_mismatch = 0;
  for (const auto& r : routes)
    exact_mismatch += fib.find_exact(r.prefix, r.len) != ref.exact(r.prefix, r.len);
  CHECK(exact_mismatch == 0);
}

TEST_CASE("fib6 bulk install matches one-by-one install, last duplicate wins", "[fib][fib6]") {
  std::mt19937_64 rng(66);
  auto routes = random_routes(50'000, rng);
  // Re-state some prefixes later in the batch with another next hop.
  for (std::size_t i = 0; i < 1000; ++i) {
    route6 again = routes[rng() % routes.size()];
    again.nh = 7000 + static_cast<nexthop_id>(i);
    routes.push_back(again);
  }
  const std::span<const route6> all(routes);
  const auto first = all.first(routes.size() / 2);
  const auto second = all.subspan(routes.size() / 2);

  reference6 ref;
  for (const auto& r : routes) ref.insert(r.prefix, r.len, r.nh);

  fib6 bulk;
  REQUIRE(bulk.insert_bulk(first));   // into an empty table
  REQUIRE(bulk.insert_bulk(second));  // into a populated one
  CHECK(bulk.size() == ref.size());
  const auto queries = queries_for(routes, 20'000, rng);
  check_against(bulk, ref, queries);

  fib6 one_by_one;
  for (const auto& r : routes) REQUIRE(one_by_one.insert(r.prefix, r.len, r.nh));
  CHECK(one_by_one.size() == bulk.size());
  // The structure is canonical: the same routes give the same blocks, however
  // they were added.
  CHECK(one_by_one.memory_bytes() == bulk.memory_bytes());
  check_against(one_by_one, ref, queries);
}

TEST_CASE("fib6 erasing every route gives back all node memory", "[fib][fib6]") {
  std::mt19937_64 rng(666);
  const auto routes = random_routes(20'000, rng);
  fib6 fib;
  const std::size_t empty = fib.memory_bytes();
  REQUIRE(fib.insert_bulk(routes));
  CHECK(fib.memory_bytes() > empty);
  for (const auto& r : routes) fib.erase(r.prefix, r.len);
  CHECK(fib.size() == 0);
  CHECK(fib.memory_bytes() == empty);
  CHECK(fib.lookup(routes.front().prefix) == no_route);
}

TEST_CASE("fib6 readers see unaffected routes throughout 100k updates",
          "[fib][fib6][concurrency]") {
  // Fixed routes and, for each, probe addresses that resolve to it; the writer
  // churns other prefixes around them (siblings in the same nodes, and shorter
  // covering prefixes that force the probes' subtrees to be rebuilt) and never
  // anything that would change a probe's answer.
  const std::vector<route6> fixed = {
      {ip6_of("::"), 0, 100},
      {ip6_of("2001:db8::"), 32, 101},
      {ip6_of("2001:db8:1234::"), 48, 102},
      {ip6_of("2001:db8:1234:5600::"), 56, 103},
      {ip6_of("2001:db8:1234:5678::"), 64, 104},
      {ip6_of("2001:db8:1234:5678::1"), 128, 105},
      {ip6_of("2001:db8:4000::"), 34, 106},
      {ip6_of("fd00::"), 8, 107},
      {ip6_of("2001:db8:ab00::"), 40, 108},
  };
  std::mt19937_64 rng(6666);
  reference6 ref;
  for (const auto& r : fixed) ref.insert(r.prefix, r.len, r.nh);
  struct probe {
    ip6_addr addr;
    nexthop_id want;
    unsigned len;  // of the route it resolves to
  };
  std::vector<probe> probes;
  for (const auto& r : fixed) {
    for (int found = 0; found < 6;) {
      const ip6_addr a = randomize_from(r.prefix, r.len, rng);
      if (ref.lookup(a) != r.nh) continue;
      probes.push_back({a, r.nh, r.len});
      ++found;
    }
  }
  auto harmless = [&](const ip6_addr& p, unsigned len) {
    for (const auto& pr : probes)
      if (pr.addr.matches_prefix(p, len) && len >= pr.len) return false;
    return true;
  };
  auto churn_prefix = [&]() -> std::pair<ip6_addr, unsigned> {
    for (;;) {
      const probe& near = probes[rng() % probes.size()];
      ip6_addr a;
      unsigned len = 0;
      switch (rng() % 4) {
        case 0:  // a shorter prefix covering the probe
          len = near.len == 0 ? 0 : 1 + static_cast<unsigned>(rng() % near.len);
          a = near.addr;
          break;
        case 1:  // anywhere
          len = 1 + static_cast<unsigned>(rng() % 128);
          a = randomize_from(ip6_addr{}, 0, rng);
          break;
        default: {  // a sibling: differs from the probe inside its length
          len = 1 + static_cast<unsigned>(rng() % 128);
          a = flip_bit(randomize_from(near.addr, len, rng), static_cast<unsigned>(rng() % len));
          break;
        }
      }
      if (len != 0 && harmless(a, len)) return {a.masked(len), len};
    }
  };

  umi::test::qsbr_reclaimer qsbr;
  fib6 fib(&qsbr);
  REQUIRE(fib.insert_bulk(fixed));

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> passes{0};
  std::atomic<std::uint64_t> wrong{0};
  std::thread reader([&] {
    std::vector<const ip6_addr*> ptrs;
    for (const auto& p : probes) ptrs.push_back(&p.addr);
    std::vector<nexthop_id> out(probes.size());
    while (!stop.load(std::memory_order_acquire)) {
      std::uint64_t bad = 0;
      for (const auto& p : probes) bad += fib.lookup(p.addr) != p.want;
      fib.lookup_bulk(ptrs.data(), out.data(), static_cast<unsigned>(ptrs.size()));
      for (std::size_t i = 0; i < probes.size(); ++i) bad += out[i] != probes[i].want;
      if (bad != 0) wrong.fetch_add(bad, std::memory_order_relaxed);
      passes.fetch_add(1, std::memory_order_release);
      qsbr.quiescent();
    }
    qsbr.offline();
  });

  std::vector<std::pair<ip6_addr, unsigned>> live;
  std::uint64_t ops = 0;
  while (ops < 100'000) {
    if (ops % 1000 == 0) {
      // Keep the reader in step with the writer (no sleeping): wait for one
      // more complete pass before the next thousand updates.
      const auto seen = passes.load(std::memory_order_acquire);
      while (passes.load(std::memory_order_acquire) == seen) std::this_thread::yield();
    }
    const auto action = rng() % 16;
    if (action == 0) {  // a small batch, as a route file would install it
      std::vector<route6> batch;
      for (int i = 0; i < 32; ++i) {
        auto [a, len] = churn_prefix();
        batch.push_back({a, static_cast<std::uint8_t>(len), static_cast<nexthop_id>(rng() % 50)});
        live.emplace_back(a, len);
      }
      REQUIRE(fib.insert_bulk(batch));
      ops += batch.size();
    } else if (live.size() < 3000 || action < 9) {
      auto [a, len] = churn_prefix();
      REQUIRE(fib.insert(a, len, static_cast<nexthop_id>(rng() % 50)));
      live.emplace_back(a, len);
      ++ops;
    } else {
      const std::size_t i = rng() % live.size();
      fib.erase(live[i].first, live[i].second);  // false if erased before as a duplicate
      live[i] = live.back();
      live.pop_back();
      ++ops;
    }
    qsbr.reclaim();
  }
  stop.store(true, std::memory_order_release);
  reader.join();
  qsbr.reclaim();

  CHECK(wrong.load() == 0);
  CHECK(passes.load() >= 100);
  CHECK(qsbr.retired() > 1000);
  CHECK(qsbr.pending() == 0);
  CHECK(qsbr.freed() == qsbr.retired());
  for (const auto& p : probes) CHECK(fib.lookup(p.addr) == p.want);
}
