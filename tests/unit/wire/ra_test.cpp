// Router Solicitation / Advertisement and the Prefix Information option
// (RFC 4861 §4.1, §4.2, §4.6.2, §4.6.4).
#include "stack/wire/ra.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "stack/wire/icmpv6.hpp"
#include "stack/wire/ndp.hpp"
#include "tests/unit/support/fixtures.hpp"

using umi::test::ip6_of;
using umi::test::mac_of;
namespace wire = umi::wire;
using bytevec = std::vector<std::uint8_t>;

namespace {

// RA as radvd sends it for 2001:db8:1::/64: hop limit 64, O set, router
// lifetime 1800 s, reachable 30000 ms, retrans 1000 ms, SLLA, MTU 1480, one
// prefix (L, A, valid 86400, preferred 14400).
const bytevec ra_fixture{
    0x86, 0x00, 0x00, 0x00,                          // type 134 | code | checksum (unset)
    0x40, 0x40, 0x07, 0x08,                          // hop limit 64 | M=0 O=1 | lifetime 1800
    0x00, 0x00, 0x75, 0x30,                          // reachable time 30000
    0x00, 0x00, 0x03, 0xe8,                          // retrans timer 1000
    0x01, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  // SLLA 02:00:00:00:00:02
    0x05, 0x01, 0x00, 0x00, 0x00, 0x00, 0x05, 0xc8,  // MTU 1480
    0x03, 0x04, 0x40, 0xc0,                          // prefix info, /64, L A
    0x00, 0x01, 0x51, 0x80,                          // valid 86400
    0x00, 0x00, 0x38, 0x40,                          // preferred 14400
    0x00, 0x00, 0x00, 0x00,                          // reserved
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,  // 2001:db8:1::
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //
};

bytevec prefix_option(std::uint8_t plen, std::uint8_t flags, std::uint32_t valid,
                      std::uint32_t preferred) {
  bytevec o(32, 0);
  o[0] = 3;
  o[1] = 4;
  o[2] = plen;
  o[3] = flags;
  umi::store_be32(&o[4], valid);
  umi::store_be32(&o[8], preferred);
  o[16] = 0x20;
  o[17] = 0x01;
  o[18] = 0x0d;
  o[19] = 0xb8;
  return o;
}

}  // namespace

TEST_CASE("ra view deconstructs the fixed fields", "[wire][ra]") {
  auto ra = wire::ra_view::parse(ra_fixture);
  REQUIRE(ra);
  CHECK(ra->cur_hop_limit() == 64);
  CHECK_FALSE(ra->managed());
  CHECK(ra->other());
  CHECK(ra->router_lifetime() == 1800);
  CHECK(ra->reachable_time() == 30000);
  CHECK(ra->retrans_timer() == 1000);
  CHECK(ra->options().size() == ra_fixture.size() - 16);
}

TEST_CASE("ra options yield the lladdr, MTU and prefix", "[wire][ra]") {
  auto ra = wire::ra_view::parse(ra_fixture);
  REQUIRE(ra);
  auto o = wire::parse_ra_options(ra->options());
  REQUIRE(o);
  CHECK(o->count == 3);
  CHECK(o->src_lladdr == mac_of("02:00:00:00:00:02"));
  CHECK(o->mtu == 1480u);
  REQUIRE(o->prefixes.size() == 1);
  const auto& p = o->prefixes[0];
  CHECK(p.prefix_len == 64);
  CHECK(p.onlink);
  CHECK(p.autonomous);
  CHECK(p.valid_lifetime == 86400);
  CHECK(p.preferred_lifetime == 14400);
  CHECK(p.prefix == ip6_of("2001:db8:1::"));
  CHECK(o->bad_prefix_len == 0);
}

TEST_CASE("ra shorter than its fixed part is refused", "[wire][ra]") {
  for (std::size_t n = 0; n < 16; ++n) {
    bytevec b(ra_fixture.begin(), ra_fixture.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK(wire::ra_view::parse(b).error() == wire::wire_error::too_short);
  }
  CHECK(wire::ra_view::parse(bytevec(ra_fixture.begin(), ra_fixture.begin() + 16)));
}

TEST_CASE("ra options: zero length, truncation and wrong lengths are malformed", "[wire][ra]") {
  // RFC 4861 §4.6: a zero-length option makes the whole message invalid.
  CHECK_FALSE(wire::parse_ra_options(bytevec{0x01, 0x00, 0, 0, 0, 0, 0, 0}));
  CHECK_FALSE(wire::parse_ra_options(bytevec{0x01}));                       // half an option header
  CHECK_FALSE(wire::parse_ra_options(bytevec{0x05, 0x01, 0, 0, 0, 0}));     // MTU cut short
  CHECK_FALSE(wire::parse_ra_options(bytevec{0x05, 0x02, 0, 0, 0, 0, 0, 0,  // MTU of 16 octets
                                             0, 0, 0, 0, 0, 0, 0, 0}));
  auto p = prefix_option(64, 0xc0, 100, 50);
  p[1] = 3;  // prefix information claiming 24 octets
  p.resize(24);
  CHECK_FALSE(wire::parse_ra_options(p));
  auto cut = prefix_option(64, 0xc0, 100, 50);
  cut.resize(30);
  CHECK_FALSE(wire::parse_ra_options(cut));
  // An unknown option of proper length is skipped.
  auto unknown = wire::parse_ra_options(bytevec{0x99, 0x01, 1, 2, 3, 4, 5, 6});
  REQUIRE(unknown);
  CHECK(unknown->count == 1);
  CHECK(unknown->prefixes.empty());
}

TEST_CASE("a prefix length above 128 skips that prefix only", "[wire][ra]") {
  auto opts = prefix_option(129, 0xc0, 100, 50);
  auto good = prefix_option(64, 0x80, 0xffffffffu, 0xffffffffu);
  opts.insert(opts.end(), good.begin(), good.end());
  auto o = wire::parse_ra_options(opts);
  REQUIRE(o);
  CHECK(o->bad_prefix_len == 1);
  REQUIRE(o->prefixes.size() == 1);
  CHECK(o->prefixes[0].onlink);
  CHECK_FALSE(o->prefixes[0].autonomous);
  CHECK(o->prefixes[0].valid_lifetime == wire::infinite_lifetime);
}

TEST_CASE("rs emitter writes the fixed part and the source lladdr option", "[wire][ra]") {
  bytevec out(wire::rs_max_len, 0xee);
  REQUIRE(wire::emit_rs(out, mac_of("02:00:00:00:00:01")) == 16);
  CHECK(out == bytevec{0x85, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x01, 0x02, 0, 0, 0, 0, 0x01});
  bytevec bare(wire::rs_max_len, 0xee);
  REQUIRE(wire::emit_rs(bare, std::nullopt) == 8);
  CHECK(bytevec(bare.begin(), bare.begin() + 8) == bytevec{0x85, 0, 0, 0, 0, 0, 0, 0});
  // What we emit parses as ND options.
  auto opts = wire::parse_nd_options(umi::bytes(out).subspan(8));
  REQUIRE(opts);
  CHECK(opts->src_lladdr == mac_of("02:00:00:00:00:01"));
}
