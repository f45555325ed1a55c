// Neighbour cache and NUD state machine (RFC 4861 §7.2, §7.3), stage tier:
// a manual clock, a seeded rng, and the cache's actions captured.
#include "stack/nd/neighbor_cache.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <vector>

#include "tests/unit/support/fixtures.hpp"

using namespace std::chrono_literals;
using umi::test::ip6_of;
using umi::test::mac_of;
namespace nd = umi::nd;
using nd::nud_state;
using rr = nd::neighbor_cache::resolve_result;

namespace {

constexpr unsigned ifx = 1;
const umi::ip6_addr peer = ip6_of("fe80::2");
const umi::mac_addr peer_mac = mac_of("02:00:00:00:00:02");
const umi::mac_addr other_mac = mac_of("02:00:00:00:00:99");

struct ns_sent {
  unsigned ifindex;
  umi::ip6_addr target;
  std::optional<umi::mac_addr> dst_mac;
};
struct held_sent {
  unsigned ifindex;
  umi::mac_addr dst;
  std::vector<std::uint8_t> pkt;
};
struct unreachable_pkt {
  unsigned ifindex;
  std::vector<std::uint8_t> pkt;
};

// Members are declared in construction order: the cache captures `this`.
struct harness {
  explicit harness(nd::nd_params p = {}, std::uint64_t seed = 7)
      : random(seed),
        cache(p, random,
              nd::nd_actions{
                  [this](unsigned i, const umi::ip6_addr& t, std::optional<umi::mac_addr> m) {
                    ns.push_back({i, t, m});
                  },
                  [this](unsigned i, const umi::mac_addr& m, std::vector<std::uint8_t> pkt) {
                    sent.push_back({i, m, std::move(pkt)});
                  },
                  [this](unsigned i, std::vector<std::uint8_t> pkt) {
                    unreachable.push_back({i, std::move(pkt)});
                  }}) {}

  umi::time_point now() const { return clock.now(); }
  void advance(umi::duration d) {
    clock.advance(d);
    cache.tick(now());
  }
  rr resolve(const umi::ip6_addr& a, std::uint8_t tag, umi::mac_addr* out = nullptr) {
    std::vector<std::uint8_t> pkt{tag};
    umi::mac_addr mac;
    const rr r = cache.resolve(ifx, a, &pkt, now(), mac);
    if (out) *out = mac;
    return r;
  }
  const nd::neighbor& entry(const umi::ip6_addr& a) const {
    const nd::neighbor* n = cache.find(ifx, a);
    REQUIRE(n != nullptr);
    return *n;
  }
  // INCOMPLETE -> REACHABLE through a solicited NA.
  void make_reachable(const umi::ip6_addr& a, const umi::mac_addr& m) {
    (void)resolve(a, 0);
    cache.on_advert(ifx, a, m, false, true, true, now());
    REQUIRE(entry(a).state == nud_state::reachable);
  }

  umi::manual_clock clock;
  umi::rng random;
  std::vector<ns_sent> ns;
  std::vector<held_sent> sent;
  std::vector<unreachable_pkt> unreachable;
  nd::neighbor_cache cache;
};

}  // namespace

TEST_CASE("resolving an unknown neighbour holds the packet and multicasts an NS", "[nd]") {
  harness h;
  CHECK(h.resolve(peer, 1) == rr::queued);
  const auto& n = h.entry(peer);
  CHECK(n.state == nud_state::incomplete);
  CHECK_FALSE(n.lladdr);
  CHECK(n.held.size() == 1);
  REQUIRE(h.ns.size() == 1);
  CHECK(h.ns[0].ifindex == ifx);
  CHECK(h.ns[0].target == peer);
  CHECK_FALSE(h.ns[0].dst_mac);  // to the solicited-node group
  CHECK(h.sent.empty());
}

TEST_CASE("unanswered resolution sends three NS a second apart then gives up", "[nd]") {
  // RFC 4861 §7.2.2: MAX_MULTICAST_SOLICIT (3) solicitations, RetransTimer
  // (1 s) apart; then the held packets go back for ICMPv6 address unreachable.
  harness h;
  REQUIRE(h.resolve(peer, 1) == rr::queued);
  REQUIRE(h.resolve(peer, 2) == rr::queued);
  h.advance(999ms);
  CHECK(h.ns.size() == 1);
  h.advance(1ms);
  CHECK(h.ns.size() == 2);
  h.advance(999ms);
  CHECK(h.ns.size() == 2);
  h.advance(1ms);
  CHECK(h.ns.size() == 3);
  for (const auto& s : h.ns) CHECK_FALSE(s.dst_mac);
  CHECK(h.unreachable.empty());
  CHECK(h.cache.find(ifx, peer) != nullptr);

  h.advance(1s);
  CHECK(h.ns.size() == 3);
  REQUIRE(h.unreachable.size() == 2);
  CHECK(h.unreachable[0].pkt == std::vector<std::uint8_t>{1});
  CHECK(h.unreachable[1].pkt == std::vector<std::uint8_t>{2});
  CHECK(h.unreachable[0].ifindex == ifx);
  CHECK(h.cache.find(ifx, peer) == nullptr);
  CHECK(h.cache.counters().resolve_failed == 1);
  CHECK(h.sent.empty());
}

TEST_CASE("solicited NA makes an incomplete entry reachable and releases held packets", "[nd]") {
  harness h;
  (void)h.resolve(peer, 1);
  (void)h.resolve(peer, 2);
  h.cache.on_advert(ifx, peer, peer_mac, false, true, false, h.now());
  const auto& n = h.entry(peer);
  CHECK(n.state == nud_state::reachable);
  CHECK(n.lladdr == peer_mac);
  CHECK(n.held.empty());
  REQUIRE(h.sent.size() == 2);
  CHECK(h.sent[0].pkt == std::vector<std::uint8_t>{1});  // in order
  CHECK(h.sent[1].pkt == std::vector<std::uint8_t>{2});
  CHECK(h.sent[0].dst == peer_mac);
  CHECK(h.sent[0].ifindex == ifx);

  umi::mac_addr out;
  CHECK(h.resolve(peer, 3, &out) == rr::send);
  CHECK(out == peer_mac);
  CHECK(h.entry(peer).state == nud_state::reachable);
  // No more solicitations once resolved.
  h.advance(5s);
  CHECK(h.ns.size() == 1);
}

TEST_CASE("unsolicited NA resolves an incomplete entry to stale", "[nd]") {
  harness h;
  (void)h.resolve(peer, 1);
  h.cache.on_advert(ifx, peer, peer_mac, false, false, true, h.now());
  CHECK(h.entry(peer).state == nud_state::stale);
  CHECK(h.sent.size() == 1);
}

TEST_CASE("NA without a target lladdr leaves an incomplete entry waiting", "[nd]") {
  harness h;
  (void)h.resolve(peer, 1);
  h.cache.on_advert(ifx, peer, std::nullopt, false, true, true, h.now());
  CHECK(h.entry(peer).state == nud_state::incomplete);
  CHECK(h.sent.empty());
}

TEST_CASE("NA for a neighbour not in the cache creates no entry", "[nd]") {
  harness h;
  h.cache.on_advert(ifx, peer, peer_mac, false, true, true, h.now());
  CHECK(h.cache.find(ifx, peer) == nullptr);
  CHECK(h.cache.entries().empty());
}

TEST_CASE("reachable entry turns stale after ReachableTime in [15 s, 45 s)", "[nd]") {
  // RFC 4861 §6.3.2: BaseReachableTime (30 s) times uniform [0.5, 1.5).
  for (std::uint64_t seed = 1; seed <= 16; ++seed) {
    INFO("seed " << seed);
    harness h({}, seed);
    h.make_reachable(peer, peer_mac);
    const auto left = h.entry(peer).expire - h.now();
    CHECK(left >= 15s);
    CHECK(left < 45s);
    CHECK(h.cache.reachable_time() == left);
    h.advance(15s - 1ns);
    CHECK(h.entry(peer).state == nud_state::reachable);
    h.advance(left - (15s - 1ns));
    CHECK(h.entry(peer).state == nud_state::stale);
    CHECK(h.entry(peer).lladdr == peer_mac);
  }
}

TEST_CASE("stale entry in use goes through delay and probe and is deleted unanswered", "[nd]") {
  // RFC 4861 §7.3.3 and App. C.
  harness h;
  h.cache.on_lladdr_learned(ifx, peer, peer_mac, h.now());
  REQUIRE(h.entry(peer).state == nud_state::stale);

  umi::mac_addr out;
  CHECK(h.resolve(peer, 1, &out) == rr::send);  // stale addresses are used
  CHECK(out == peer_mac);
  CHECK(h.entry(peer).state == nud_state::delay);
  CHECK(h.ns.empty());

  h.advance(5s - 1ns);  // DELAY_FIRST_PROBE_TIME
  CHECK(h.entry(peer).state == nud_state::delay);
  h.advance(1ns);
  CHECK(h.entry(peer).state == nud_state::probe);
  REQUIRE(h.ns.size() == 1);
  CHECK(h.ns[0].dst_mac == peer_mac);  // unicast probe
  CHECK(h.ns[0].target == peer);

  CHECK(h.resolve(peer, 2, &out) == rr::send);  // still usable while probing
  h.advance(1s);
  CHECK(h.ns.size() == 2);
  h.advance(1s);
  CHECK(h.ns.size() == 3);
  for (const auto& s : h.ns) CHECK(s.dst_mac == peer_mac);
  CHECK(h.cache.find(ifx, peer) != nullptr);
  h.advance(1s);  // MAX_UNICAST_SOLICIT (3) probes unanswered
  CHECK(h.ns.size() == 3);
  CHECK(h.cache.find(ifx, peer) == nullptr);
}

TEST_CASE("solicited NA while probing confirms the neighbour", "[nd]") {
  harness h;
  h.cache.on_lladdr_learned(ifx, peer, peer_mac, h.now());
  (void)h.resolve(peer, 1);
  h.advance(5s);
  REQUIRE(h.entry(peer).state == nud_state::probe);
  h.cache.on_advert(ifx, peer, peer_mac, false, true, false, h.now());
  CHECK(h.entry(peer).state == nud_state::reachable);
  CHECK(h.entry(peer).probes == 0);
  h.advance(3s);
  CHECK(h.ns.size() == 1);
}

TEST_CASE("NA without override and a new lladdr keeps the old one and demotes reachable", "[nd]") {
  // RFC 4861 §7.2.5: "If the Override flag is clear and the supplied
  // link-layer address differs ... REACHABLE => STALE, no other update".
  harness h;
  h.make_reachable(peer, peer_mac);
  h.cache.on_advert(ifx, peer, other_mac, false, true, false, h.now());
  CHECK(h.entry(peer).state == nud_state::stale);
  CHECK(h.entry(peer).lladdr == peer_mac);

  SECTION("and is ignored by a stale entry") {
    h.cache.on_advert(ifx, peer, other_mac, false, true, false, h.now());
    CHECK(h.entry(peer).state == nud_state::stale);
    CHECK(h.entry(peer).lladdr == peer_mac);
  }
}

TEST_CASE("NA with override and a new lladdr replaces it", "[nd]") {
  harness h;
  h.make_reachable(peer, peer_mac);
  SECTION("unsolicited: stale with the new address") {
    h.cache.on_advert(ifx, peer, other_mac, true, false, true, h.now());
    CHECK(h.entry(peer).state == nud_state::stale);
    CHECK(h.entry(peer).lladdr == other_mac);
    CHECK(h.entry(peer).router);
  }
  SECTION("solicited: reachable with the new address") {
    h.cache.on_advert(ifx, peer, other_mac, false, true, true, h.now());
    CHECK(h.entry(peer).state == nud_state::reachable);
    CHECK(h.entry(peer).lladdr == other_mac);
  }
}

TEST_CASE("held packet queue keeps the newest three and counts the dropped oldest", "[nd]") {
  harness h;  // max_queue = 3
  for (std::uint8_t tag = 1; tag <= 4; ++tag) CHECK(h.resolve(peer, tag) == rr::queued);
  CHECK(h.entry(peer).held.size() == 3);
  CHECK(h.cache.counters().queue_drops == 1);
  CHECK(h.ns.size() == 1);  // one NS, not one per packet
  h.cache.on_advert(ifx, peer, peer_mac, false, true, true, h.now());
  REQUIRE(h.sent.size() == 3);
  CHECK(h.sent[0].pkt == std::vector<std::uint8_t>{2});
  CHECK(h.sent[1].pkt == std::vector<std::uint8_t>{3});
  CHECK(h.sent[2].pkt == std::vector<std::uint8_t>{4});
}

TEST_CASE("a full cache of reachable entries refuses a new neighbour", "[nd]") {
  nd::nd_params p;
  p.max_entries = 2;
  harness h(p);
  h.make_reachable(ip6_of("fe80::a"), peer_mac);
  h.make_reachable(ip6_of("fe80::b"), other_mac);
  const auto ns_before = h.ns.size();
  CHECK(h.resolve(ip6_of("fe80::c"), 1) == rr::dropped);
  CHECK(h.cache.counters().cache_full == 1);
  CHECK(h.cache.entries().size() == 2);
  CHECK(h.cache.find(ifx, ip6_of("fe80::c")) == nullptr);
  CHECK(h.ns.size() == ns_before);
  CHECK(h.entry(ip6_of("fe80::a")).state == nud_state::reachable);
  CHECK(h.entry(ip6_of("fe80::b")).state == nud_state::reachable);
}

TEST_CASE("a full cache evicts the least recently used stale entry", "[nd]") {
  nd::nd_params p;
  p.max_entries = 3;
  harness h(p);
  h.make_reachable(ip6_of("fe80::a"), peer_mac);
  h.cache.on_lladdr_learned(ifx, ip6_of("fe80::b"), other_mac, h.now());
  h.clock.advance(1s);
  h.cache.on_lladdr_learned(ifx, ip6_of("fe80::d"), other_mac, h.now());
  CHECK(h.resolve(ip6_of("fe80::c"), 1) == rr::queued);
  CHECK(h.cache.counters().cache_full == 0);
  CHECK(h.cache.entries().size() == 3);
  CHECK(h.cache.find(ifx, ip6_of("fe80::b")) == nullptr);  // the older stale one
  CHECK(h.cache.find(ifx, ip6_of("fe80::d")) != nullptr);
  CHECK(h.cache.find(ifx, ip6_of("fe80::a")) != nullptr);
  CHECK(h.entry(ip6_of("fe80::c")).state == nud_state::incomplete);
}

TEST_CASE("permanent static entries stay, temporary ones expire after 20 minutes", "[nd]") {
  harness h;
  const auto perm = ip6_of("fe80::a");
  const auto temp = ip6_of("fe80::b");
  REQUIRE(h.cache.set_static(ifx, perm, peer_mac, false, h.now()));
  REQUIRE(h.cache.set_static(ifx, temp, other_mac, true, h.now()));
  CHECK(h.entry(perm).is_static);
  CHECK(h.entry(perm).permanent);
  CHECK_FALSE(h.entry(temp).permanent);

  umi::mac_addr out;
  CHECK(h.resolve(perm, 1, &out) == rr::send);
  CHECK(out == peer_mac);
  CHECK(h.entry(perm).state == nud_state::reachable);  // statics never enter NUD

  h.advance(20min - 1ns);
  CHECK(h.cache.find(ifx, temp) != nullptr);
  h.advance(1ns);
  CHECK(h.cache.find(ifx, temp) == nullptr);
  h.advance(72h);
  REQUIRE(h.cache.find(ifx, perm) != nullptr);
  CHECK(h.entry(perm).state == nud_state::reachable);
  CHECK(h.ns.empty());
}

TEST_CASE("static entries ignore advertisements and learned addresses", "[nd]") {
  harness h;
  REQUIRE(h.cache.set_static(ifx, peer, peer_mac, false, h.now()));
  h.cache.on_advert(ifx, peer, other_mac, false, true, true, h.now());
  h.cache.on_lladdr_learned(ifx, peer, other_mac, h.now());
  CHECK(h.entry(peer).lladdr == peer_mac);
  CHECK(h.entry(peer).state == nud_state::reachable);
}

TEST_CASE("set_static resolves an incomplete entry and releases its packets", "[nd]") {
  harness h;
  (void)h.resolve(peer, 1);
  REQUIRE(h.cache.set_static(ifx, peer, peer_mac, false, h.now()));
  REQUIRE(h.sent.size() == 1);
  CHECK(h.sent[0].dst == peer_mac);
  h.advance(10s);
  CHECK(h.ns.size() == 1);  // no more solicitations
  CHECK(h.unreachable.empty());
}

TEST_CASE("flush removes dynamic entries and keeps statics", "[nd]") {
  harness h;
  REQUIRE(h.cache.set_static(ifx, ip6_of("fe80::a"), peer_mac, false, h.now()));
  REQUIRE(h.cache.set_static(ifx, ip6_of("fe80::b"), peer_mac, true, h.now()));
  h.make_reachable(ip6_of("fe80::c"), other_mac);
  h.cache.on_lladdr_learned(ifx, ip6_of("fe80::d"), other_mac, h.now());
  const auto flushed = h.cache.flush();
  CHECK(flushed.size() == 2);
  CHECK(h.cache.entries().size() == 2);
  CHECK(h.cache.find(ifx, ip6_of("fe80::a")) != nullptr);
  CHECK(h.cache.find(ifx, ip6_of("fe80::b")) != nullptr);
}

TEST_CASE("flushing an interface leaves other interfaces and statics alone", "[nd]") {
  harness h;
  h.cache.on_lladdr_learned(1, peer, peer_mac, h.now());
  h.cache.on_lladdr_learned(2, peer, peer_mac, h.now());
  REQUIRE(h.cache.set_static(1, ip6_of("fe80::a"), peer_mac, false, h.now()));
  h.cache.flush_interface(1);
  CHECK(h.cache.find(1, peer) == nullptr);
  CHECK(h.cache.find(2, peer) != nullptr);
  CHECK(h.cache.find(1, ip6_of("fe80::a")) != nullptr);
}

TEST_CASE("a learned lladdr creates a stale entry and a changed one re-stales it", "[nd]") {
  harness h;
  h.cache.on_lladdr_learned(ifx, peer, peer_mac, h.now());
  CHECK(h.entry(peer).state == nud_state::stale);
  h.cache.confirm(ifx, peer, h.now());
  CHECK(h.entry(peer).state == nud_state::reachable);
  h.cache.on_lladdr_learned(ifx, peer, peer_mac, h.now());  // same address: no change
  CHECK(h.entry(peer).state == nud_state::reachable);
  h.cache.on_lladdr_learned(ifx, peer, other_mac, h.now());
  CHECK(h.entry(peer).state == nud_state::stale);
  CHECK(h.entry(peer).lladdr == other_mac);
}

TEST_CASE("a learned lladdr completes an incomplete entry", "[nd]") {
  harness h;
  (void)h.resolve(peer, 1);
  h.cache.on_lladdr_learned(ifx, peer, peer_mac, h.now());
  CHECK(h.entry(peer).state == nud_state::stale);
  CHECK(h.sent.size() == 1);
}

TEST_CASE("unused stale entries are garbage collected", "[nd]") {
  harness h;
  h.cache.on_lladdr_learned(ifx, peer, peer_mac, h.now());
  h.advance(24h - 1ns);
  CHECK(h.cache.find(ifx, peer) != nullptr);
  h.advance(1ns);
  CHECK(h.cache.find(ifx, peer) == nullptr);
}

TEST_CASE("remove deletes one entry and reports whether it existed", "[nd]") {
  harness h;
  h.cache.on_lladdr_learned(ifx, peer, peer_mac, h.now());
  CHECK(h.cache.remove(ifx, peer));
  CHECK_FALSE(h.cache.remove(ifx, peer));
}

TEST_CASE("state letters and names follow KAME ndp", "[nd]") {
  CHECK(nd::state_letter(nud_state::incomplete) == 'I');
  CHECK(nd::state_letter(nud_state::reachable) == 'R');
  CHECK(nd::state_letter(nud_state::stale) == 'S');
  CHECK(nd::state_letter(nud_state::delay) == 'D');
  CHECK(nd::state_letter(nud_state::probe) == 'P');
  CHECK(std::string(nd::state_name(nud_state::probe)) == "probe");
}
