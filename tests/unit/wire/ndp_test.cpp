// Neighbor Discovery messages and options (RFC 4861 §4.3, §4.4, §4.6).
#include "stack/wire/ndp.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "stack/wire/icmpv6.hpp"
#include "tests/unit/support/fixtures.hpp"

using umi::test::ip6_of;
using umi::test::mac_of;
namespace wire = umi::wire;
using bytevec = std::vector<std::uint8_t>;

namespace {

// NS for fe80::ff:fe00:1 with a source link-layer address option 02:00:00:00:00:02.
const bytevec ns_fixture{
    0x87, 0x00, 0x00, 0x00,                          // type 135 | code | checksum (unset)
    0x00, 0x00, 0x00, 0x00,                          // reserved
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // target
    0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x01,  //
    0x01, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  // SLLA, 1 x 8 octets
};

// NA (S and O set) for fe80::ff:fe00:2 with a target link-layer address option.
const bytevec na_fixture{
    0x88, 0x00, 0x00, 0x00,                          // type 136 | code | checksum (unset)
    0x60, 0x00, 0x00, 0x00,                          // R=0 S=1 O=1 | reserved
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // target
    0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x02,  //
    0x02, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  // TLLA, 1 x 8 octets
};

}  // namespace

TEST_CASE("ns view deconstructs the target and options", "[wire][ndp]") {
  auto ns = wire::ns_view::parse(ns_fixture);
  REQUIRE(ns);
  CHECK(ns->target() == ip6_of("fe80::ff:fe00:1"));
  REQUIRE(ns->options().size() == 8);
  auto opts = wire::parse_nd_options(ns->options());
  REQUIRE(opts);
  CHECK(opts->src_lladdr == mac_of("02:00:00:00:00:02"));
  CHECK_FALSE(opts->tgt_lladdr);
  CHECK(opts->count == 1);
}

TEST_CASE("ns and na views reject a message shorter than 24 bytes", "[wire][ndp]") {
  auto ns = wire::ns_view::parse(umi::bytes(ns_fixture).first(23));
  REQUIRE_FALSE(ns);
  CHECK(ns.error() == wire::wire_error::too_short);
  auto na = wire::na_view::parse(umi::bytes(na_fixture).first(23));
  REQUIRE_FALSE(na);
  CHECK(na.error() == wire::wire_error::too_short);
  auto bare = wire::ns_view::parse(umi::bytes(ns_fixture).first(24));
  REQUIRE(bare);
  CHECK(bare->options().empty());
}

TEST_CASE("na view deconstructs flags, target and options", "[wire][ndp]") {
  auto na = wire::na_view::parse(na_fixture);
  REQUIRE(na);
  CHECK_FALSE(na->router());
  CHECK(na->solicited());
  CHECK(na->override_flag());
  CHECK(na->target() == ip6_of("fe80::ff:fe00:2"));
  auto opts = wire::parse_nd_options(na->options());
  REQUIRE(opts);
  CHECK(opts->tgt_lladdr == mac_of("02:00:00:00:00:02"));
  CHECK_FALSE(opts->src_lladdr);
}

TEST_CASE("emit_ns writes the fixture exactly", "[wire][ndp]") {
  bytevec out(40, 0xaa);
  const auto n = wire::emit_ns(out, ip6_of("fe80::ff:fe00:1"), mac_of("02:00:00:00:00:02"));
  REQUIRE(n == 32);
  CHECK(bytevec(out.begin(), out.begin() + 32) == ns_fixture);
  CHECK(out[32] == 0xaa);

  bytevec bare(32, 0xaa);
  REQUIRE(wire::emit_ns(bare, ip6_of("fe80::ff:fe00:1"), std::nullopt) == 24);
  CHECK(bytevec(bare.begin(), bare.begin() + 24) ==
        bytevec(ns_fixture.begin(), ns_fixture.begin() + 24));
}

TEST_CASE("emit_na writes the fixture exactly and each flag round-trips", "[wire][ndp]") {
  bytevec out(32, 0xaa);
  REQUIRE(wire::emit_na(out, ip6_of("fe80::ff:fe00:2"), false, true, true,
                        mac_of("02:00:00:00:00:02")) == 32);
  CHECK(out == na_fixture);

  for (int bits = 0; bits < 8; ++bits) {
    const bool r = bits & 4, s = bits & 2, o = bits & 1;
    bytevec msg(24, 0xaa);
    REQUIRE(wire::emit_na(msg, ip6_of("2001:db8::9"), r, s, o, std::nullopt) == 24);
    auto na = wire::na_view::parse(msg);
    REQUIRE(na);
    INFO("R=" << r << " S=" << s << " O=" << o);
    CHECK(na->router() == r);
    CHECK(na->solicited() == s);
    CHECK(na->override_flag() == o);
    CHECK(na->target() == ip6_of("2001:db8::9"));
    CHECK(msg[1] == 0);  // code
    CHECK(msg[5] == 0);  // reserved bytes cleared
    CHECK(msg[6] == 0);
    CHECK(msg[7] == 0);
  }
}

TEST_CASE("nd options: a zero-length option is malformed", "[wire][ndp]") {
  const bytevec opts{0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
  auto o = wire::parse_nd_options(opts);
  REQUIRE_FALSE(o);
  CHECK(o.error() == wire::wire_error::bad_option);
  // Also when it follows a valid option: the walk must not spin on it.
  const bytevec after{0x01, 0x01, 2, 0, 0, 0, 0, 2, 0x0e, 0x00, 0, 0, 0, 0, 0, 0};
  CHECK_FALSE(wire::parse_nd_options(after));
}

TEST_CASE("nd options: a truncated option is malformed", "[wire][ndp]") {
  SECTION("a lone type byte") {
    const bytevec opts{0x01};
    CHECK(wire::parse_nd_options(opts).error() == wire::wire_error::bad_option);
  }
  SECTION("length beyond the message") {
    const bytevec opts{0x01, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02};  // claims 16 bytes
    CHECK(wire::parse_nd_options(opts).error() == wire::wire_error::bad_option);
  }
  SECTION("a valid option followed by a partial one") {
    const bytevec opts{0x01, 0x01, 2, 0, 0, 0, 0, 2, 0x05, 0x01, 0, 0};
    CHECK(wire::parse_nd_options(opts).error() == wire::wire_error::bad_option);
  }
}

TEST_CASE("nd options: a link-layer address option must be 8 bytes on Ethernet", "[wire][ndp]") {
  bytevec opts(16, 0);
  opts[0] = wire::nd_opt::src_lladdr;
  opts[1] = 2;
  CHECK(wire::parse_nd_options(opts).error() == wire::wire_error::bad_option);
  opts[0] = wire::nd_opt::tgt_lladdr;
  CHECK(wire::parse_nd_options(opts).error() == wire::wire_error::bad_option);
}

TEST_CASE("nd options: unknown options are skipped", "[wire][ndp]") {
  // RFC 4861 §4.6: type 14 (nonce, unknown here) of 16 bytes, then a SLLA.
  bytevec opts(16, 0x5a);
  opts[0] = 14;
  opts[1] = 2;
  const bytevec slla{0x01, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x07};
  opts.insert(opts.end(), slla.begin(), slla.end());
  auto o = wire::parse_nd_options(opts);
  REQUIRE(o);
  CHECK(o->count == 2);
  CHECK(o->src_lladdr == mac_of("02:00:00:00:00:07"));
}

TEST_CASE("nd options: MTU and prefix information are length-checked", "[wire][ndp]") {
  const bytevec mtu{0x05, 0x01, 0x00, 0x00, 0x00, 0x00, 0x05, 0xdc};
  auto o = wire::parse_nd_options(mtu);
  REQUIRE(o);
  CHECK(o->mtu == 1500u);

  const bytevec long_mtu{0x05, 0x02, 0, 0, 0, 0, 0x05, 0xdc, 0, 0, 0, 0, 0, 0, 0, 0};
  CHECK_FALSE(wire::parse_nd_options(long_mtu));

  bytevec short_prefix(24, 0);
  short_prefix[0] = wire::nd_opt::prefix_info;
  short_prefix[1] = 3;  // must be 4
  CHECK_FALSE(wire::parse_nd_options(short_prefix));
  bytevec prefix(32, 0);
  prefix[0] = wire::nd_opt::prefix_info;
  prefix[1] = 4;
  CHECK(wire::parse_nd_options(prefix));
}

TEST_CASE("nd options: none at all is valid", "[wire][ndp]") {
  auto o = wire::parse_nd_options(umi::bytes{});
  REQUIRE(o);
  CHECK(o->count == 0);
  CHECK_FALSE(o->src_lladdr);
  CHECK_FALSE(o->tgt_lladdr);
  CHECK_FALSE(o->mtu);
}
