// Router Advertisement encoder and reader (RFC 4861 §4.2, §4.6).
#include "stack/wire/ra_build.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "tests/unit/support/fixtures.hpp"

using umi::test::ip6_of;
using umi::test::mac_of;
namespace wire = umi::wire;
using bytevec = std::vector<std::uint8_t>;

namespace {

wire::ra_repr sample() {
  wire::ra_repr ra;
  ra.cur_hop_limit = 64;
  ra.flags = wire::ra_flag_managed;
  ra.router_lifetime = 1800;
  ra.reachable_time = 30000;
  ra.retrans_timer = 1000;
  ra.src_lladdr = mac_of("02:00:00:00:00:01");
  ra.mtu = 1500;
  wire::ra_prefix p;
  p.prefix = ip6_of("2001:db8:1::1");  // host bits are cleared on the wire
  p.plen = 64;
  p.vltime = 86400;
  p.pltime = 14400;
  ra.prefixes.push_back(p);
  return ra;
}

}  // namespace

TEST_CASE("an RA is emitted byte for byte as RFC 4861 §4.2 draws it", "[wire][ra]") {
  const bytevec m = sample().emit();
  const bytevec want{134,  0,    0,    0,                    // type, code, checksum (left zero)
                     64,   0x80, 0x07, 0x08,                 // hop limit, M, router lifetime 1800
                     0,    0,    0x75, 0x30,                 // reachable time 30000
                     0,    0,    0x03, 0xe8,                 // retrans timer 1000
                     1,    1,    2,    0,    0, 0, 0, 1,     // source link-layer address
                     5,    1,    0,    0,    0, 0, 5, 0xdc,  // MTU 1500
                     3,    4,    64,   0xc0,                 // prefix information: /64, L and A
                     0,    1,    0x51, 0x80,                 // valid 86400
                     0,    0,    0x38, 0x40,                 // preferred 14400
                     0,    0,    0,    0,                    // reserved
                     0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0,    0, 0, 0, 0, 0, 0, 0, 0};
  CHECK(m == want);
  CHECK(m.size() == sample().length());
}

TEST_CASE("an RA without options is the 16-octet fixed part", "[wire][ra]") {
  wire::ra_repr ra;
  ra.router_lifetime = 0;
  const bytevec m = ra.emit();
  REQUIRE(m.size() == 16);
  CHECK(m[0] == 134);
  CHECK(m[6] == 0);
  CHECK(m[7] == 0);
}

TEST_CASE("the reader gives back what the encoder wrote", "[wire][ra]") {
  const bytevec m = sample().emit();
  auto r = wire::ra_repr::parse(m);
  REQUIRE(r);
  CHECK(r->cur_hop_limit == 64);
  CHECK(r->flags == wire::ra_flag_managed);
  CHECK(r->router_lifetime == 1800);
  CHECK(r->reachable_time == 30000);
  CHECK(r->retrans_timer == 1000);
  REQUIRE(r->src_lladdr);
  CHECK(*r->src_lladdr == mac_of("02:00:00:00:00:01"));
  REQUIRE(r->mtu);
  CHECK(*r->mtu == 1500);
  REQUIRE(r->prefixes.size() == 1);
  CHECK(r->prefixes[0].prefix == ip6_of("2001:db8:1::"));
  CHECK(r->prefixes[0].plen == 64);
  CHECK(r->prefixes[0].flags == 0xc0);
  CHECK(r->prefixes[0].vltime == 86400);
  CHECK(r->prefixes[0].pltime == 14400);
}

TEST_CASE("malformed RAs are refused by the reader", "[wire][ra]") {
  bytevec m = sample().emit();
  SECTION("shorter than the fixed part") {
    CHECK(wire::ra_repr::parse(umi::bytes(m).first(15)).error() == wire::wire_error::too_short);
  }
  SECTION("an option of length zero") {
    m[17] = 0;
    CHECK(wire::ra_repr::parse(m).error() == wire::wire_error::bad_option);
  }
  SECTION("a prefix option cut short") {
    m.resize(m.size() - 8);
    CHECK(wire::ra_repr::parse(m).error() == wire::wire_error::bad_option);
  }
  SECTION("a prefix option of the wrong length") {
    m[33] = 3;  // the prefix option claims 24 octets
    CHECK_FALSE(wire::ra_repr::parse(m));
  }
}
