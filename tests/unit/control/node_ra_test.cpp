// Stateless autoconfiguration, host side: RA processing (RFC 4861 §6.3.4),
// address lifetimes and the two-hour rule (RFC 4862 §5.5.3), the default
// route, bounds against floods, and the rtsol/rtsold solicitor (§6.3.7).
// Stage tier: a manual clock drives every lifetime.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "stack/control/node.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/icmpv6.hpp"
#include "stack/wire/ipv6.hpp"
#include "stack/wire/ra.hpp"
#include "tests/unit/support/fixtures.hpp"

using namespace std::chrono_literals;
using umi::ip6_addr;
using umi::mac_addr;
using umi::test::ip6_of;
using umi::test::mac_of;
namespace wire = umi::wire;
namespace stats = umi::stats;
namespace node = umi::node;
using bytevec = std::vector<std::uint8_t>;

namespace {

const mac_addr our_mac = mac_of("02:00:00:00:00:01");
const mac_addr router_mac = mac_of("02:00:00:00:00:02");
const ip6_addr router_ll = ip6_of("fe80::ff:fe00:2");
const ip6_addr prefix1 = ip6_of("2001:db8:1::");
const ip6_addr auto_addr = ip6_of("2001:db8:1::ff:fe00:1");  // prefix1 + our EUI-64

struct pio {
  ip6_addr prefix = prefix1;
  std::uint8_t plen = 64;
  std::uint8_t flags = 0xc0;  // L A
  std::uint32_t valid = 86400;
  std::uint32_t preferred = 14400;
};

struct ra_spec {
  std::uint8_t hop_limit = 64;
  std::uint16_t lifetime = 1800;
  std::uint32_t reachable = 0, retrans = 0;
  std::optional<std::uint32_t> mtu;
  bool slla = true;
  std::vector<pio> prefixes{pio{}};
};

bytevec ra_msg(const ra_spec& s) {
  bytevec m(16, 0);
  m[0] = wire::icmp6_type::router_advert;
  m[4] = s.hop_limit;
  umi::store_be16(&m[6], s.lifetime);
  umi::store_be32(&m[8], s.reachable);
  umi::store_be32(&m[12], s.retrans);
  if (s.slla) {
    m.insert(m.end(), {1, 1});
    m.insert(m.end(), router_mac.b.begin(), router_mac.b.end());
  }
  if (s.mtu) {
    bytevec o(8, 0);
    o[0] = 5;
    o[1] = 1;
    umi::store_be32(&o[4], *s.mtu);
    m.insert(m.end(), o.begin(), o.end());
  }
  for (const auto& p : s.prefixes) {
    bytevec o(32, 0);
    o[0] = 3;
    o[1] = 4;
    o[2] = p.plen;
    o[3] = p.flags;
    umi::store_be32(&o[4], p.valid);
    umi::store_be32(&o[8], p.preferred);
    std::copy(p.prefix.b.begin(), p.prefix.b.end(), o.begin() + 16);
    m.insert(m.end(), o.begin(), o.end());
  }
  return m;
}

bytevec frame(const ip6_addr& src, std::uint8_t hlim, bytevec l4) {
  const ip6_addr dst = ip6_of("ff02::1");
  umi::store_be16(&l4[2], wire::upper_checksum(src, dst, 58, l4));
  bytevec f(14 + 40 + l4.size());
  wire::ethernet_repr{dst.multicast_mac(), router_mac, 0x86dd}.emit(f);
  wire::ipv6_repr ip;
  ip.src = src;
  ip.dst = dst;
  ip.next_header = 58;
  ip.hop_limit = hlim;
  ip.payload_length = static_cast<std::uint16_t>(l4.size());
  ip.emit(umi::mut_bytes(f).subspan(14));
  std::copy(l4.begin(), l4.end(), f.begin() + 54);
  return f;
}

struct harness {
  explicit harness(bool accept = true) : n({}, env()) {
    ifindex = n.add_interface("de0", 0, our_mac, 1500);
    if (accept) REQUIRE(n.sysctl().set("net.inet6.ip6.accept_rtadv", "1"));
    run_for(2100ms);  // the link-local address through DAD
    REQUIRE_FALSE(ifp().addrs.front().tentative);
    sent.clear();
  }
  node::node_env env() {
    node::node_env e;
    e.clock = &clock;
    e.random = &random;
    e.tx = [this](unsigned, bytevec f) { sent.push_back(std::move(f)); };
    e.rtsol_log = [this](const node::rtsol_log_event& ev) { logs.push_back(ev); };
    e.rtsol_done = [this](std::uint64_t run) { done.push_back(run); };
    return e;
  }
  void ra(const ra_spec& s = {}, const ip6_addr& src = router_ll, std::uint8_t hlim = 255) {
    n.input(0, frame(src, hlim, ra_msg(s)));
  }
  void run_for(umi::duration total, umi::duration step = 10ms) {
    for (umi::duration d{}; d < total; d += step) {
      clock.advance(step);
      n.tick();
    }
  }
  const node::interface& ifp() { return *n.interface_by_index(ifindex); }
  const node::addr_entry* addr(const ip6_addr& a) { return ifp().find(a); }
  const node::prefix_entry* prefix(const ip6_addr& p) {
    for (const auto& e : n.prefixes())
      if (e.prefix == p) return &e;
    return nullptr;
  }
  const umi::control::route6* default_route() { return n.routes().find(ip6_addr{}, 0); }
  std::uint64_t count(stats::icmp6 s) const {
    return n.counters().icmp6[static_cast<std::size_t>(s)];
  }
  std::vector<bytevec> rs_sent() const {
    std::vector<bytevec> out;
    for (const auto& f : sent)
      if (f.size() > 54 && f[20] == 58 && f[54] == wire::icmp6_type::router_solicit)
        out.push_back(f);
    return out;
  }
  bool logged(const std::string& text) const {
    return std::any_of(logs.begin(), logs.end(),
                       [&](const node::rtsol_log_event& e) { return e.message == text; });
  }

  umi::manual_clock clock;
  umi::rng random{7};
  std::vector<bytevec> sent;
  std::vector<node::rtsol_log_event> logs;
  std::vector<std::uint64_t> done;
  node::node n;
  unsigned ifindex = 0;
};

}  // namespace

TEST_CASE("with accept_rtadv 0 an RA changes nothing", "[control][ra]") {
  harness h(false);
  h.ra();
  CHECK(h.count(stats::icmp6::ra_ignored) == 1);
  CHECK(h.count(stats::icmp6::ra_accepted) == 0);
  CHECK(h.n.default_routers().empty());
  CHECK(h.n.prefixes().empty());
  CHECK(h.default_route() == nullptr);
  CHECK(h.ifp().addrs.size() == 1);
}

TEST_CASE("our own RA looped back is ignored", "[control][ra]") {
  harness h;
  h.ra({}, ip6_of("fe80::ff:fe00:1"));  // our link-local address
  CHECK(h.count(stats::icmp6::ra_ignored) == 1);
  CHECK(h.n.default_routers().empty());
  CHECK(h.n.prefixes().empty());
}

TEST_CASE("a router is ignored by a node that forwards", "[control][ra]") {
  harness h;
  REQUIRE(h.n.sysctl().set("net.inet6.ip6.forwarding", "1"));
  h.ra();
  CHECK(h.count(stats::icmp6::ra_ignored) == 1);
  CHECK(h.n.default_routers().empty());
}

TEST_CASE("an RA gives a default router, a default route and an autoconf address",
          "[control][ra]") {
  harness h;
  h.ra();
  CHECK(h.count(stats::icmp6::ra_accepted) == 1);
  REQUIRE(h.n.default_routers().size() == 1);
  CHECK(h.n.default_routers()[0].addr == router_ll);
  CHECK(h.n.default_routers()[0].expire == h.clock.now() + 1800s);
  const auto* dr = h.default_route();
  REQUIRE(dr != nullptr);
  CHECK(dr->kind == umi::control::route_kind::default_router);
  CHECK(h.n.routes().hop(dr->nh).gateway == router_ll);
  CHECK(h.n.routes().hop(dr->nh).ifindex == h.ifindex);

  const auto* p = h.prefix(prefix1);
  REQUIRE(p != nullptr);
  CHECK(p->from_ra);
  CHECK(p->vltime == 86400u);
  CHECK(p->pltime == 14400u);
  CHECK(p->advertisers == std::vector<ip6_addr>{router_ll});

  const auto* a = h.addr(auto_addr);
  REQUIRE(a != nullptr);
  CHECK(a->autoconf);
  CHECK(a->tentative);  // RFC 4862 §5.4: DAD on every new address
  CHECK(a->plen == 64);
  CHECK(a->valid_until == h.clock.now() + 86400s);
  CHECK(a->preferred_until == h.clock.now() + 14400s);
  h.run_for(2100ms);
  CHECK_FALSE(h.addr(auto_addr)->tentative);
  // The SLLA option taught the router's link-layer address.
  const auto* nb = h.n.neighbors().find(h.ifindex, router_ll);
  REQUIRE(nb != nullptr);
  CHECK(nb->lladdr == router_mac);
}

TEST_CASE("addresses deprecate, then expire with their prefix", "[control][ra]") {
  harness h;
  ra_spec s;
  s.lifetime = 9000;
  s.prefixes = {pio{prefix1, 64, 0xc0, 60, 30}};
  h.ra(s);
  REQUIRE(h.addr(auto_addr) != nullptr);
  h.run_for(29s, 100ms);
  CHECK_FALSE(h.addr(auto_addr)->deprecated);
  h.run_for(1100ms, 100ms);
  CHECK(h.addr(auto_addr)->deprecated);
  CHECK(h.addr(auto_addr) != nullptr);
  h.run_for(30s, 100ms);
  CHECK(h.addr(auto_addr) == nullptr);
  CHECK(h.prefix(prefix1) == nullptr);
  // The connected route went with the address.
  CHECK(h.n.routes().find(prefix1, 64) == nullptr);
}

TEST_CASE("default router lifetime ends the default route", "[control][ra]") {
  harness h;
  ra_spec s;
  s.lifetime = 10;
  s.prefixes.clear();
  h.ra(s);
  REQUIRE(h.default_route() != nullptr);
  h.run_for(9900ms, 100ms);
  CHECK(h.default_route() != nullptr);
  h.run_for(200ms, 100ms);
  CHECK(h.n.default_routers().empty());
  CHECK(h.default_route() == nullptr);
}

TEST_CASE("router lifetime 0 withdraws the router at once", "[control][ra]") {
  harness h;
  h.ra();
  REQUIRE(h.default_route() != nullptr);
  ra_spec s;
  s.lifetime = 0;
  h.ra(s);
  CHECK(h.n.default_routers().empty());
  CHECK(h.default_route() == nullptr);
  CHECK(h.addr(auto_addr) != nullptr);  // the prefix is not the router
}

TEST_CASE("the two-hour rule limits how far an RA shortens an address", "[control][ra]") {
  harness h;
  const auto t0 = h.clock.now();
  h.ra();  // valid 86400
  SECTION("valid lifetime 0 leaves two hours") {
    h.ra(ra_spec{.prefixes = {pio{prefix1, 64, 0xc0, 0, 0}}});
    const auto* a = h.addr(auto_addr);
    REQUIRE(a != nullptr);
    CHECK(a->valid_until == t0 + 2h);
    CHECK(a->deprecated);  // preferred 0
    CHECK(h.prefix(prefix1)->expire == t0 + 2h);
    SECTION("and a second one cannot shorten it further") {
      h.run_for(10s, 1s);
      h.ra(ra_spec{.prefixes = {pio{prefix1, 64, 0xc0, 0, 0}}});
      CHECK(h.addr(auto_addr)->valid_until == t0 + 2h);
    }
    SECTION("and the address goes when the two hours are over") {
      h.run_for(2h + 1s, 1s);
      CHECK(h.addr(auto_addr) == nullptr);
      CHECK(h.prefix(prefix1) == nullptr);
    }
  }
  SECTION("a lifetime above two hours is taken as given") {
    h.ra(ra_spec{.prefixes = {pio{prefix1, 64, 0xc0, 3 * 3600, 3600}}});
    CHECK(h.addr(auto_addr)->valid_until == t0 + 3h);
    CHECK_FALSE(h.addr(auto_addr)->deprecated);
  }
  SECTION("a longer lifetime than remaining is taken") {
    h.ra(ra_spec{.prefixes = {pio{prefix1, 64, 0xc0, 0xffffffffu, 0xffffffffu}}});
    CHECK_FALSE(h.addr(auto_addr)->valid_until.has_value());
    CHECK_FALSE(h.addr(auto_addr)->preferred_until.has_value());
  }
}

TEST_CASE("RA parameters: hop limit, MTU, reachable and retrans times", "[control][ra]") {
  harness h;
  ra_spec s;
  s.hop_limit = 42;
  s.mtu = 1400;
  s.reachable = 20000;
  s.retrans = 2000;
  h.ra(s);
  CHECK(h.n.hop_limit_for(h.ifindex) == 42);
  CHECK(h.n.link_mtu(h.ifp()) == 1400);
  CHECK(h.ifp().mtu == 1500);  // the interface MTU (and IPv4) stays
  const auto* ii = h.n.nd_ifinfo(h.ifindex);
  REQUIRE(ii != nullptr);
  CHECK(ii->basereachable_ms == 20000u);
  CHECK(h.n.config().nd.retrans_timer == 2s);
  // An MTU above the link's maximum or below 1280 is ignored.
  s.mtu = 9000;
  h.ra(s);
  CHECK(h.n.link_mtu(h.ifp()) == 1400);
  s.mtu = 1000;
  h.ra(s);
  CHECK(h.n.link_mtu(h.ifp()) == 1400);
  // What the node sends is fragmented to the link MTU.
  REQUIRE(h.n.add_address("de0", ip6_of("2001:db8:9::1"), {64, true, false}));
  node::send_request big;
  big.dst = ip6_of("2001:db8:9::2");
  big.hop_limit = 7;
  big.payload.assign(1500, 0);
  big.payload[0] = 128;  // echo request
  h.sent.clear();
  REQUIRE(h.n.set_neighbor(h.ifindex, big.dst, router_mac, false));
  REQUIRE(h.n.send(big));
  REQUIRE(h.sent.size() == 2);
  CHECK(h.sent[0].size() - 14 <= 1400);
  // Hop limit 0 is "unspecified" and keeps what we have.
  s.hop_limit = 0;
  h.ra(s);
  CHECK(h.n.hop_limit_for(h.ifindex) == 42);
}

TEST_CASE("what is set by hand wins over RAs", "[control][ra]") {
  harness h;
  SECTION("a manual prefix keeps its lifetimes and its address never expires") {
    node::prefix_entry p;
    p.ifindex = h.ifindex;
    p.prefix = prefix1;
    REQUIRE(h.n.prefix_set(p));
    h.ra(ra_spec{.prefixes = {pio{prefix1, 64, 0xc0, 60, 30}}});
    CHECK_FALSE(h.prefix(prefix1)->from_ra);
    CHECK(h.prefix(prefix1)->vltime == 2592000u);
    h.run_for(2min, 1s);
    REQUIRE(h.addr(auto_addr) != nullptr);
    CHECK_FALSE(h.addr(auto_addr)->deprecated);
  }
  SECTION("a static default route is never replaced or removed") {
    node::route_spec r;
    r.gateway = ip6_of("fe80::99");
    r.ifindex = h.ifindex;
    REQUIRE(h.n.route_add(r, false));
    h.ra(ra_spec{.lifetime = 10});
    CHECK(h.default_route()->kind == umi::control::route_kind::static_route);
    h.run_for(11s, 1s);
    REQUIRE(h.default_route() != nullptr);
    CHECK(h.default_route()->kind == umi::control::route_kind::static_route);
  }
  SECTION("an address configured again by hand stops ageing") {
    h.ra(ra_spec{.prefixes = {pio{prefix1, 64, 0xc0, 60, 30}}});
    REQUIRE(h.addr(auto_addr)->autoconf);
    REQUIRE(h.n.add_address("de0", auto_addr, {64, true, false}));
    CHECK_FALSE(h.addr(auto_addr)->autoconf);
    h.run_for(2min, 1s);
    CHECK(h.addr(auto_addr) != nullptr);
  }
}

TEST_CASE("bad RAs are counted and change nothing", "[control][ra]") {
  harness h;
  SECTION("hop limit below 255") {
    h.ra({}, router_ll, 254);
    CHECK(h.count(stats::icmp6::ra_badhlim) == 1);
  }
  SECTION("a source that is not link-local") {
    h.ra({}, ip6_of("2001:db8::1"));
    CHECK(h.count(stats::icmp6::ra_badsrc) == 1);
  }
  SECTION("a zero-length option") {
    auto m = ra_msg({});
    m.insert(m.end(), {0x01, 0x00, 0, 0, 0, 0, 0, 0});
    h.n.input(0, frame(router_ll, 255, m));
    CHECK(h.count(stats::icmp6::ra_badopt) == 1);
  }
  SECTION("a short option") {
    auto m = ra_msg({});
    m.insert(m.end(), {0x05, 0x01, 0, 0});
    h.n.input(0, frame(router_ll, 255, m));
    CHECK(h.count(stats::icmp6::ra_badopt) == 1);
  }
  SECTION("a truncated message") {
    h.n.input(0, frame(router_ll, 255, bytevec{134, 0, 0, 0, 64, 0, 7, 8}));
    CHECK(h.count(stats::icmp6::ra_invalid) == 1);
  }
  CHECK(h.n.default_routers().empty());
  CHECK(h.n.prefixes().empty());
  CHECK(h.count(stats::icmp6::ra_accepted) == 0);
}

TEST_CASE("bad prefix options are skipped, the rest of the RA applies", "[control][ra]") {
  harness h;
  h.ra(ra_spec{.prefixes = {pio{prefix1, 129}, pio{ip6_of("fe80::"), 64},
                            pio{ip6_of("2001:db8:2::"), 64, 0xc0, 100, 200},
                            pio{ip6_of("2001:db8:3::"), 64}}});
  CHECK(h.count(stats::icmp6::ra_badprefix) == 3);
  REQUIRE(h.n.prefixes().size() == 1);
  CHECK(h.n.prefixes()[0].prefix == ip6_of("2001:db8:3::"));
  CHECK(h.n.default_routers().size() == 1);
}

TEST_CASE("an on-link prefix is a connected route for its lifetime", "[control][ra]") {
  harness h;
  const ip6_addr p2 = ip6_of("2001:db8:2::");
  h.ra(ra_spec{.prefixes = {pio{p2, 64, 0x80, 30, 30}}});  // L only
  const auto* c = h.n.routes().find(p2, 64);
  REQUIRE(c != nullptr);
  CHECK(c->kind == umi::control::route_kind::connected);
  CHECK(h.n.routes().hop(c->nh).ifindex == h.ifindex);
  CHECK_FALSE(h.n.routes().hop(c->nh).gateway.has_value());
  CHECK(h.ifp().addrs.size() == 1);  // no address without A
  h.run_for(31s, 1s);
  CHECK(h.prefix(p2) == nullptr);
  CHECK(h.n.routes().find(p2, 64) == nullptr);
  // Lifetime 0 for an on-link-only prefix times it out at once (§6.3.4).
  h.ra(ra_spec{.prefixes = {pio{p2, 64, 0x80, 600, 600}}});
  REQUIRE(h.n.routes().find(p2, 64) != nullptr);
  h.ra(ra_spec{.prefixes = {pio{p2, 64, 0x80, 0, 0}}});
  CHECK(h.prefix(p2) == nullptr);
  CHECK(h.n.routes().find(p2, 64) == nullptr);
}

TEST_CASE("a flood of distinct prefixes and routers stays bounded", "[control][ra]") {
  harness h;
  for (unsigned i = 0; i < 10000; ++i) {
    ip6_addr p = ip6_of("2001:db8::");
    umi::store_be16(&p.b[4], static_cast<std::uint16_t>(i));
    umi::store_be16(&p.b[6], static_cast<std::uint16_t>(i >> 16));
    ip6_addr src = router_ll;
    umi::store_be16(&src.b[14], static_cast<std::uint16_t>(i + 100));
    h.ra(ra_spec{.prefixes = {pio{p, 64, 0x80}}}, src);
  }
  CHECK(h.n.prefixes().size() == node::max_ra_prefixes);
  CHECK(h.count(stats::icmp6::ra_prefix_full) == 10000 - node::max_ra_prefixes);
  CHECK(h.n.default_routers().size() == node::max_default_routers);
  CHECK(h.count(stats::icmp6::ra_router_full) == 10000 - node::max_default_routers);
}

TEST_CASE("rtsol sends up to three RSs four seconds apart, then gives up", "[control][rtsol]") {
  harness h;
  auto run = h.n.rtsol_start({h.ifindex}, {false, true, 1});
  REQUIRE(run);
  h.run_for(1s);  // initial delay: at most MAX_RTR_SOLICITATION_DELAY
  auto rs = h.rs_sent();
  REQUIRE(rs.size() == 1);
  // To all-routers from the link-local address, hop limit 255, with SLLA.
  CHECK(rs[0][21] == 255);
  CHECK(ip6_addr{} != ip6_of("ff02::2"));
  CHECK(std::equal(rs[0].begin() + 38, rs[0].begin() + 54, ip6_of("ff02::2").b.begin()));
  CHECK(rs[0].size() == 54 + 16);
  CHECK(h.logged("send RS on de0, whose state is 2"));
  h.run_for(3900ms);
  CHECK(h.rs_sent().size() == 1);
  h.run_for(200ms);
  CHECK(h.rs_sent().size() == 2);
  h.run_for(4s);
  CHECK(h.rs_sent().size() == 3);
  CHECK(h.done.empty());
  h.run_for(4s);
  CHECK(h.rs_sent().size() == 3);
  CHECK(h.logged("No answer after sending 3 RSs"));
  CHECK(h.done == std::vector<std::uint64_t>{*run});
}

TEST_CASE("an RA ends the solicitation, even when RAs are not accepted", "[control][rtsol]") {
  harness h(false);
  auto run = h.n.rtsol_start({h.ifindex}, {false, true, 0});
  REQUIRE(run);
  h.run_for(1s);
  REQUIRE(h.rs_sent().size() == 1);
  h.ra();
  h.run_for(10ms);
  CHECK(h.done == std::vector<std::uint64_t>{*run});
  h.run_for(20s);
  CHECK(h.rs_sent().size() == 1);
  CHECK(h.n.default_routers().empty());  // accept_rtadv is 0
}

TEST_CASE("rtsold re-solicits when the link comes back up", "[control][rtsol]") {
  for (bool mobile : {false, true}) {
    harness h;
    h.ra();
    auto run = h.n.rtsol_start({h.ifindex}, {mobile, false, 1});
    REQUIRE(run);
    h.run_for(1s);
    REQUIRE(h.rs_sent().size() == 1);
    h.ra();
    h.run_for(10s);
    REQUIRE(h.rs_sent().size() == 1);
    h.n.set_link(h.ifindex, false, 10000);
    h.run_for(4s);
    h.n.set_link(h.ifindex, true, 10000);
    // -m polls the link every 3 s; then up to 1 s of delay (and without -m, RSs sent while
    // the link was down never left).
    for (int i = 0; i < 500 && h.rs_sent().size() < 2; ++i) h.run_for(10ms);
    CHECK(h.rs_sent().size() == 2);
    // -m probes the default router with an NS when the link comes back.
    const bool probed = std::any_of(h.sent.begin(), h.sent.end(), [](const bytevec& f) {
      return f.size() >= 78 && f[54] == wire::icmp6_type::neighbor_solicit &&
             std::equal(router_ll.b.begin(), router_ll.b.end(), f.begin() + 62);
    });
    CHECK(probed == mobile);
    h.ra();  // the answer ends the round
    h.run_for(20s);
    CHECK(h.rs_sent().size() == 2);
    h.n.rtsol_stop(*run);
    h.run_for(20s);
    CHECK(h.rs_sent().size() == 2);
  }
}

TEST_CASE("rtsol refuses an interface named twice", "[control][rtsol]") {
  harness h;
  auto r = h.n.rtsol_start({h.ifindex, h.ifindex}, {});
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "interface de0 was already cofigured");
  CHECK_FALSE(h.n.rtsol_start({9}, {}));
}
