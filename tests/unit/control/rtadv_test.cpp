// Router advertisement (RFC 4861 §6.2): the advertiser inside the node,
// driven by a manual clock; every frame the node sends is captured.
#include "stack/control/rtadv.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "stack/control/node.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/ipv6.hpp"
#include "stack/wire/ndp.hpp"
#include "stack/wire/ra_build.hpp"
#include "tests/unit/support/fixtures.hpp"

using namespace std::chrono_literals;
using umi::ip6_addr;
using umi::mac_addr;
using umi::test::ip6_of;
using umi::test::mac_of;
namespace wire = umi::wire;
namespace node = umi::node;
using bytevec = std::vector<std::uint8_t>;

namespace {

const mac_addr our_mac = mac_of("02:00:00:00:00:01");
const mac_addr peer_mac = mac_of("02:00:00:00:00:02");
const ip6_addr our_ll = ip6_of("fe80::ff:fe00:1");
const ip6_addr peer_ll = ip6_of("fe80::ff:fe00:2");

struct sent_ra {
  umi::time_point at;
  mac_addr eth_dst;
  ip6_addr src, dst;
  std::uint8_t hlim = 0;
  bool checksum_ok = false;
  wire::ra_repr ra;
};

bytevec frame_in(const ip6_addr& src, const ip6_addr& dst, std::uint8_t hlim, bytevec l4) {
  l4[2] = l4[3] = 0;
  umi::store_be16(&l4[2], wire::upper_checksum(src, dst, 58, l4));
  bytevec f(54 + l4.size());
  wire::ethernet_repr{dst.multicast_mac(), peer_mac, 0x86dd}.emit(f);
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

bytevec rs_msg(std::optional<mac_addr> slla) {
  bytevec m(8, 0);
  m[0] = 133;
  if (slla) {
    m.push_back(1);
    m.push_back(1);
    m.insert(m.end(), slla->b.begin(), slla->b.end());
  }
  return m;
}

struct harness {
  explicit harness(bool forwarding = true) : n(config(forwarding), env()) {
    ifindex = n.add_interface("de0", 0, our_mac, 1500);
    REQUIRE(n.add_address("de0", ip6_of("2001:db8:1::1"), {64, true, false}));
    run_for(2500ms);  // DAD of both addresses
    REQUIRE_FALSE(n.interface_by_index(ifindex)->find(our_ll)->tentative);
    ras.clear();
  }
  static node::node_config config(bool forwarding) {
    node::node_config c;
    c.forwarding = forwarding;
    return c;
  }
  node::node_env env() {
    node::node_env e;
    e.clock = &clock;
    e.random = &random;
    e.tx = [this](unsigned, bytevec f) {
      auto eth = wire::ethernet_view::parse(f);
      REQUIRE(eth);
      auto ip = wire::ipv6_view::parse(eth->payload());
      REQUIRE(ip);
      if (ip->next_header() != 58 || ip->payload()[0] != 134) return;
      sent_ra s;
      s.at = clock.now();
      s.eth_dst = eth->dst();
      s.src = ip->src();
      s.dst = ip->dst();
      s.hlim = ip->hop_limit();
      s.checksum_ok = wire::upper_checksum_ok(s.src, s.dst, 58, ip->payload());
      auto ra = wire::ra_repr::parse(ip->payload());
      REQUIRE(ra);
      s.ra = *ra;
      ras.push_back(s);
    };
    e.log = [this](const std::string& s) { logs.push_back(s); };
    return e;
  }
  void run_for(umi::duration total) {
    for (umi::duration d{}; d < total; d += 10ms) {
      clock.advance(10ms);
      n.tick();
    }
  }
  node::rtadv_config cfg(unsigned maxi = 600, unsigned mini = 200) {
    node::rtadv_config c;
    c.ifname = "de0";
    c.maxinterval = maxi;
    c.mininterval = mini;
    return c;
  }
  void input(const bytevec& f) { n.input(0, f); }
  bool logged(const std::string& s) const {
    return std::any_of(logs.begin(), logs.end(),
                       [&](const std::string& l) { return l.find(s) != std::string::npos; });
  }

  umi::manual_clock clock;
  umi::rng random{7};
  std::vector<sent_ra> ras;
  std::vector<std::string> logs;
  node::node n;
  unsigned ifindex = 0;
};

}  // namespace

TEST_CASE("RAs carry the configured fields from the link-local address", "[rtadv]") {
  harness h;
  auto c = h.cfg(4, 3);
  c.chlim = 32;
  c.raflags = 0xc0;
  c.rltime = 9000;
  c.rtime = 30000;
  c.retrans = 1000;
  c.mtu = 1400;
  wire::ra_prefix p;
  p.prefix = ip6_of("2001:db8:5::");
  p.plen = 48;
  p.flags = wire::pi_flag_onlink;
  p.vltime = 7200;
  p.pltime = 3600;
  c.prefixes = std::vector{p};
  REQUIRE_FALSE(h.n.rtadv_start(c, false));
  h.run_for(4100ms);
  REQUIRE(h.ras.size() >= 1);
  const sent_ra& s = h.ras[0];
  CHECK(s.src == our_ll);
  CHECK(s.dst == umi::ip6::all_nodes);
  CHECK(s.eth_dst == umi::ip6::all_nodes.multicast_mac());
  CHECK(s.hlim == 255);
  CHECK(s.checksum_ok);
  CHECK(s.ra.cur_hop_limit == 32);
  CHECK(s.ra.flags == 0xc0);
  CHECK(s.ra.router_lifetime == 9000);
  CHECK(s.ra.reachable_time == 30000);
  CHECK(s.ra.retrans_timer == 1000);
  REQUIRE(s.ra.mtu);
  CHECK(*s.ra.mtu == 1400);
  REQUIRE(s.ra.src_lladdr);
  CHECK(*s.ra.src_lladdr == our_mac);
  REQUIRE(s.ra.prefixes.size() == 1);
  CHECK(s.ra.prefixes[0].prefix == ip6_of("2001:db8:5::"));
  CHECK(s.ra.prefixes[0].plen == 48);
  CHECK(s.ra.prefixes[0].flags == wire::pi_flag_onlink);
  CHECK(s.ra.prefixes[0].vltime == 7200);
  CHECK(s.ra.prefixes[0].pltime == 3600);
}

TEST_CASE("without prefixes the interface's global prefixes are advertised", "[rtadv]") {
  harness h;
  auto c = h.cfg(4, 3);
  c.nolladdr = true;
  REQUIRE_FALSE(h.n.rtadv_start(c, false));
  h.run_for(4100ms);
  REQUIRE_FALSE(h.ras.empty());
  const auto& ra = h.ras[0].ra;
  CHECK_FALSE(ra.src_lladdr);
  CHECK_FALSE(ra.mtu);
  CHECK(ra.router_lifetime == 1800);
  REQUIRE(ra.prefixes.size() == 1);
  CHECK(ra.prefixes[0].prefix == ip6_of("2001:db8:1::"));
  CHECK(ra.prefixes[0].plen == 64);
  CHECK(ra.prefixes[0].flags == 0xc0);
  CHECK(ra.prefixes[0].vltime == 2592000);
  CHECK(ra.prefixes[0].pltime == 604800);
  // Without -s a prefix added later is advertised too.
  REQUIRE(h.n.add_address("de0", ip6_of("2001:db8:9::1"), {64, true, false}));
  h.ras.clear();
  h.run_for(4100ms);
  REQUIRE_FALSE(h.ras.empty());
  CHECK(h.ras.back().ra.prefixes.size() == 2);
}

TEST_CASE("the interval is jittered between min and max, 16 s at most for the first three",
          "[rtadv]") {
  SECTION("the computed interval") {
    umi::rng r{3};
    node::rtadv_config c;
    c.maxinterval = 600;
    c.mininterval = 200;
    for (unsigned sent = 0; sent < 3; ++sent)
      for (int i = 0; i < 50; ++i)
        CHECK(node::router_advertiser::next_interval(c, sent, r) == 16s);  // min 200 > 16
    c.maxinterval = 20;
    c.mininterval = 3;
    bool below16 = false;
    for (int i = 0; i < 200; ++i) {
      const auto d = node::router_advertiser::next_interval(c, 0, r);
      CHECK(d >= 3s);
      CHECK(d <= 16s);
      below16 = below16 || d < 16s;
    }
    CHECK(below16);
    umi::duration lo = 1h, hi{};
    for (int i = 0; i < 500; ++i) {
      const auto d = node::router_advertiser::next_interval(c, 3, r);
      CHECK(d >= 3s);
      CHECK(d <= 20s);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    CHECK(lo < 5s);  // really spread over the range
    CHECK(hi > 18s);
  }
  SECTION("the RAs sent") {
    harness h;
    const auto t0 = h.clock.now();
    REQUIRE_FALSE(h.n.rtadv_start(h.cfg(30, 10), false));
    h.run_for(200s);
    REQUIRE(h.ras.size() >= 8);
    CHECK(h.ras[0].at - t0 <= 16s);
    for (std::size_t i = 1; i < h.ras.size(); ++i) {
      const auto gap = h.ras[i].at - h.ras[i - 1].at;
      CHECK(gap >= 10s);
      CHECK(gap <= (i < 3 ? 16s + 10ms : 30s + 10ms));
    }
  }
}

TEST_CASE("an RS is answered by a multicast RA within 0.5 s, at most one per 3 s", "[rtadv]") {
  harness h;
  REQUIRE_FALSE(h.n.rtadv_start(h.cfg(600, 200), false));
  h.run_for(20s);  // the first RA (capped at 16 s)
  REQUIRE(h.ras.size() == 1);
  h.ras.clear();
  const auto rs = frame_in(peer_ll, umi::ip6::all_routers, 255, rs_msg(peer_mac));
  h.input(rs);
  const auto t_rs = h.clock.now();
  h.run_for(600ms);
  REQUIRE(h.ras.size() == 1);
  CHECK(h.ras[0].at - t_rs <= 510ms);
  CHECK(h.ras[0].dst == umi::ip6::all_nodes);
  // The RS taught us the soliciting host's link-layer address.
  bool learned = false;
  for (const auto& [k, e] : h.n.neighbors().entries())
    learned = learned || (e.addr == peer_ll && e.lladdr && *e.lladdr == peer_mac);
  CHECK(learned);
  // Two more RSs right after: one answer, no sooner than 3 s after the last RA.
  h.input(rs);
  h.run_for(100ms);
  h.input(rs);
  h.run_for(4s);
  REQUIRE(h.ras.size() == 2);
  CHECK(h.ras[1].at - h.ras[0].at >= 3s);
  CHECK(h.ras[1].at - h.ras[0].at <= 3s + 510ms);
  CHECK(h.n.rtadv().interfaces().at(h.ifindex).counters.rs_in == 3);
  CHECK(h.n.counters().icmp6_out_hist[134] == 3);
}

TEST_CASE("invalid RSs are logged and not answered", "[rtadv]") {
  harness h;
  REQUIRE_FALSE(h.n.rtadv_start(h.cfg(600, 200), false));
  h.run_for(20s);
  h.ras.clear();
  h.input(frame_in(peer_ll, umi::ip6::all_routers, 64, rs_msg(std::nullopt)));
  h.input(frame_in(ip6_addr{}, umi::ip6::all_routers, 255, rs_msg(peer_mac)));
  h.run_for(1s);
  CHECK(h.ras.empty());
  CHECK(h.logged("<rs_input> RS with invalid hop limit(64) received from fe80::ff:fe00:2 on de0"));
  CHECK(h.logged("has a link-layer address option"));
  CHECK(h.n.rtadv().totals().rs_bad == 2);
}

TEST_CASE("stopping sends three final RAs with router lifetime 0, 3 s apart", "[rtadv]") {
  harness h;
  REQUIRE_FALSE(h.n.rtadv_start(h.cfg(600, 200), false));
  CHECK(h.n.interface_by_index(h.ifindex)->groups().count(umi::ip6::all_routers) == 1);
  h.run_for(20s);
  h.ras.clear();
  REQUIRE(h.n.rtadv().stop(h.ifindex));
  CHECK_FALSE(h.n.rtadv().advertising(h.ifindex));
  CHECK(h.n.interface_by_index(h.ifindex)->groups().count(umi::ip6::all_routers) == 0);
  h.run_for(10s);
  REQUIRE(h.ras.size() == 3);
  for (const auto& s : h.ras) CHECK(s.ra.router_lifetime == 0);
  CHECK(h.ras[1].at - h.ras[0].at == 3s);
  CHECK(h.ras[2].at - h.ras[1].at == 3s);
  CHECK(h.n.rtadv().interfaces().empty());
  // No more RAs, and RSs are not answered.
  h.input(frame_in(peer_ll, umi::ip6::all_routers, 255, rs_msg(peer_mac)));
  h.run_for(700s);
  CHECK(h.ras.size() == 3);
}

TEST_CASE("a host refuses to advertise a non-zero router lifetime", "[rtadv]") {
  harness h(false);
  auto err = h.n.rtadv_start(h.cfg(), false);
  REQUIRE(err);
  CHECK(*err ==
        "<getconfig> non zero router lifetime is specified for de0, which must not be allowed "
        "for hosts.  you must change router lifetime or enable IPv6 forwarding.");
  auto c = h.cfg();
  c.rltime = 0;
  CHECK_FALSE(h.n.rtadv_start(c, false));
}

TEST_CASE("starting twice, or on an unknown interface, is refused", "[rtadv]") {
  harness h;
  REQUIRE_FALSE(h.n.rtadv_start(h.cfg(), false));
  auto again = h.n.rtadv_start(h.cfg(), false);
  REQUIRE(again);
  CHECK(again->find("already advertising") != std::string::npos);
  auto c = h.cfg();
  c.ifname = "de9";
  CHECK(h.n.rtadv_start(c, false) == "<getconfig> interface de9 does not exist");
  h.n.rtadv().cancel(h.ifindex);
  c = h.cfg();
  c.mtu = 9000;
  CHECK(h.n.rtadv_start(c, false) ==
        std::optional<std::string>("<getconfig> advertised link mtu (9000) on de0 is invalid "
                                   "(must be between least MTU (1280) and physical link MTU "
                                   "(1500)"));
}

TEST_CASE("other routers' RAs are checked for consistency (§6.2.7)", "[rtadv]") {
  harness h;
  auto c = h.cfg();
  c.chlim = 64;
  c.rtime = 30000;
  c.retrans = 1000;
  c.mtu = 1500;
  wire::ra_prefix p;
  p.prefix = ip6_of("2001:db8:1::");
  p.vltime = 7200;
  p.pltime = 3600;
  c.prefixes = std::vector{p};
  REQUIRE_FALSE(h.n.rtadv_start(c, false));

  SECTION("an RA saying the same is consistent") {
    wire::ra_repr same = h.n.rtadv().make_ra(h.n.rtadv().interfaces().at(h.ifindex));
    h.input(frame_in(peer_ll, umi::ip6::all_nodes, 255, same.emit()));
    CHECK(h.n.rtadv().totals().ra_in == 1);
    CHECK(h.n.rtadv().totals().ra_inconsistent == 0);
  }
  std::vector<std::pair<std::string, int>> streamed;
  h.n.rtadv().on_log = [&](const std::string& m, int pri) { streamed.emplace_back(m, pri); };
  SECTION("every differing field is logged, the RA counted once") {
    wire::ra_repr other;
    other.cur_hop_limit = 32;
    other.flags = wire::ra_flag_managed;
    other.reachable_time = 20000;
    other.retrans_timer = 2000;
    other.mtu = 1400;
    wire::ra_prefix q = p;
    q.vltime = 600;
    q.pltime = 300;
    wire::ra_prefix stranger;
    stranger.prefix = ip6_of("2001:db8:77::");
    other.prefixes = {q, stranger};
    h.input(frame_in(peer_ll, umi::ip6::all_nodes, 255, other.emit()));
    CHECK(h.logged(
        "<ra_input> CurHopLimit inconsistent on de0: 32 from fe80::ff:fe00:2, 64 from us"));
    CHECK(h.logged("<ra_input> M flag inconsistent on de0: ON from fe80::ff:fe00:2, OFF from us"));
    CHECK(h.logged(
        "<ra_input> ReachableTime inconsistent on de0: 20000 from fe80::ff:fe00:2, 30000 from us"));
    CHECK(h.logged(
        "<ra_input> RetranceTimer inconsistent on de0: 2000 from fe80::ff:fe00:2, 1000 from us"));
    CHECK(
        h.logged("<ra_input> MTU option value inconsistent on de0: 1400 from fe80::ff:fe00:2, 1500 "
                 "from us"));
    CHECK(
        h.logged("<prefix_check> valid lifetime for 2001:db8:1::/64 inconsistent on de0: 600 from "
                 "fe80::ff:fe00:2, 7200 from us"));
    CHECK(
        h.logged("<prefix_check> preferred lifetime for 2001:db8:1::/64 inconsistent on de0: 300 "
                 "from fe80::ff:fe00:2, 3600 from us"));
    CHECK(h.logged(
        "<prefix_check> prefix 2001:db8:77::/64 from fe80::ff:fe00:2 on de0 is not in our list"));
    CHECK(h.n.rtadv().totals().ra_inconsistent == 1);
    // Inconsistencies are warnings; a prefix we do not advertise is only info.
    REQUIRE(streamed.size() == 8);
    for (const auto& [m, pri] : streamed)
      CHECK(pri == (m.find("not in our list") != std::string::npos ? 6 : 4));
  }
  SECTION("an RA from a global source is not a router's") {
    h.input(frame_in(ip6_of("2001:db8:1::2"), umi::ip6::all_nodes, 255, wire::ra_repr{}.emit()));
    CHECK(h.n.rtadv().totals().ra_in == 0);
    CHECK(h.logged("non-linklocal source address 2001:db8:1::2"));
  }
  SECTION("our own RA looped back is not compared") {
    h.run_for(20s);
    CHECK(h.n.rtadv().totals().ra_out >= 1);
    CHECK(h.n.rtadv().totals().ra_in == 0);
  }
}

TEST_CASE("a prefix removed from the interface is advertised with zero lifetimes for 2 h",
          "[rtadv]") {
  harness h;
  REQUIRE(h.n.add_address("de0", ip6_of("2001:db8:9::1"), {64, true, false}));
  REQUIRE_FALSE(h.n.rtadv_start(h.cfg(4, 3), false));
  h.run_for(5s);
  REQUIRE_FALSE(h.ras.empty());
  CHECK(h.ras.back().ra.prefixes.size() == 2);
  REQUIRE(h.n.delete_address("de0", ip6_of("2001:db8:9::1")));
  h.ras.clear();
  h.run_for(5s);
  REQUIRE_FALSE(h.ras.empty());
  const auto& ps = h.ras.back().ra.prefixes;
  REQUIRE(ps.size() == 2);
  CHECK(ps[0].prefix == ip6_of("2001:db8:1::"));
  CHECK(ps[0].vltime == 2592000);
  CHECK(ps[1].prefix == ip6_of("2001:db8:9::"));
  CHECK(ps[1].vltime == 0);
  CHECK(ps[1].pltime == 0);
  CHECK(h.logged("<update_prefix> prefix 2001:db8:9::/64 deleted on de0"));
  for (int i = 0; i < 2 * 3600 / 60; ++i) h.run_for(60s);  // two hours
  h.ras.clear();
  h.run_for(5s);
  REQUIRE_FALSE(h.ras.empty());
  CHECK(h.ras.back().ra.prefixes.size() == 1);
}

TEST_CASE("a node that stops forwarding advertises router lifetime 0", "[rtadv]") {
  harness h;
  REQUIRE_FALSE(h.n.rtadv_start(h.cfg(4, 3), false));
  h.run_for(5s);
  REQUIRE_FALSE(h.ras.empty());
  CHECK(h.ras.back().ra.router_lifetime == 1800);
  REQUIRE(h.n.sysctl().set("net.inet6.ip6.forwarding", "0"));
  h.ras.clear();
  h.run_for(5s);
  REQUIRE_FALSE(h.ras.empty());
  CHECK(h.ras.back().ra.router_lifetime == 0);
}

TEST_CASE("with -s the prefixes are those of the start", "[rtadv]") {
  harness h;
  REQUIRE_FALSE(h.n.rtadv_start(h.cfg(4, 3), true));
  REQUIRE(h.n.add_address("de0", ip6_of("2001:db8:9::1"), {64, true, false}));
  h.run_for(5s);
  REQUIRE_FALSE(h.ras.empty());
  REQUIRE(h.ras.back().ra.prefixes.size() == 1);
  CHECK(h.ras.back().ra.prefixes[0].prefix == ip6_of("2001:db8:1::"));
}
