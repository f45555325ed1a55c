// The node as an IPv6 host: interfaces, DAD (RFC 4862 §5.4), NDP input
// (RFC 4861 §7), echo and ICMPv6 errors (RFC 4443). Stage tier: a manual
// clock, a seeded rng, and every transmitted Ethernet frame captured.
#include "stack/control/node.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "stack/wire/checksum.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/icmpv6.hpp"
#include "stack/wire/ipv6.hpp"
#include "stack/wire/ndp.hpp"
#include "stack/wire/nodeinfo.hpp"
#include "tests/unit/support/fixtures.hpp"

using namespace std::chrono_literals;
using umi::ip6_addr;
using umi::mac_addr;
using umi::test::ip6_of;
using umi::test::mac_of;
namespace wire = umi::wire;
namespace stats = umi::stats;
using umi::node::errc;
using bytevec = std::vector<std::uint8_t>;

namespace {

const mac_addr our_mac = mac_of("02:00:00:00:00:01");
const mac_addr peer_mac = mac_of("02:00:00:00:00:02");
const ip6_addr our_ll = ip6_of("fe80::ff:fe00:1");  // EUI-64 of our_mac
const ip6_addr peer_ll = ip6_of("fe80::ff:fe00:2");
const ip6_addr unspecified{};
const mac_addr all_nodes_mac = mac_of("33:33:00:00:00:01");
const mac_addr our_sn_mac = mac_of("33:33:ff:00:00:01");  // ff02::1:ff00:1
constexpr unsigned our_port = 0;

// ---- building what the peer sends -------------------------------------------------

// Ethernet + IPv6 around `l4`; an ICMPv6 message gets its checksum filled in.
bytevec frame(const mac_addr& eth_dst, const ip6_addr& src, const ip6_addr& dst, std::uint8_t nh,
              std::uint8_t hlim, bytevec l4) {
  if (nh == 58 && l4.size() >= 4) {
    l4[2] = l4[3] = 0;
    umi::store_be16(&l4[2], wire::upper_checksum(src, dst, 58, l4));
  }
  bytevec f(wire::ethernet_view::header_len + wire::ipv6_view::header_len + l4.size());
  wire::ethernet_repr{eth_dst, peer_mac, 0x86dd}.emit(f);
  wire::ipv6_repr ip;
  ip.src = src;
  ip.dst = dst;
  ip.next_header = nh;
  ip.hop_limit = hlim;
  ip.payload_length = static_cast<std::uint16_t>(l4.size());
  ip.emit(umi::mut_bytes(f).subspan(wire::ethernet_view::header_len));
  std::copy(l4.begin(), l4.end(), f.begin() + 54);
  return f;
}

bytevec ns_msg(const ip6_addr& target, std::optional<mac_addr> slla) {
  bytevec m(32);
  m.resize(wire::emit_ns(m, target, slla));
  return m;
}

bytevec na_msg(const ip6_addr& target, bool solicited, bool override_flag,
               std::optional<mac_addr> tlla) {
  bytevec m(32);
  m.resize(wire::emit_na(m, target, false, solicited, override_flag, tlla));
  return m;
}

bytevec echo_msg(std::uint8_t type, std::uint16_t ident, std::uint16_t seq, const bytevec& data) {
  bytevec m(8 + data.size());
  m[0] = type;
  umi::store_be16(&m[4], ident);
  umi::store_be16(&m[6], seq);
  std::copy(data.begin(), data.end(), m.begin() + 8);
  return m;
}

// ---- reading what the node sends -------------------------------------------------

struct sent_frame {
  unsigned port = 0;
  mac_addr eth_dst, eth_src;
  std::uint16_t ethertype = 0;
  ip6_addr src, dst;
  std::uint8_t nh = 0, hlim = 0;
  bytevec ip6;  // the whole IPv6 packet
  bytevec l4;   // its payload
  bool checksum_ok = false;

  std::uint8_t type() const { return l4.at(0); }
  std::uint8_t code() const { return l4.at(1); }
};

sent_frame decode(unsigned port, const bytevec& f) {
  auto eth = wire::ethernet_view::parse(f);
  REQUIRE(eth);
  auto ip = wire::ipv6_view::parse(eth->payload());
  REQUIRE(ip);
  REQUIRE(ip->packet().size() == eth->payload().size());  // nothing after the packet
  sent_frame s;
  s.port = port;
  s.eth_dst = eth->dst();
  s.eth_src = eth->src();
  s.ethertype = eth->type();
  s.src = ip->src();
  s.dst = ip->dst();
  s.nh = ip->next_header();
  s.hlim = ip->hop_limit();
  s.ip6.assign(ip->packet().begin(), ip->packet().end());
  s.l4.assign(ip->payload().begin(), ip->payload().end());
  s.checksum_ok = s.nh == 58 && wire::upper_checksum_ok(s.src, s.dst, 58, s.l4);
  return s;
}

// ---- the harness -----------------------------------------------------------------

// Members are declared in construction order: the node captures `this`.
struct harness {
  explicit harness(umi::node::node_config cfg = {}) : n(std::move(cfg), env()) {
    ifindex = n.add_interface("vtnet0", our_port, our_mac, 1500);
  }

  umi::node::node_env env() {
    umi::node::node_env e;
    e.clock = &clock;
    e.random = &random;
    e.tx = [this](unsigned port, bytevec f) { raw.emplace_back(port, std::move(f)); };
    e.log = [this](const std::string& s) { logs.push_back(s); };
    e.echo_reply = [this](const umi::node::echo_event& ev) { echo_replies.push_back(ev); };
    e.icmp_error = [this](const umi::node::icmp_error_event& ev) { icmp_errors.push_back(ev); };
    e.ni_reply = [this](const umi::node::ni_event& ev) { ni_replies.push_back(ev); };
    return e;
  }

  sent_frame sent(std::size_t i) const {
    REQUIRE(i < raw.size());
    return decode(raw[i].first, raw[i].second);
  }
  void input(const bytevec& f) { n.input(our_port, f); }
  const umi::node::interface& ifp() { return *n.interface_by_index(ifindex); }
  const umi::node::addr_entry* addr(const ip6_addr& a) { return ifp().find(a); }
  std::uint64_t count(stats::icmp6 s) const {
    return n.counters().icmp6[static_cast<std::size_t>(s)];
  }
  std::uint64_t count(stats::ip6 s) const { return n.counters().ip6[static_cast<std::size_t>(s)]; }

  // Advances the clock in `step`s, ticking the node after each.
  void run_for(umi::duration total, umi::duration step = 10ms) {
    for (umi::duration d{}; d < total; d += step) {
      clock.advance(step);
      n.tick();
    }
  }
  // Ticks every 10 ms until something is sent; false if nothing within `limit`.
  bool run_until_tx(umi::duration limit) {
    const auto before = raw.size();
    for (umi::duration d{}; d < limit; d += 10ms) {
      clock.advance(10ms);
      n.tick();
      if (raw.size() > before) return true;
    }
    return false;
  }
  // The link-local address through DAD (delay <= 1 s, then RetransTimer).
  void complete_dad() {
    REQUIRE(run_until_tx(1010ms));
    run_for(1010ms);
    REQUIRE(addr(our_ll) != nullptr);
    REQUIRE_FALSE(addr(our_ll)->tentative);
    raw.clear();
  }

  umi::manual_clock clock;
  umi::rng random{1};
  std::vector<std::pair<unsigned, bytevec>> raw;
  std::vector<std::string> logs;
  std::vector<umi::node::echo_event> echo_replies;
  std::vector<umi::node::icmp_error_event> icmp_errors;
  std::vector<umi::node::ni_event> ni_replies;
  umi::node::node n;
  unsigned ifindex = 0;
};

void check_dad_ns(const sent_frame& f, const ip6_addr& target) {
  CHECK(f.port == our_port);
  CHECK(f.eth_dst == target.solicited_node().multicast_mac());
  CHECK(f.eth_src == our_mac);
  CHECK(f.ethertype == 0x86dd);
  CHECK(f.src == unspecified);  // RFC 4862 §5.4.2
  CHECK(f.dst == target.solicited_node());
  CHECK(f.hlim == 255);
  CHECK(f.nh == 58);
  CHECK(f.checksum_ok);
  CHECK(f.type() == wire::icmp6_type::neighbor_solicit);
  CHECK(f.code() == 0);
  CHECK(f.l4.size() == 24);  // no source link-layer address option from ::
  auto ns = wire::ns_view::parse(f.l4);
  REQUIRE(ns);
  CHECK(ns->target() == target);
}

}  // namespace

// ---- interfaces and DAD ----------------------------------------------------------

TEST_CASE("a new interface gets a tentative EUI-64 link-local address", "[control][dad]") {
  harness h;
  REQUIRE(h.ifp().addrs.size() == 1);
  CHECK(h.ifp().addrs[0].addr == our_ll);
  CHECK(h.ifp().addrs[0].plen == 64);
  CHECK(h.ifp().addrs[0].tentative);
  CHECK(h.raw.empty());  // nothing before the first tick
  CHECK(h.ifp().groups().count(ip6_of("ff02::1:ff00:1")) == 1);
}

TEST_CASE("DAD sends one NS from the unspecified address after the random delay",
          "[control][dad]") {
  harness h;
  REQUIRE(h.run_until_tx(1010ms));  // MAX_RTR_SOLICITATION_DELAY is 1 s
  REQUIRE(h.raw.size() == 1);
  check_dad_ns(h.sent(0), our_ll);
  CHECK(h.addr(our_ll)->tentative);
}

TEST_CASE("DAD completes one RetransTimer after the NS and announces the address",
          "[control][dad]") {
  harness h;
  REQUIRE(h.run_until_tx(1010ms));
  h.raw.clear();
  h.clock.advance(990ms);
  h.n.tick();
  CHECK(h.raw.empty());
  CHECK(h.addr(our_ll)->tentative);

  h.clock.advance(10ms);
  h.n.tick();
  CHECK_FALSE(h.addr(our_ll)->tentative);
  CHECK_FALSE(h.addr(our_ll)->duplicated);
  REQUIRE(h.raw.size() == 1);
  const auto f = h.sent(0);
  // RFC 4861 §7.2.6: unsolicited NA to all-nodes, override set, not solicited.
  CHECK(f.eth_dst == all_nodes_mac);
  CHECK(f.eth_src == our_mac);
  CHECK(f.src == our_ll);
  CHECK(f.dst == ip6_of("ff02::1"));
  CHECK(f.hlim == 255);
  CHECK(f.checksum_ok);
  CHECK(f.type() == wire::icmp6_type::neighbor_advert);
  auto na = wire::na_view::parse(f.l4);
  REQUIRE(na);
  CHECK(na->target() == our_ll);
  CHECK_FALSE(na->solicited());
  CHECK(na->override_flag());
  CHECK_FALSE(na->router());
  auto opts = wire::parse_nd_options(na->options());
  REQUIRE(opts);
  CHECK(opts->tgt_lladdr == our_mac);

  h.run_for(10s);
  CHECK(h.raw.size() == 1);  // one announcement, no more DAD
}

TEST_CASE("NS from the unspecified address for our tentative address means a duplicate",
          "[control][dad]") {
  harness h;
  h.input(frame(our_sn_mac, unspecified, our_ll.solicited_node(), 58, 255,
                ns_msg(our_ll, std::nullopt)));
  const auto* a = h.addr(our_ll);
  REQUIRE(a != nullptr);
  CHECK(a->duplicated);
  CHECK_FALSE(a->tentative);
  CHECK(h.count(stats::icmp6::dad_duplicated) == 1);
  REQUIRE_FALSE(h.logs.empty());
  CHECK_THAT(h.logs.back(), Catch::Contains("duplicate"));

  h.run_for(3s);
  CHECK(h.raw.empty());  // neither a DAD NS nor an announcement
}

TEST_CASE("NA for our tentative address means a duplicate", "[control][dad]") {
  harness h;
  h.input(frame(all_nodes_mac, peer_ll, ip6_of("ff02::1"), 58, 255,
                na_msg(our_ll, false, true, peer_mac)));
  CHECK(h.addr(our_ll)->duplicated);
  CHECK_FALSE(h.addr(our_ll)->tentative);
  CHECK(h.count(stats::icmp6::dad_duplicated) == 1);
  h.run_for(3s);
  CHECK(h.raw.empty());
}

TEST_CASE("NA with a hop limit other than 255 cannot fail DAD", "[control][dad]") {
  harness h;
  h.input(frame(all_nodes_mac, peer_ll, ip6_of("ff02::1"), 58, 254,
                na_msg(our_ll, false, true, peer_mac)));
  CHECK(h.count(stats::icmp6::nd_badhlim) == 1);
  CHECK_FALSE(h.addr(our_ll)->duplicated);
  CHECK(h.addr(our_ll)->tentative);
}

TEST_CASE("an assigned address is defended against another node's DAD", "[control][dad]") {
  harness h;
  h.complete_dad();
  h.input(frame(our_sn_mac, unspecified, our_ll.solicited_node(), 58, 255,
                ns_msg(our_ll, std::nullopt)));
  CHECK_FALSE(h.addr(our_ll)->duplicated);
  REQUIRE(h.raw.size() == 1);
  const auto f = h.sent(0);
  // RFC 4861 §7.2.4: to all-nodes when the solicitation came from ::.
  CHECK(f.dst == ip6_of("ff02::1"));
  CHECK(f.src == our_ll);
  CHECK(f.type() == wire::icmp6_type::neighbor_advert);
  auto na = wire::na_view::parse(f.l4);
  REQUIRE(na);
  CHECK_FALSE(na->solicited());
  CHECK(na->target() == our_ll);
}

TEST_CASE("with dad_count 0 addresses are usable at once and nothing is sent", "[control][dad]") {
  umi::node::node_config cfg;
  cfg.dad_count = 0;
  harness h(cfg);
  CHECK_FALSE(h.addr(our_ll)->tentative);
  h.run_for(3s);
  CHECK(h.raw.empty());
}

TEST_CASE("unicast NA addressed to our tentative address is discarded", "[control][dad]") {
  // RFC 4862 §5.4: "the 'other packets' include Neighbor Solicitation and
  // Advertisement messages that have the tentative (i.e., unicast) address as
  // the IP destination address and contain the tentative address in the
  // Target Address field" - they are silently discarded, so DAD goes on.
  harness h;
  h.input(frame(our_mac, peer_ll, our_ll, 58, 255, na_msg(our_ll, true, true, peer_mac)));
  CHECK_FALSE(h.addr(our_ll)->duplicated);
  CHECK(h.addr(our_ll)->tentative);
  CHECK(h.count(stats::icmp6::dad_duplicated) == 0);
}

TEST_CASE("a tentative address cannot be chosen as an explicit source", "[control][dad]") {
  // RFC 4862 §5.4; KAME in6_selectsrc refuses IN6_IFF_NOTREADY with EADDRNOTAVAIL.
  harness h;
  REQUIRE(h.n.set_neighbor(h.ifindex, peer_ll, peer_mac, false));
  umi::node::send_request req;
  req.dst = peer_ll;
  req.ifindex = h.ifindex;
  req.src = our_ll;
  req.payload = echo_msg(wire::icmp6_type::echo_request, 1, 1, {});
  auto res = h.n.send(req);
  REQUIRE_FALSE(res);
  CHECK(res.error().code == errc::eaddrnotavail);
  CHECK(h.raw.empty());
}

// ---- NDP input and echo ---------------------------------------------------------

TEST_CASE("echo request from an unknown neighbour is answered once it is resolved",
          "[control][echo]") {
  harness h;
  h.complete_dad();
  const bytevec data{'u', 'm', 'i'};  // odd length: the checksum pads
  h.input(frame(our_mac, peer_ll, our_ll, 58, 64,
                echo_msg(wire::icmp6_type::echo_request, 0x4242, 7, data)));

  // The reply waits for address resolution: a multicast NS goes out first.
  REQUIRE(h.raw.size() == 1);
  const auto ns = h.sent(0);
  CHECK(ns.eth_dst == mac_of("33:33:ff:00:00:02"));
  CHECK(ns.src == our_ll);
  CHECK(ns.dst == ip6_of("ff02::1:ff00:2"));
  CHECK(ns.hlim == 255);
  CHECK(ns.checksum_ok);
  CHECK(ns.type() == wire::icmp6_type::neighbor_solicit);
  auto nsv = wire::ns_view::parse(ns.l4);
  REQUIRE(nsv);
  CHECK(nsv->target() == peer_ll);
  auto ns_opts = wire::parse_nd_options(nsv->options());
  REQUIRE(ns_opts);
  CHECK(ns_opts->src_lladdr == our_mac);

  h.input(frame(our_mac, peer_ll, our_ll, 58, 255, na_msg(peer_ll, true, true, peer_mac)));
  REQUIRE(h.raw.size() == 2);
  const auto r = h.sent(1);
  CHECK(r.eth_dst == peer_mac);
  CHECK(r.eth_src == our_mac);
  CHECK(r.src == our_ll);  // source and destination swapped
  CHECK(r.dst == peer_ll);
  CHECK(r.hlim == 64);
  CHECK(r.checksum_ok);
  CHECK(r.type() == wire::icmp6_type::echo_reply);
  CHECK(r.code() == 0);
  auto e = wire::echo_view::parse(r.l4);
  REQUIRE(e);
  CHECK(e->ident() == 0x4242);
  CHECK(e->seq() == 7);
  CHECK(bytevec(e->data().begin(), e->data().end()) == data);
  CHECK(h.count(stats::icmp6::reflect) == 1);
  CHECK(h.n.neighbors().find(h.ifindex, peer_ll)->state == umi::nd::nud_state::reachable);
}

TEST_CASE("NS with a source lladdr is answered and lets the echo reply go at once",
          "[control][echo]") {
  harness h;
  h.complete_dad();
  h.input(frame(our_sn_mac, peer_ll, our_ll.solicited_node(), 58, 255, ns_msg(our_ll, peer_mac)));
  REQUIRE(h.raw.size() == 1);
  const auto na = h.sent(0);
  CHECK(na.eth_dst == peer_mac);
  CHECK(na.src == our_ll);
  CHECK(na.dst == peer_ll);
  CHECK(na.hlim == 255);
  CHECK(na.checksum_ok);
  auto nav = wire::na_view::parse(na.l4);
  REQUIRE(nav);
  CHECK(nav->solicited());
  CHECK(nav->override_flag());
  CHECK(nav->target() == our_ll);
  const auto* n = h.n.neighbors().find(h.ifindex, peer_ll);
  REQUIRE(n != nullptr);
  CHECK(n->lladdr == peer_mac);

  h.input(
      frame(our_mac, peer_ll, our_ll, 58, 64, echo_msg(wire::icmp6_type::echo_request, 1, 2, {})));
  REQUIRE(h.raw.size() == 2);
  const auto r = h.sent(1);
  CHECK(r.eth_dst == peer_mac);
  CHECK(r.type() == wire::icmp6_type::echo_reply);
  CHECK(r.checksum_ok);
}

TEST_CASE("NS with a hop limit other than 255 is ignored and counted", "[control][ndp]") {
  harness h;
  h.complete_dad();
  h.input(frame(our_sn_mac, peer_ll, our_ll.solicited_node(), 58, 64, ns_msg(our_ll, peer_mac)));
  CHECK(h.raw.empty());
  CHECK(h.count(stats::icmp6::nd_badhlim) == 1);
  CHECK(h.n.neighbors().find(h.ifindex, peer_ll) == nullptr);
}

TEST_CASE("NS for an address that is not ours is neither answered nor learned from",
          "[control][ndp]") {
  // RFC 4861 §7.2.3: silently discarded.
  harness h;
  h.complete_dad();
  const auto other = ip6_of("fe80::ff:fe00:9");
  h.input(frame(other.solicited_node().multicast_mac(), peer_ll, other.solicited_node(), 58, 255,
                ns_msg(other, peer_mac)));
  CHECK(h.raw.empty());
  CHECK(h.n.neighbors().find(h.ifindex, peer_ll) == nullptr);
}

TEST_CASE("NS from the unspecified address with a source lladdr is invalid", "[control][ndp]") {
  // RFC 4861 §7.1.1.
  harness h;
  h.complete_dad();
  h.input(
      frame(our_sn_mac, unspecified, our_ll.solicited_node(), 58, 255, ns_msg(our_ll, peer_mac)));
  CHECK(h.raw.empty());
  CHECK(h.count(stats::icmp6::nd_invalid) == 1);
}

TEST_CASE("ICMPv6 with a bad checksum is dropped and counted", "[control][echo]") {
  harness h;
  h.complete_dad();
  auto f = frame(our_mac, peer_ll, our_ll, 58, 64,
                 echo_msg(wire::icmp6_type::echo_request, 1, 1, {1, 2, 3, 4}));
  f.back() ^= 0xff;
  h.input(f);
  CHECK(h.raw.empty());
  CHECK(h.count(stats::icmp6::checksum) == 1);
}

TEST_CASE("echo request to a tentative address is silently discarded", "[control][dad]") {
  // RFC 4862 §5.4: packets addressed to a tentative address other than those
  // for DAD are silently discarded; nor may a tentative address be a source.
  harness h;
  REQUIRE(h.n.set_neighbor(h.ifindex, peer_ll, peer_mac, false));
  REQUIRE(h.addr(our_ll)->tentative);
  h.input(
      frame(our_mac, peer_ll, our_ll, 58, 64, echo_msg(wire::icmp6_type::echo_request, 1, 1, {})));
  CHECK(h.raw.empty());
  CHECK(h.count(stats::icmp6::reflect) == 0);
}

TEST_CASE("UDP to a tentative address gets no port unreachable", "[control][dad]") {
  harness h;
  REQUIRE(h.n.set_neighbor(h.ifindex, peer_ll, peer_mac, false));
  h.input(frame(our_mac, peer_ll, our_ll, 17, 64, {0x30, 0x39, 0x00, 0x07, 0x00, 0x08, 0, 0}));
  CHECK(h.raw.empty());
}

TEST_CASE("a ping6 echo reply is reported and confirms the neighbour", "[control][echo]") {
  harness h;
  h.complete_dad();
  h.input(frame(our_sn_mac, peer_ll, our_ll.solicited_node(), 58, 255,
                ns_msg(our_ll, peer_mac)));  // peer known, STALE
  h.raw.clear();
  umi::node::send_request req;
  req.dst = peer_ll;
  req.ifindex = h.ifindex;
  req.payload = echo_msg(wire::icmp6_type::echo_request, 0x99, 3, {'x'});
  auto res = h.n.send(req);
  REQUIRE(res);
  CHECK(res->src == our_ll);
  REQUIRE(h.raw.size() == 1);
  CHECK(h.sent(0).checksum_ok);
  CHECK(h.sent(0).type() == wire::icmp6_type::echo_request);

  h.input(frame(our_mac, peer_ll, our_ll, 58, 64,
                echo_msg(wire::icmp6_type::echo_reply, 0x99, 3, {'x'})));
  REQUIRE(h.echo_replies.size() == 1);
  CHECK(h.echo_replies[0].ident == 0x99);
  CHECK(h.echo_replies[0].seq == 3);
  CHECK(h.echo_replies[0].from == peer_ll);
  CHECK(h.echo_replies[0].hlim == 64);
  CHECK(h.echo_replies[0].payload == bytevec{'x'});
  CHECK(h.n.neighbors().find(h.ifindex, peer_ll)->state == umi::nd::nud_state::reachable);
}

// ---- ICMPv6 errors ---------------------------------------------------------------

TEST_CASE("unknown next header to our address gets Parameter Problem code 1", "[control][icmp]") {
  harness h;
  h.complete_dad();
  REQUIRE(h.n.set_neighbor(h.ifindex, peer_ll, peer_mac, false));
  const auto in = frame(our_mac, peer_ll, our_ll, 253, 64, bytevec(8, 0xee));
  h.input(in);
  REQUIRE(h.raw.size() == 1);
  const auto e = h.sent(0);
  CHECK(e.eth_dst == peer_mac);
  CHECK(e.src == our_ll);
  CHECK(e.dst == peer_ll);
  CHECK(e.checksum_ok);
  CHECK(e.type() == wire::icmp6_type::param_problem);
  CHECK(e.code() == 1);
  CHECK(umi::load_be32(&e.l4.at(4)) == 6);  // the Next Header field of the IPv6 header
  CHECK(bytevec(e.l4.begin() + 8, e.l4.end()) == bytevec(in.begin() + 14, in.end()));
  CHECK(h.count(stats::ip6::nxthdr_unknown) == 1);
  CHECK(h.count(stats::icmp6::error) == 1);
  CHECK(h.n.counters().icmp6_out_hist[wire::icmp6_type::param_problem] == 1);
}

TEST_CASE("unknown next header after an extension header points at that header",
          "[control][icmp]") {
  harness h;
  h.complete_dad();
  REQUIRE(h.n.set_neighbor(h.ifindex, peer_ll, peer_mac, false));
  const bytevec dstopts{253, 0, 0x01, 0x04, 0, 0, 0, 0};
  bytevec l4 = dstopts;
  l4.insert(l4.end(), 8, 0xee);
  h.input(frame(our_mac, peer_ll, our_ll, 60, 64, l4));
  REQUIRE(h.raw.size() == 1);
  const auto e = h.sent(0);
  CHECK(e.type() == wire::icmp6_type::param_problem);
  CHECK(e.code() == 1);
  CHECK(umi::load_be32(&e.l4.at(4)) == 40);
}

TEST_CASE("UDP to our address gets port unreachable", "[control][icmp]") {
  harness h;
  h.complete_dad();
  REQUIRE(h.n.set_neighbor(h.ifindex, peer_ll, peer_mac, false));
  const auto in =
      frame(our_mac, peer_ll, our_ll, 17, 64, {0x30, 0x39, 0x00, 0x07, 0x00, 0x08, 0, 0});
  h.input(in);
  REQUIRE(h.raw.size() == 1);
  const auto e = h.sent(0);
  CHECK(e.eth_dst == peer_mac);
  CHECK(e.src == our_ll);
  CHECK(e.dst == peer_ll);
  CHECK(e.checksum_ok);
  CHECK(e.type() == wire::icmp6_type::dst_unreach);
  CHECK(e.code() == 4);
  CHECK(umi::load_be32(&e.l4.at(4)) == 0);  // unused
  CHECK(bytevec(e.l4.begin() + 8, e.l4.end()) == bytevec(in.begin() + 14, in.end()));
}

TEST_CASE("no ICMPv6 error for an unknown next header sent to all-nodes", "[control][icmp]") {
  harness h;
  h.complete_dad();
  REQUIRE(h.n.set_neighbor(h.ifindex, peer_ll, peer_mac, false));
  h.input(frame(all_nodes_mac, peer_ll, ip6_of("ff02::1"), 253, 64, bytevec(8, 0xee)));
  CHECK(h.raw.empty());
  CHECK(h.count(stats::ip6::nxthdr_unknown) == 1);
  CHECK(h.count(stats::icmp6::canterror) == 1);
}

// ---- control operations ----------------------------------------------------------

TEST_CASE("down then up restores a deleted link-local address and re-runs DAD",
          "[control][ifconfig]") {
  harness h;
  h.complete_dad();
  REQUIRE(h.n.delete_address("vtnet0", our_ll));
  CHECK(h.ifp().addrs.empty());
  REQUIRE(h.n.set_up("vtnet0", false));
  CHECK_FALSE(h.ifp().up);
  h.run_for(3s);
  CHECK(h.raw.empty());

  REQUIRE(h.n.set_up("vtnet0", true));
  const auto* a = h.addr(our_ll);
  REQUIRE(a != nullptr);
  CHECK(a->tentative);
  REQUIRE(h.run_until_tx(1010ms));
  check_dad_ns(h.sent(0), our_ll);
  h.run_for(1010ms);
  CHECK_FALSE(h.addr(our_ll)->tentative);
  REQUIRE(h.raw.size() == 2);
  CHECK(h.sent(1).type() == wire::icmp6_type::neighbor_advert);
}

TEST_CASE("down then up re-runs DAD on every address", "[control][ifconfig]") {
  harness h;
  h.complete_dad();
  const auto global = ip6_of("2001:db8::1");
  REQUIRE(h.n.add_address("vtnet0", global, {}));
  CHECK(h.addr(global)->tentative);
  h.run_for(2100ms);
  REQUIRE_FALSE(h.addr(global)->tentative);
  h.raw.clear();

  REQUIRE(h.n.set_up("vtnet0", false));
  REQUIRE(h.n.set_up("vtnet0", true));
  CHECK(h.addr(our_ll)->tentative);
  CHECK(h.addr(global)->tentative);
  h.run_for(2100ms);
  CHECK_FALSE(h.addr(our_ll)->tentative);
  CHECK_FALSE(h.addr(global)->tentative);
  std::vector<ip6_addr> dad_targets;
  for (std::size_t i = 0; i < h.raw.size(); ++i) {
    const auto f = h.sent(i);
    if (f.type() == wire::icmp6_type::neighbor_solicit && f.src == unspecified) {
      auto ns = wire::ns_view::parse(f.l4);
      REQUIRE(ns);
      dad_targets.push_back(ns->target());
    }
  }
  std::sort(dad_targets.begin(), dad_targets.end());
  CHECK(dad_targets == std::vector<ip6_addr>{global, our_ll});
}

TEST_CASE("add_address without alias replaces the first address", "[control][ifconfig]") {
  harness h;
  h.complete_dad();
  REQUIRE(h.n.add_address("vtnet0", ip6_of("2001:db8::1"), {}));
  REQUIRE(h.ifp().addrs.size() == 2);
  REQUIRE(h.ifp().addrs[0].addr == our_ll);

  REQUIRE(h.n.add_address("vtnet0", ip6_of("2001:db8::2"), {.alias = false}));
  CHECK(h.ifp().addrs.size() == 2);
  CHECK(h.addr(our_ll) == nullptr);
  CHECK(h.addr(ip6_of("2001:db8::1")) != nullptr);
  REQUIRE(h.addr(ip6_of("2001:db8::2")) != nullptr);
  CHECK(h.addr(ip6_of("2001:db8::2"))->tentative);
}

TEST_CASE("add_address refused with EEXIST leaves the interface unchanged", "[control][ifconfig]") {
  harness h;
  REQUIRE(h.n.add_interface("vtnet1", 1, mac_of("02:00:00:00:00:03"), 1500) == 2);
  REQUIRE(h.n.add_address("vtnet1", ip6_of("2001:db8::1"), {}));
  const auto before = h.ifp().addrs.size();

  auto r = h.n.add_address("vtnet0", ip6_of("2001:db8::1"), {.alias = false});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::eexist);
  CHECK(h.ifp().addrs.size() == before);
  CHECK(h.addr(our_ll) != nullptr);  // a failed request must not delete anything
}

TEST_CASE("add_address rejects addresses an interface cannot hold", "[control][ifconfig]") {
  harness h;
  for (const char* bad : {"ff02::1", "::", "::1"}) {
    INFO(bad);
    auto r = h.n.add_address("vtnet0", ip6_of(bad), {});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::einval);
  }
  auto plen = h.n.add_address("vtnet0", ip6_of("2001:db8::1"), {.plen = 129});
  REQUIRE_FALSE(plen);
  CHECK(plen.error().code == errc::einval);
  CHECK(h.ifp().addrs.size() == 1);
}

TEST_CASE("deleting an address that is not there gives EADDRNOTAVAIL", "[control][ifconfig]") {
  harness h;
  auto r = h.n.delete_address("vtnet0", ip6_of("2001:db8::99"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::eaddrnotavail);
  CHECK(std::string(umi::node::errc_name(r.error().code)) == "EADDRNOTAVAIL");
  CHECK(h.ifp().addrs.size() == 1);
}

TEST_CASE("operations on a missing interface give ENXIO", "[control][ifconfig]") {
  harness h;
  auto up = h.n.set_up("vtnet9", true);
  REQUIRE_FALSE(up);
  CHECK(up.error().code == errc::enxio);
  auto add = h.n.add_address("vtnet9", ip6_of("2001:db8::1"), {});
  REQUIRE_FALSE(add);
  CHECK(add.error().code == errc::enxio);
  auto del = h.n.delete_address("vtnet9", our_ll);
  REQUIRE_FALSE(del);
  CHECK(del.error().code == errc::enxio);
}

TEST_CASE("unrecognised option with action 10 gets Parameter Problem code 2", "[control][icmp]") {
  harness h;
  h.complete_dad();
  REQUIRE(h.n.set_neighbor(h.ifindex, peer_ll, peer_mac, false));
  bytevec l4{58, 0, 0x9e, 0x04, 0, 0, 0, 0};  // destination options, option type 0x9e
  const auto echo = echo_msg(wire::icmp6_type::echo_request, 1, 1, {});
  l4.insert(l4.end(), echo.begin(), echo.end());
  h.input(frame(our_mac, peer_ll, our_ll, 60, 64, l4));
  REQUIRE(h.raw.size() == 1);
  const auto e = h.sent(0);
  CHECK(e.type() == wire::icmp6_type::param_problem);
  CHECK(e.code() == 2);
  CHECK(umi::load_be32(&e.l4.at(4)) == 42);  // the option type byte
  CHECK(e.checksum_ok);
}

TEST_CASE("no ICMPv6 error in reply to an ICMPv6 error behind extension headers",
          "[control][icmp]") {
  // RFC 4443 §2.4 (e.1): never in reply to an ICMPv6 error message, wherever
  // its header sits in the chain (KAME icmp6_error looks with ip6_lasthdr).
  harness h;
  h.complete_dad();
  REQUIRE(h.n.set_neighbor(h.ifindex, peer_ll, peer_mac, false));
  bytevec l4{58, 0, 0x9e, 0x04, 0, 0, 0, 0};  // destination options, option type 0x9e
  const bytevec unreach{wire::icmp6_type::dst_unreach, 4, 0, 0, 0, 0, 0, 0};
  l4.insert(l4.end(), unreach.begin(), unreach.end());
  h.input(frame(our_mac, peer_ll, our_ll, 60, 64, l4));
  CHECK(h.raw.empty());
  CHECK(h.count(stats::icmp6::canterror) == 1);
}

TEST_CASE("ICMPv6 errors are rate limited", "[control][icmp]") {
  umi::node::node_config cfg;
  cfg.icmp6_errppslimit = 5;
  harness h(cfg);
  h.complete_dad();
  REQUIRE(h.n.set_neighbor(h.ifindex, peer_ll, peer_mac, false));
  const auto udp =
      frame(our_mac, peer_ll, our_ll, 17, 64, {0x30, 0x39, 0x00, 0x07, 0x00, 0x08, 0, 0});
  for (int i = 0; i < 6; ++i) h.input(udp);
  CHECK(h.raw.size() == 5);
  CHECK(h.count(stats::icmp6::toofreq) == 1);
  h.clock.advance(200ms);  // one token back
  h.input(udp);
  h.input(udp);
  CHECK(h.raw.size() == 6);
  CHECK(h.count(stats::icmp6::toofreq) == 2);
}

TEST_CASE("ping6 to a neighbour that never answers reports address unreachable",
          "[control][icmp]") {
  // RFC 4861 §7.2.2: after MAX_MULTICAST_SOLICIT unanswered NS, ICMPv6
  // destination unreachable (code 3) for each held packet; ours come back to us.
  harness h;
  h.complete_dad();
  umi::node::send_request req;
  req.dst = peer_ll;
  req.ifindex = h.ifindex;
  req.payload = echo_msg(wire::icmp6_type::echo_request, 0x77, 9, {});
  REQUIRE(h.n.send(req));
  h.run_for(3100ms);
  REQUIRE(h.raw.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(h.sent(i).type() == wire::icmp6_type::neighbor_solicit);
  REQUIRE(h.icmp_errors.size() == 1);
  CHECK(h.icmp_errors[0].type == wire::icmp6_type::dst_unreach);
  CHECK(h.icmp_errors[0].code == 3);
  CHECK(h.icmp_errors[0].ident == 0x77);
  CHECK(h.icmp_errors[0].seq == 9);
  CHECK(h.n.neighbors().find(h.ifindex, peer_ll) == nullptr);
  CHECK(h.count(stats::icmp6::nd_queue_drop) == 1);
}

// ---- IPv4 reassembly (RFC 791 §3.2) -----------------------------------------------

namespace {
constexpr std::uint32_t our4 = 0xc0000201;   // 192.0.2.1
constexpr std::uint32_t peer4 = 0xc0000202;  // 192.0.2.2

// One IPv4 fragment of an echo request: `data` is the slice of the ICMP
// message at byte `offset`.
bytevec frag4(std::uint16_t ident, std::size_t offset, bool more, const bytevec& data) {
  bytevec f(14 + 20 + data.size());
  wire::ethernet_repr{our_mac, peer_mac, 0x0800}.emit(f);
  wire::ipv4_repr ip;
  ip.src = peer4;
  ip.dst = our4;
  ip.protocol = 1;
  ip.ident = ident;
  ip.total_length = static_cast<std::uint16_t>(20 + data.size());
  ip.emit(umi::mut_bytes(f).subspan(14));
  umi::store_be16(&f[14 + 6], static_cast<std::uint16_t>((offset / 8) | (more ? 0x2000 : 0)));
  umi::store_be16(&f[14 + 10], 0);
  umi::store_be16(&f[14 + 10], static_cast<std::uint16_t>(
                                   ~wire::fold(wire::sum16(umi::bytes(f.data() + 14, 20)))));
  std::copy(data.begin(), data.end(), f.begin() + 34);
  return f;
}

// A 2000-byte echo request (ICMP checksum filled in), whole.
bytevec echo4(std::uint16_t seq) {
  bytevec m = echo_msg(8, 0x4242, seq, bytevec(1992, 0x5a));
  umi::store_be16(&m[2], static_cast<std::uint16_t>(~wire::fold(wire::sum16(umi::bytes(m)))));
  return m;
}

struct harness4 : harness {
  harness4() {
    REQUIRE(n.add_address4("vtnet0", our4, 24, {}));
    REQUIRE(n.set_arp(peer4, peer_mac, false));
    complete_dad();
  }
  std::uint64_t count(stats::ip s) const { return n.counters().ip[static_cast<std::size_t>(s)]; }
  // The ICMP messages the node sent, as (type, code).
  std::vector<std::pair<int, int>> icmp_sent() const {
    std::vector<std::pair<int, int>> out;
    for (const auto& [port, f] : raw)
      if (f.size() > 34 && umi::load_be16(&f[12]) == 0x0800 && f[14 + 9] == 1 &&
          umi::load_be16(&f[14 + 6]) == 0)  // whole datagrams only
        out.emplace_back(f[34], f[35]);
    return out;
  }
};
}  // namespace

TEST_CASE("IPv4 fragments to us are reassembled in any order and answered", "[control][ip4]") {
  harness4 h;
  const bytevec m = echo4(1);
  h.input(frag4(7, 1480, false, bytevec(m.begin() + 1480, m.end())));
  h.input(frag4(7, 0, true, bytevec(m.begin(), m.begin() + 1480)));
  CHECK(h.count(stats::ip::fragments) == 2);
  CHECK(h.count(stats::ip::reassembled) == 1);
  CHECK(h.count(stats::ip::delivered) == 1);
  // The 2028-byte reply leaves in two fragments of its own.
  CHECK(h.count(stats::ip::ofragments) == 2);
}

TEST_CASE("overlapping IPv4 fragments discard the datagram", "[control][ip4]") {
  harness4 h;
  const bytevec m = echo4(2);
  h.input(frag4(8, 0, true, bytevec(m.begin(), m.begin() + 1480)));
  h.input(frag4(8, 1472, false, bytevec(m.begin() + 1472, m.end())));
  CHECK(h.count(stats::ip::fragdropped) == 1);
  CHECK(h.count(stats::ip::reassembled) == 0);
  CHECK(h.icmp_sent().empty());
}

TEST_CASE("an incomplete IPv4 datagram times out with Time Exceeded code 1", "[control][ip4]") {
  harness4 h;
  const bytevec m = echo4(3);
  h.input(frag4(9, 0, true, bytevec(m.begin(), m.begin() + 1480)));
  h.run_for(59s, 1s);
  CHECK(h.count(stats::ip::fragtimeout) == 0);
  h.run_for(2s, 1s);
  CHECK(h.count(stats::ip::fragtimeout) == 1);
  CHECK(h.icmp_sent() == std::vector<std::pair<int, int>>{{11, 1}});
  // A lone non-first fragment times out silently.
  h.raw.clear();
  h.input(frag4(10, 1480, false, bytevec(m.begin() + 1480, m.end())));
  h.run_for(61s, 1s);
  CHECK(h.count(stats::ip::fragtimeout) == 2);
  CHECK(h.icmp_sent().empty());
}

TEST_CASE("non-final IPv4 fragments must carry a multiple of 8 bytes", "[control][ip4]") {
  harness4 h;
  h.input(frag4(11, 0, true, bytevec(1001, 1)));
  CHECK(h.count(stats::ip::fragdropped) == 1);
}

// ---- node information (RFC 4620) ---------------------------------------------------

namespace {

bytevec ni_query(std::uint8_t code, std::uint16_t qtype, std::uint16_t flags, bytevec subject) {
  wire::ni_repr q;
  q.type = wire::icmp6_type::ni_query;
  q.code = code;
  q.qtype = qtype;
  q.flags = flags;
  q.nonce = {0, 7, 0x12, 0x34, 1, 2, 3, 4};
  q.data = std::move(subject);
  return q.emit();
}
bytevec subject6(const ip6_addr& a) {
  return bytevec(a.b.begin(), a.b.end());
}

// A node whose addresses skip DAD, with the peer's link-layer address known.
struct ni_harness : harness {
  static umi::node::node_config cfg() {
    umi::node::node_config c;
    c.dad_count = 0;
    return c;
  }
  ni_harness() : harness(cfg()) {
    REQUIRE(n.set_neighbor(ifindex, peer_ll, peer_mac, false));
    REQUIRE(n.set_neighbor(ifindex, peer_global, peer_mac, false));
    REQUIRE(n.add_address("vtnet0", our_global, {}));
    raw.clear();
  }
  // The one reply sent, checked for what every reply shares.
  wire::ni_view reply() {
    REQUIRE(raw.size() == 1);
    last = sent(0);
    CHECK(last.checksum_ok);
    auto v = wire::ni_view::parse(last.l4);
    REQUIRE(v);
    CHECK(v->type() == wire::icmp6_type::ni_reply);
    CHECK(v->nonce() == std::array<std::uint8_t, 8>{0, 7, 0x12, 0x34, 1, 2, 3, 4});
    return *v;
  }
  const ip6_addr our_global = ip6_of("2001:db8:1::1");
  const ip6_addr peer_global = ip6_of("2001:db8:1::2");
  sent_frame last;
};

}  // namespace

TEST_CASE("NI node name query is answered with TTL 0 and the DNS-wire name", "[control][ni]") {
  ni_harness h;
  h.input(frame(our_mac, peer_ll, our_ll, 58, 64,
                ni_query(wire::ni::subj_ipv6, wire::ni::qtype_node_name, 0, subject6(our_ll))));
  auto r = h.reply();
  CHECK(h.last.src == our_ll);
  CHECK(h.last.dst == peer_ll);
  CHECK(r.code() == wire::ni::success);
  CHECK(r.qtype() == wire::ni::qtype_node_name);
  CHECK(bytevec(r.data().begin(), r.data().end()) ==
        bytevec{0, 0, 0, 0, 7, 'u', 'm', 'i', 'g', 'a', 'm', 'e', 0, 0});
  CHECK(h.count(stats::icmp6::reflect) == 1);
}

TEST_CASE("NI query to all-nodes with the group as subject is answered (ping6 -w ff02::1)",
          "[control][ni]") {
  ni_harness h;
  h.input(frame(
      all_nodes_mac, peer_ll, umi::ip6::all_nodes, 58, 64,
      ni_query(wire::ni::subj_ipv6, wire::ni::qtype_node_name, 0, subject6(umi::ip6::all_nodes))));
  h.reply();
  CHECK(h.last.src == our_ll);  // a unicast source of the arrival link
}

TEST_CASE("NI unknown qtype gets code 2 and no data", "[control][ni]") {
  ni_harness h;
  h.input(frame(our_mac, peer_ll, our_ll, 58, 64,
                ni_query(wire::ni::subj_ipv6, 99, 0, subject6(our_ll))));
  auto r = h.reply();
  CHECK(r.code() == wire::ni::unknown_qtype);
  CHECK(r.qtype() == 99);
  CHECK(r.data().empty());
}

TEST_CASE("NI supported qtypes and NOOP take an empty subject", "[control][ni]") {
  ni_harness h;
  h.input(frame(our_mac, peer_ll, our_ll, 58, 64,
                ni_query(wire::ni::subj_name, wire::ni::qtype_supported, 0, {})));
  auto r = h.reply();
  auto q = wire::decode_qtypes(r.data(), false);
  REQUIRE(q);
  CHECK(*q == std::vector<std::uint16_t>{0, 1, 2, 3, 4});
  h.raw.clear();
  h.input(frame(our_mac, peer_ll, our_ll, 58, 64,
                ni_query(wire::ni::subj_name, wire::ni::qtype_noop, 0, {})));
  CHECK(h.reply().data().empty());
}

TEST_CASE("NI queries with bad lengths are counted and dropped", "[control][ni]") {
  ni_harness h;
  bytevec shortq = ni_query(wire::ni::subj_ipv6, wire::ni::qtype_node_name, 0, {});
  shortq.resize(12);
  h.input(frame(our_mac, peer_ll, our_ll, 58, 64, shortq));
  // An IPv6 subject of 15 bytes, an IPv4 subject of 3, a name running off.
  h.input(frame(our_mac, peer_ll, our_ll, 58, 64,
                ni_query(wire::ni::subj_ipv6, wire::ni::qtype_node_name, 0, bytevec(15, 0))));
  h.input(frame(our_mac, peer_ll, our_ll, 58, 64,
                ni_query(wire::ni::subj_ipv4, wire::ni::qtype_node_name, 0, bytevec(3, 0))));
  h.input(frame(our_mac, peer_ll, our_ll, 58, 64,
                ni_query(wire::ni::subj_name, wire::ni::qtype_node_name, 0, {9, 'a', 'b'})));
  CHECK(h.raw.empty());
  CHECK(h.count(stats::icmp6::badlen) == 4);
  h.input(frame(our_mac, peer_ll, our_ll, 58, 64,
                ni_query(7, wire::ni::qtype_node_name, 0, subject6(our_ll))));
  CHECK(h.raw.empty());
  CHECK(h.count(stats::icmp6::badcode) == 1);
}

TEST_CASE("NI queries about another node are not answered", "[control][ni]") {
  ni_harness h;
  h.input(frame(our_mac, peer_ll, our_ll, 58, 64,
                ni_query(wire::ni::subj_ipv6, wire::ni::qtype_node_name, 0, subject6(peer_ll))));
  h.input(frame(our_mac, peer_ll, our_ll, 58, 64,
                ni_query(wire::ni::subj_name, wire::ni::qtype_node_name, 0,
                         *wire::encode_dns_name("other"))));
  // A link-local multicast group we did not join.
  h.input(frame(mac_of("33:33:00:00:00:99"), peer_ll, ip6_of("ff02::99"), 58, 64,
                ni_query(wire::ni::subj_name, wire::ni::qtype_noop, 0, {})));
  CHECK(h.raw.empty());
  CHECK(h.count(stats::icmp6::ni_discarded) == 3);
}

TEST_CASE("NI queries from global sources are refused unless nodeinfo allows them",
          "[control][ni]") {
  ni_harness h;
  const auto q = [&] {
    h.input(
        frame(our_mac, h.peer_global, h.our_global, 58, 64,
              ni_query(wire::ni::subj_ipv6, wire::ni::qtype_node_name, 0, subject6(h.our_global))));
  };
  q();
  auto r = h.reply();
  CHECK(r.code() == wire::ni::refused);
  CHECK(r.data().empty());
  CHECK(h.count(stats::icmp6::ni_refused) == 1);
  h.raw.clear();
  REQUIRE(h.n.sysctl().set("net.inet6.icmp6.nodeinfo", "11"));
  q();
  CHECK(h.reply().code() == wire::ni::success);
  CHECK(h.last.src == h.our_global);
}

TEST_CASE("NI nodeinfo bits refuse names and addresses separately", "[control][ni]") {
  ni_harness h;
  REQUIRE(h.n.sysctl().set("net.inet6.icmp6.nodeinfo", "2"));
  h.input(frame(our_mac, peer_ll, our_ll, 58, 64,
                ni_query(wire::ni::subj_ipv6, wire::ni::qtype_node_name, 0, subject6(our_ll))));
  CHECK(h.reply().code() == wire::ni::refused);
  h.raw.clear();
  h.input(frame(our_mac, peer_ll, our_ll, 58, 64,
                ni_query(wire::ni::subj_ipv6, wire::ni::qtype_node_addrs, wire::ni::flag_link,
                         subject6(our_ll))));
  CHECK(h.reply().code() == wire::ni::success);
  h.raw.clear();
  REQUIRE(h.n.sysctl().set("net.inet6.icmp6.nodeinfo", "1"));
  h.input(frame(our_mac, peer_ll, our_ll, 58, 64,
                ni_query(wire::ni::subj_ipv6, wire::ni::qtype_node_addrs, wire::ni::flag_link,
                         subject6(our_ll))));
  CHECK(h.reply().code() == wire::ni::refused);
}

TEST_CASE("NI node addresses follow the scope flags", "[control][ni]") {
  ni_harness h;
  auto addrs = [&](std::uint16_t flags) {
    h.raw.clear();
    h.input(
        frame(our_mac, peer_ll, our_ll, 58, 64,
              ni_query(wire::ni::subj_ipv6, wire::ni::qtype_node_addrs, flags, subject6(our_ll))));
    auto r = h.reply();
    CHECK(r.flags() == flags);
    auto v = wire::decode_addrs(r.data(), false);
    REQUIRE(v);
    std::vector<ip6_addr> out;
    for (const auto& e : *v) {
      CHECK(e.ttl == wire::ni::ttl_infinite);
      out.push_back(e.addr);
    }
    return out;
  };
  CHECK(addrs(wire::ni::flag_link) == std::vector<ip6_addr>{our_ll});
  CHECK(addrs(wire::ni::flag_global) == std::vector<ip6_addr>{h.our_global});
  CHECK(addrs(wire::ni::flag_link | wire::ni::flag_global) ==
        std::vector<ip6_addr>{our_ll, h.our_global});
  CHECK(addrs(0).empty());  // KAME: no scope asked, none returned
}

TEST_CASE("NI IPv4 addresses query lists the interface's IPv4 addresses", "[control][ni]") {
  ni_harness h;
  REQUIRE(h.n.add_address4("vtnet0", 0xc0000201, 24, true));  // 192.0.2.1
  h.raw.clear();
  h.input(frame(our_mac, peer_ll, our_ll, 58, 64,
                ni_query(wire::ni::subj_ipv4, wire::ni::qtype_ipv4_addrs, 0, {192, 0, 2, 1})));
  // The gratuitous ARP went out with the address; the reply is the last frame.
  REQUIRE_FALSE(h.raw.empty());
  auto f = decode(h.raw.back().first, h.raw.back().second);
  auto r = wire::ni_view::parse(f.l4);
  REQUIRE(r);
  auto v = wire::decode_addrs(r->data(), true);
  REQUIRE(v);
  REQUIRE(v->size() == 1);
  CHECK((*v)[0].addr == ip6_of("::ffff:192.0.2.1"));
}

TEST_CASE("NI group follows the hostname, and a name subject must match it", "[control][ni]") {
  ni_harness h;
  const ip6_addr old_group = *wire::ni_group_address("umigame");
  CHECK(h.ifp().groups().count(old_group) == 1);
  CHECK(h.ifp().groups().count(*wire::ni_group_address_kame("umigame")) == 1);
  REQUIRE(h.n.sysctl().set("kern.hostname", "Banana.example"));
  const ip6_addr group = *wire::ni_group_address("banana");
  CHECK(h.ifp().groups().count(old_group) == 0);
  CHECK(h.ifp().groups().count(group) == 1);
  h.raw.clear();
  h.input(frame(group.multicast_mac(), peer_ll, group, 58, 64,
                ni_query(wire::ni::subj_name, wire::ni::qtype_node_name, 0,
                         *wire::encode_dns_name("banana"))));
  auto r = h.reply();
  auto names = wire::decode_dns_names(r.data().subspan(4));
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"Banana.example."});
  h.raw.clear();
  h.input(frame(old_group.multicast_mac(), peer_ll, old_group, 58, 64,
                ni_query(wire::ni::subj_name, wire::ni::qtype_node_name, 0,
                         *wire::encode_dns_name("umigame"))));
  CHECK(h.raw.empty());
  CHECK_FALSE(h.n.sysctl().set("kern.hostname", "bad..name"));
}

TEST_CASE("NI replies are rate limited with the ICMPv6 error rate", "[control][ni]") {
  ni_harness h;
  REQUIRE(h.n.sysctl().set("net.inet6.icmp6.errppslimit", "2"));
  const auto noop = [&] {
    h.input(frame(our_mac, peer_ll, our_ll, 58, 64,
                  ni_query(wire::ni::subj_name, wire::ni::qtype_noop, 0, {})));
  };
  noop();  // starts the bucket's clock
  h.raw.clear();
  for (int i = 0; i < 5; ++i) noop();
  CHECK(h.raw.size() == 2);  // a bucket of 2 per second
  CHECK(h.count(stats::icmp6::ni_toofreq) == 3);
  h.clock.advance(500ms);
  noop();
  CHECK(h.raw.size() == 3);
}

TEST_CASE("NI replies reach the ni_reply listener", "[control][ni]") {
  ni_harness h;
  wire::ni_repr rep;
  rep.type = wire::icmp6_type::ni_reply;
  rep.qtype = wire::ni::qtype_node_name;
  rep.nonce = {0, 3, 0xab, 0xcd, 0, 0, 0, 0};
  rep.data = {0, 0, 0, 0, 3, 'p', 'e', 'e', 0, 0};
  h.input(frame(our_mac, peer_ll, our_ll, 58, 64, rep.emit()));
  REQUIRE(h.ni_replies.size() == 1);
  CHECK(h.ni_replies[0].from == peer_ll);
  CHECK(h.ni_replies[0].qtype == 2);
  CHECK(h.ni_replies[0].len == 26);
  CHECK(h.ni_replies[0].data == rep.data);
  CHECK(h.raw.empty());
}

TEST_CASE("NI random queries never crash and every one is answered or counted", "[control][ni]") {
  ni_harness h;
  REQUIRE(h.n.sysctl().set("net.inet6.icmp6.errppslimit", "0"));  // no limit
  umi::rng r{11};
  const auto counted = [&] {
    return h.count(stats::icmp6::badlen) + h.count(stats::icmp6::badcode) +
           h.count(stats::icmp6::ni_discarded) + h.count(stats::icmp6::reflect);
  };
  for (int n = 0; n < 2000; ++n) {
    bytevec subject(static_cast<std::size_t>(r.uniform(0, 40)));
    for (auto& b : subject) b = static_cast<std::uint8_t>(r.uniform(0, 255));
    if (n % 4 == 0) subject = subject6(our_ll);
    if (n % 4 == 1) subject = *wire::encode_dns_name("umigame");
    const auto before = counted();
    h.input(frame(our_mac, peer_ll, our_ll, 58, 64,
                  ni_query(static_cast<std::uint8_t>(r.uniform(0, 3)),
                           static_cast<std::uint16_t>(r.uniform(0, 6)),
                           static_cast<std::uint16_t>(r.uniform(0, 0xffff)), subject)));
    CHECK(counted() == before + 1);
  }
  CHECK(h.count(stats::icmp6::reflect) == h.raw.size());
  CHECK(h.raw.size() > 100);  // a fair share matched the node and was answered
}
