// FIB micro-benchmark: route install rate (bulk and one by one), memory per
// million routes, and lookup rate, for IPv6 and IPv4 at 16, 100k and 1M routes.
//
//   meson setup /tmp/build-fib --buildtype=release
//   ninja -C /tmp/build-fib bench/fib_bench && /tmp/build-fib/bench/fib_bench
//
// IPv6 tables are random /33../64 prefixes under 2001:db8::/32 plus ::/0 (the
// shape issue 5 asks for); IPv4 tables follow a BGP-like length distribution
// (mostly /24, some /16../23, few longer) over 1.0.0.0-223.255.255.255 plus
// 0.0.0.0/0. Lookups go to random addresses inside random routes of the table
// (every lookup walks to its route's depth, and the whole table is touched: the
// cache-hostile case), and to a fixed set of 1024 such addresses (a traffic
// mix with many flows, as the forwarding benchmark sends).
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "stack/fib/fib4.hpp"
#include "stack/fib/fib6.hpp"

namespace {

using umi::ip6_addr;
using umi::fib::nexthop_id;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0;
  std::size_t resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::vector<umi::fib::route6> routes6(std::size_t n, std::mt19937_64& rng) {
  std::vector<umi::fib::route6> r;
  r.reserve(n);
  r.push_back({ip6_addr{}, 0, 0});
  while (r.size() < n) {
    const auto len = static_cast<unsigned>(33 + rng() % 32);
    ip6_addr a{{0x20, 0x01, 0x0d, 0xb8}};
    const std::uint64_t bits = rng();
    for (unsigned i = 0; i < 8; ++i) a.b[4 + i] = static_cast<std::uint8_t>(bits >> (56 - 8 * i));
    r.push_back(
        {a.masked(len), static_cast<std::uint8_t>(len), static_cast<nexthop_id>(1 + rng() % 4096)});
  }
  return r;
}

unsigned bgp_like_length(std::mt19937_64& rng) {
  // Cumulative per-mille, roughly the shape of a full IPv4 BGP table.
  struct band {
    unsigned upto, lo, hi;
  };
  static constexpr band bands[] = {
      {1, 8, 8},     {10, 9, 15},   {25, 16, 16},  {85, 17, 19},  {125, 20, 20},
      {175, 21, 21}, {275, 22, 22}, {365, 23, 23}, {945, 24, 24}, {1000, 25, 32},
  };
  const auto x = static_cast<unsigned>(rng() % 1000);
  for (const band& b : bands)
    if (x < b.upto) return b.lo + static_cast<unsigned>(rng() % (b.hi - b.lo + 1));
  return 24;
}

std::vector<umi::fib::route4> routes4(std::size_t n, std::mt19937_64& rng) {
  std::vector<umi::fib::route4> r;
  r.reserve(n);
  r.push_back({0, 0, 0});
  while (r.size() < n) {
    const unsigned len = bgp_like_length(rng);
    const auto a = static_cast<std::uint32_t>(0x01000000u + rng() % (0xe0000000u - 0x01000000u));
    r.push_back({a & (~std::uint32_t{0} << (32 - len)), static_cast<std::uint8_t>(len),
                 static_cast<nexthop_id>(1 + rng() % 4096)});
  }
  return r;
}

struct result_row {
  const char* family;
  std::size_t routes;
  double bulk_rate, single_rate;
  double mem_mb, mem_per_million, rss_per_million;
  double ns_bulk_all, ns_single_all, ns_bulk_flows;
};

void print_header() {
  std::printf("%-4s %8s %10s %10s %8s %9s %9s | %19s %7s %19s\n", "fam", "routes", "bulk rt/s",
              "1by1 rt/s", "fib MB", "MB/M fib", "MB/M rss", "bulk all ns (Mlk/s)", "1 ns",
              "bulk 1k flows ns");
}

void print_row(const result_row& r) {
  std::printf("%-4s %8zu %10.0f %10.0f %8.1f %9.1f %9.1f | %10.2f (%6.1f) %7.2f %10.2f (%6.1f)\n",
              r.family, r.routes, r.bulk_rate, r.single_rate, r.mem_mb, r.mem_per_million,
              r.rss_per_million, r.ns_bulk_all, 1e3 / r.ns_bulk_all, r.ns_single_all,
              r.ns_bulk_flows, 1e3 / r.ns_bulk_flows);
  std::fflush(stdout);
}

// Times `pass` (one sweep of `per_pass` lookups) until at least `total` lookups.
template <class Pass>
double ns_per_lookup(std::size_t per_pass, std::size_t total, Pass pass) {
  pass();  // warm-up
  std::size_t done = 0;
  const auto t0 = clock_type::now();
  while (done < total) {
    pass();
    done += per_pass;
  }
  return seconds_since(t0) * 1e9 / static_cast<double>(done);
}

volatile std::uint64_t sink;

nexthop_id lookup_one(const umi::fib::fib6& f, const ip6_addr* a) {
  return f.lookup(*a);
}
nexthop_id lookup_one(const umi::fib::fib4& f, std::uint32_t a) {
  return f.lookup(a);
}

template <class Fib, class Route, class Addr, class Bulk>
result_row run_case(const char* family, const std::vector<Route>& routes,
                    const std::vector<Addr>& dsts, const std::vector<Addr>& flows, Bulk bulk) {
  result_row row{family, routes.size(), 0, 0, 0, 0, 0, 0, 0, 0};
  const double million = static_cast<double>(routes.size()) / 1e6;
  {
    Fib one;
    const auto t0 = clock_type::now();
    for (const Route& r : routes) (void)one.insert(r.prefix, r.len, r.nh);
    row.single_rate = static_cast<double>(routes.size()) / seconds_since(t0);
  }
  malloc_trim(0);
  const std::size_t rss0 = rss_bytes();
  Fib fib;
  const auto t0 = clock_type::now();
  if (!fib.insert_bulk(routes)) std::abort();
  row.bulk_rate = static_cast<double>(routes.size()) / seconds_since(t0);
  row.mem_mb = static_cast<double>(fib.memory_bytes()) / 1e6;
  row.mem_per_million = row.mem_mb / million;
  malloc_trim(0);  // give back the batch's temporary sort buffer before reading RSS
  row.rss_per_million = static_cast<double>(rss_bytes() - rss0) / 1e6 / million;

  constexpr unsigned burst = 32;
  std::vector<nexthop_id> out(burst);
  std::uint64_t sum = 0;
  row.ns_bulk_all = ns_per_lookup(dsts.size(), 20'000'000, [&] {
    for (std::size_t i = 0; i + burst <= dsts.size(); i += burst) {
      bulk(fib, &dsts[i], out.data(), burst);
      sum += out[0];
    }
  });
  row.ns_single_all = ns_per_lookup(dsts.size(), 10'000'000, [&] {
    for (const Addr& a : dsts) sum += lookup_one(fib, a);
  });
  row.ns_bulk_flows = ns_per_lookup(flows.size(), 20'000'000, [&] {
    for (std::size_t i = 0; i + burst <= flows.size(); i += burst) {
      bulk(fib, &flows[i], out.data(), burst);
      sum += out[0];
    }
  });
  sink = sum;
  return row;
}

template <class Route, class Addr, class Inside>
std::vector<Addr> destinations(const std::vector<Route>& routes, std::size_t n,
                               std::mt19937_64& rng, Inside inside) {
  std::vector<Addr> d;
  d.reserve(n);
  for (std::size_t i = 0; i < n; ++i) d.push_back(inside(routes[rng() % routes.size()], rng));
  return d;
}

ip6_addr inside6(const umi::fib::route6& r, std::mt19937_64& rng) {
  ip6_addr a = r.prefix;
  for (unsigned bit = r.len; bit < 128; ++bit)
    if (rng() & 1) a.b[bit / 8] |= static_cast<std::uint8_t>(0x80u >> (bit % 8));
  return a;
}

std::uint32_t inside4(const umi::fib::route4& r, std::mt19937_64& rng) {
  const std::uint32_t host = r.len == 0 ? ~std::uint32_t{0} : ~std::uint32_t{0} >> r.len;
  return r.prefix | (static_cast<std::uint32_t>(rng()) & host);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes = {16, 100'000, 1'000'000};
  if (argc > 1) sizes = {static_cast<std::size_t>(std::strtoull(argv[1], nullptr, 10))};
  std::printf(
      "rt/s: routes installed per second (insert_bulk of the whole table; insert one by one)\n"
      "fib MB: memory_bytes(); MB/M: per million routes (fib accounting; RSS growth)\n"
      "lookups: ns per lookup and Mlookups/s, lookup_bulk in bursts of 32 over 2^20 random\n"
      "addresses inside random routes ('all'), single lookup() over the same, and bursts over\n"
      "1024 such addresses ('flows')\n\n");
  print_header();
  for (std::size_t n : sizes) {
    std::mt19937_64 rng(n);
    const auto routes = routes6(n, rng);
    // Addresses, and the pointers to them that lookup_bulk takes (as a worker
    // would pass pointers into its packets' headers).
    const auto dst_addrs =
        destinations<umi::fib::route6, ip6_addr>(routes, std::size_t{1} << 20, rng, inside6);
    const auto flow_addrs = destinations<umi::fib::route6, ip6_addr>(routes, 1024, rng, inside6);
    std::vector<const ip6_addr*> dsts;
    std::vector<const ip6_addr*> flows;
    for (const auto& a : dst_addrs) dsts.push_back(&a);
    for (const auto& a : flow_addrs) flows.push_back(&a);
    print_row(run_case<umi::fib::fib6>("ipv6", routes, dsts, flows,
                                       [](const umi::fib::fib6& f, const ip6_addr* const* d,
                                          nexthop_id* o, unsigned k) { f.lookup_bulk(d, o, k); }));
  }
  for (std::size_t n : sizes) {
    std::mt19937_64 rng(n + 4);
    const auto routes = routes4(n, rng);
    const auto dsts =
        destinations<umi::fib::route4, std::uint32_t>(routes, std::size_t{1} << 20, rng, inside4);
    const auto flows = destinations<umi::fib::route4, std::uint32_t>(routes, 1024, rng, inside4);
    print_row(run_case<umi::fib::fib4>("ipv4", routes, dsts, flows,
                                       [](const umi::fib::fib4& f, const std::uint32_t* d,
                                          nexthop_id* o, unsigned k) { f.lookup_bulk(d, o, k); }));
  }
  return 0;
}
