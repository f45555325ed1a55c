// The fast path against ip6::classify, frame by frame: whatever the fast path
// forwards, classify must forward to the same port with the same bytes, and
// the frames of the common case must really take the fast path.
#include "stack/pipeline/fastpath.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <vector>

#include "stack/base/bytes.hpp"
#include "stack/fib/fib4.hpp"
#include "stack/fib/fib6.hpp"
#include "stack/ip6/input.hpp"
#include "stack/pipeline/table.hpp"
#include "stack/wire/checksum.hpp"
#include "tests/unit/support/fixtures.hpp"

namespace {

using umi::ip6_addr;
using umi::mac_addr;
using umi::pipeline::dataplane_table;
using umi::pipeline::nexthop_rt;
using umi::test::ip6_of;
using umi::test::mac_of;
using kind = nexthop_rt::kind;

constexpr std::uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// Two ports: de0 (port 0, ifindex 1) 2001:db8:1::ff/64, 198.51.100.254/24;
// de1 (port 1, ifindex 2) 2001:db8:2::ff/64, 192.0.2.254/24. Next hops, for
// each family: 0 gateway on de1 (resolved), 1 gateway on de0 (resolved: same
// interface), 2 on-link de1, 3 gateway on de1 (unresolved), 4 local, 5 reject,
// 6 blackhole, 7 gateway on de1 with MTU 1280.
struct fixture {
  umi::fib::fib6 fib6;
  umi::fib::fib4 fib4;
  dataplane_table t;

  static nexthop_rt gateway(unsigned port, bool resolved, unsigned mtu = 1500) {
    nexthop_rt h;
    h.type = kind::forward;
    h.port = static_cast<std::uint16_t>(port);
    h.ifindex = port + 1;
    h.mtu = mtu;
    h.resolved = resolved;
    h.dst_mac = mac_of(port == 1 ? "02:00:00:00:00:02" : "02:00:00:00:00:03");
    h.src_mac = mac_of(port == 1 ? "02:00:00:00:01:01" : "02:00:00:00:01:00");
    return h;
  }

  fixture() {
    t.ports.resize(2);
    for (unsigned p = 0; p < 2; ++p) {
      auto& port = t.ports[p];
      port.present = port.up = true;
      port.ifindex = p + 1;
      port.mac = mac_of(p == 0 ? "02:00:00:00:01:00" : "02:00:00:00:01:01");
      port.unicast = {ip6_of(p == 0 ? "fe80::1" : "fe80::2"),
                      ip6_of(p == 0 ? "2001:db8:1::ff" : "2001:db8:2::ff")};
      port.groups = {ip6_of("ff02::1")};
      port.unicast4 = {p == 0 ? v4(198, 51, 100, 254) : v4(192, 0, 2, 254)};
      port.broadcast4 = {p == 0 ? v4(198, 51, 100, 255) : v4(192, 0, 2, 255)};
    }
    std::vector<nexthop_rt> nh(8);
    nh[0] = gateway(1, true);
    nh[1] = gateway(0, true);
    nh[2] = gateway(1, false);
    nh[2].onlink = true;
    nh[3] = gateway(1, false);
    nh[4].type = kind::local;
    nh[5].type = kind::reject;
    nh[6].type = kind::blackhole;
    nh[7] = gateway(1, true, 1280);
    t.nexthops = nh;
    t.nexthops4 = nh;
    const char* six[] = {"2001:db8:10::",  "2001:db8:11::", "2001:db8:2::",  "2001:db8:13::",
                         "2001:db8:1::ff", "2001:db8:15::", "2001:db8:16::", "2001:db8:17::"};
    for (unsigned i = 0; i < 8; ++i)
      REQUIRE(fib6.insert(ip6_of(six[i]), i == 4 ? 128 : 64, i).has_value());
    const std::uint32_t four[] = {v4(203, 0, 113, 0),  v4(203, 0, 113, 16), v4(192, 0, 2, 0),
                                  v4(203, 0, 113, 48), v4(192, 0, 2, 254),  v4(203, 0, 113, 80),
                                  v4(203, 0, 113, 96), v4(203, 0, 113, 112)};
    for (unsigned i = 0; i < 8; ++i) REQUIRE(fib4.insert(four[i], i == 4 ? 32 : 28, i).has_value());
    t.fib6 = &fib6;
    t.fib4 = &fib4;
    t.forwarding6 = t.forwarding4 = true;
    umi::pipeline::build_fast_path(t);
  }
};

// An Ethernet frame of `len` bytes from 02:00:00:00:00:xx to de0.
std::vector<std::uint8_t> ether(std::size_t len, std::uint16_t type, std::uint8_t from) {
  std::vector<std::uint8_t> f(len, 0);
  std::memcpy(f.data(), mac_of("02:00:00:00:01:00").b.data(), 6);
  f[6] = 0x02;
  f[11] = from;
  umi::store_be16(&f[12], type);
  return f;
}

std::vector<std::uint8_t> frame6(const char* src, const char* dst, std::uint8_t hlim = 64,
                                 std::size_t payload = 10) {
  auto f = ether(14 + 40 + payload, 0x86dd, 0x99);
  f[14] = 0x60;
  umi::store_be16(&f[18], static_cast<std::uint16_t>(payload));
  f[20] = 17;
  f[21] = hlim;
  std::memcpy(&f[22], ip6_of(src).b.data(), 16);
  std::memcpy(&f[38], ip6_of(dst).b.data(), 16);
  return f;
}

std::vector<std::uint8_t> frame4(std::uint32_t src, std::uint32_t dst, std::uint8_t ttl = 64,
                                 std::size_t payload = 26) {
  auto f = ether(14 + 20 + payload, 0x0800, 0x98);
  std::uint8_t* ip = &f[14];
  ip[0] = 0x45;
  umi::store_be16(ip + 2, static_cast<std::uint16_t>(20 + payload));
  ip[8] = ttl;
  ip[9] = 17;
  umi::store_be32(ip + 12, src);
  umi::store_be32(ip + 16, dst);
  umi::store_be16(ip + 10,
                  static_cast<std::uint16_t>(~umi::wire::fold(umi::wire::sum16({ip, 20}))));
  return f;
}

// Runs both on copies of f; checks they agree. Returns the fast path's answer.
int agree(const fixture& fx, const std::vector<std::uint8_t>& f, std::uint16_t in_port = 0) {
  auto a = f;
  auto b = f;
  const int port =
      umi::pipeline::fast_forward(fx.t, in_port, a.data(), static_cast<std::uint32_t>(a.size()));
  const auto v = umi::ip6::classify(fx.t, fx.t.ports[in_port], umi::mut_bytes(b));
  if (port < 0) {
    CHECK(a == f);  // untouched: classify gets the frame as it arrived
  } else {
    INFO("fast path forwarded a frame classify did not");
    CHECK(v.act == umi::ip6::forward_verdict::action::transmit);
    CHECK(v.out_port == port);
    CHECK(a == b);
  }
  return port;
}

}  // namespace

TEST_CASE("fast path forwards the common case exactly as classify does", "[fastpath]") {
  fixture fx;
  CHECK(agree(fx, frame6("2001:db8:1::1", "2001:db8:10::5")) == 1);
  CHECK(agree(fx, frame6("2001:db8:1::1", "2001:db8:17::5", 2, 1000)) == 1);  // fits 1280
  CHECK(agree(fx, frame4(v4(198, 51, 100, 1), v4(203, 0, 113, 5))) == 1);
  CHECK(agree(fx, frame4(v4(198, 51, 100, 1), v4(203, 0, 113, 117), 2)) == 1);
  // The rewrite itself: MACs, hop limit, TTL and a checksum that verifies.
  auto f = frame4(v4(198, 51, 100, 1), v4(203, 0, 113, 5), 64);
  REQUIRE(umi::pipeline::fast_forward(fx.t, 0, f.data(), static_cast<std::uint32_t>(f.size())) ==
          1);
  CHECK(f[0] == 0x02);
  CHECK(f[5] == 0x02);
  CHECK(f[11] == 0x01);
  CHECK(f[14 + 8] == 63);
  CHECK(umi::wire::fold(umi::wire::sum16({&f[14], 20})) == 0xffff);
}

TEST_CASE("fast path leaves every exception to classify", "[fastpath]") {
  fixture fx;
  const char* src = "2001:db8:1::1";
  // Each of these must not be forwarded by the fast path.
  std::vector<std::vector<std::uint8_t>> slow = {
      frame6(src, "2001:db8:10::5", 1),                 // would expire
      frame6(src, "2001:db8:10::5", 0),                 //
      frame6(src, "2001:db8:11::5"),                    // back out of de0: redirect
      frame6(src, "2001:db8:2::5"),                     // on-link: neighbour lookup
      frame6(src, "2001:db8:13::5"),                    // unresolved gateway
      frame6(src, "2001:db8:1::ff"),                    // ours
      frame6(src, "2001:db8:15::5"),                    // reject
      frame6(src, "2001:db8:16::5"),                    // blackhole
      frame6(src, "2001:db8:17::5", 64, 1300),          // over the MTU
      frame6(src, "2001:db8:99::5"),                    // no route
      frame6(src, "ff02::1"),                           // multicast
      frame6(src, "fe80::5"),                           // link-local destination
      frame6("fe80::9", "2001:db8:10::5"),              // link-local source
      frame6("::", "2001:db8:10::5"),                   // unspecified source
      frame6("ff05::1", "2001:db8:10::5"),              // multicast source
      frame6(src, "::1"),                               // loopback
      frame6(src, "::ffff:192.0.2.1"),                  // IPv4-mapped: all of ::/8 goes to classify
      frame6("::ffff:198.51.100.1", "2001:db8:10::5"),  //
      frame6(src, "fe00::5"),                           // all of fe00::/8, not only fe80::/10
      frame4(v4(198, 51, 100, 1), v4(203, 0, 113, 5), 1),
      frame4(v4(198, 51, 100, 1), v4(203, 0, 113, 21)),    // same interface
      frame4(v4(198, 51, 100, 1), v4(192, 0, 2, 7)),       // on-link
      frame4(v4(198, 51, 100, 1), v4(203, 0, 113, 53)),    // unresolved
      frame4(v4(198, 51, 100, 1), v4(198, 51, 100, 254)),  // ours
      frame4(v4(198, 51, 100, 1), v4(198, 51, 100, 255)),  // subnet broadcast
      frame4(v4(198, 51, 100, 1), v4(255, 255, 255, 255)),
      frame4(v4(198, 51, 100, 1), v4(224, 0, 0, 1)),
      frame4(v4(198, 51, 100, 1), v4(127, 0, 0, 1)),
      frame4(v4(0, 0, 0, 0), v4(203, 0, 113, 5)),
      frame4(v4(198, 51, 100, 1), v4(203, 0, 113, 85)),             // reject
      frame4(v4(198, 51, 100, 1), v4(203, 0, 113, 101)),            // blackhole
      frame4(v4(198, 51, 100, 1), v4(203, 0, 113, 117), 64, 1300),  // MTU 1280
      frame4(v4(198, 51, 100, 1), v4(8, 8, 8, 8)),                  // no route
  };
  {
    auto f = frame4(v4(198, 51, 100, 1), v4(203, 0, 113, 5));
    f[14 + 10] ^= 1;  // bad checksum
    slow.push_back(f);
    f = frame4(v4(198, 51, 100, 1), v4(203, 0, 113, 5));
    f[14] = 0x46;  // options
    slow.push_back(f);
    f = frame6(src, "2001:db8:10::5");
    f[20] = 0;  // hop-by-hop options
    slow.push_back(f);
    f = frame6(src, "2001:db8:10::5");
    f[0] = 0x04;  // another station's MAC
    slow.push_back(f);
    f = frame6(src, "2001:db8:10::5");
    f.resize(60);  // payload length past the frame
    slow.push_back(f);
    f = frame6(src, "2001:db8:10::5");
    f[14 + 4] = f[14 + 5] = 0;
    f.resize(50);  // shorter than the IPv6 header, payload length 0
    slow.push_back(f);
  }
  for (std::size_t i = 0; i < slow.size(); ++i) {
    INFO("frame " << i);
    CHECK(agree(fx, slow[i]) == -1);
  }
  // A table never given a fast path, or forwarding off, sends everything to classify.
  dataplane_table bare = fx.t;
  bare.fast_ports.clear();
  auto f = frame6(src, "2001:db8:10::5");
  CHECK(umi::pipeline::fast_forward(bare, 0, f.data(), static_cast<std::uint32_t>(f.size())) == -1);
  fx.t.forwarding6 = false;
  CHECK(agree(fx, frame6(src, "2001:db8:10::5")) == -1);
  fx.t.redirects6 = false;  // and with redirects off, leaving by de0 is fine
  fx.t.forwarding6 = true;
  CHECK(agree(fx, frame6(src, "2001:db8:11::5")) == 0);
}

TEST_CASE("fast path never forwards to or from a port address the routes cover", "[fastpath]") {
  fixture fx;
  // de0 also holds 203.0.113.2/29 (broadcast 203.0.113.7), inside the /28
  // routed through de1's gateway: only the address filter keeps frames to and
  // from them off the fast path.
  fx.t.ports[0].unicast4.push_back(v4(203, 0, 113, 2));
  fx.t.ports[0].broadcast4.push_back(v4(203, 0, 113, 7));
  umi::pipeline::build_fast_path(fx.t);
  const std::uint32_t h = v4(198, 51, 100, 1);
  CHECK(agree(fx, frame4(h, v4(203, 0, 113, 2))) == -1);                   // ours
  CHECK(agree(fx, frame4(h, v4(203, 0, 113, 7))) == -1);                   // our broadcast
  CHECK(agree(fx, frame4(v4(203, 0, 113, 7), v4(203, 0, 113, 5))) == -1);  // from it
  CHECK(agree(fx, frame4(h, v4(203, 0, 113, 5))) == 1);
  // Last bytes that share the filter's bits with those addresses (66 & 63 == 2,
  // 71 & 63 == 7) are compared in full and still forwarded.
  CHECK(agree(fx, frame4(v4(198, 51, 100, 66), v4(203, 0, 113, 5))) == 1);
  CHECK(agree(fx, frame4(v4(198, 51, 100, 71), v4(203, 0, 113, 3))) == 1);
  // Every address of the routed /28 from every host of de0's /24: all but
  // ours (.2 and .7 of the /28, .254 of the /24) are forwarded, and always as
  // classify forwards them.
  unsigned forwarded = 0;
  for (unsigned s = 1; s < 255; ++s)
    for (unsigned d = 0; d < 16; ++d)
      forwarded += agree(fx, frame4(v4(198, 51, 100, s), v4(203, 0, 113, d))) == 1;
  CHECK(forwarded == 253 * 14);
}

TEST_CASE("fast path agrees with classify on mutated frames", "[fastpath]") {
  fixture fx;
  std::mt19937 rng(20261203);
  const std::vector<std::vector<std::uint8_t>> seeds = {
      frame6("2001:db8:1::1", "2001:db8:10::5"),
      frame6("2001:db8:1::1", "2001:db8:17::5", 9, 1200),
      frame4(v4(198, 51, 100, 1), v4(203, 0, 113, 5)),
      frame4(v4(198, 51, 100, 1), v4(203, 0, 113, 117), 5, 1200),
  };
  unsigned fast = 0;
  unsigned total = 0;
  for (const auto& seed : seeds) {
    for (int round = 0; round < 20000; ++round) {
      auto f = seed;
      // One to three bytes of the headers changed, sometimes a bit, sometimes a byte.
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits; ++e) {
        const std::size_t at = rng() % 54;
        if (rng() & 1)
          f[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        else
          f[at] = static_cast<std::uint8_t>(rng());
      }
      if (rng() % 8 == 0) f.resize(14 + rng() % (f.size() - 14));
      const int in = static_cast<int>(rng() % 2);
      if (in == 1) std::memcpy(f.data(), fx.t.ports[1].mac.b.data(), 6);
      ++total;
      if (agree(fx, f, static_cast<std::uint16_t>(in)) >= 0) ++fast;
    }
  }
  // Mutations of fields the fast path ignores (ports, payload, flow label,
  // source bytes) keep frames fast: the comparison was not vacuous.
  CHECK(fast > total / 20);
  CHECK(fast < total);
}
