// IPv6 fixed header view and repr (RFC 8200 §3), wire tier.
#include "stack/wire/ipv6.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "tests/unit/support/fixtures.hpp"

using umi::test::ip6_of;
namespace wire = umi::wire;

namespace {

// Written out from the RFC 8200 §3 layout:
// version 6, traffic class 0x2e, flow label 0xabcde, payload length 8,
// next header 58 (ICMPv6), hop limit 64, 2001:db8::1 -> 2001:db8::2,
// then an 8-byte echo request.
const std::vector<std::uint8_t> fixture{
    0x62, 0xea, 0xbc, 0xde,                          // ver | tc | flow label
    0x00, 0x08, 0x3a, 0x40,                          // payload len | nh | hlim
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,  // source
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  //
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,  // destination
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,  //
    0x80, 0x00, 0x00, 0x00, 0x12, 0x34, 0x00, 0x01,  // payload
};

}  // namespace

TEST_CASE("ipv6 view deconstructs every field of the fixed header", "[wire][ipv6]") {
  auto ip = wire::ipv6_view::parse(fixture);
  REQUIRE(ip);
  CHECK(ip->traffic_class() == 0x2e);
  CHECK(ip->flow_label() == 0xabcde);
  CHECK(ip->payload_length() == 8);
  CHECK(ip->next_header() == 58);
  CHECK(ip->hop_limit() == 64);
  CHECK(ip->src() == ip6_of("2001:db8::1"));
  CHECK(ip->dst() == ip6_of("2001:db8::2"));
  CHECK(ip->payload().size() == 8);
  CHECK(ip->payload()[0] == 0x80);
  CHECK(ip->packet().size() == 48);
}

TEST_CASE("ipv6 view rejects a buffer shorter than the fixed header", "[wire][ipv6]") {
  auto ip = wire::ipv6_view::parse(umi::bytes(fixture).first(39));
  REQUIRE_FALSE(ip);
  CHECK(ip.error() == wire::wire_error::too_short);
  CHECK(wire::ipv6_view::parse(umi::bytes{}).error() == wire::wire_error::too_short);
}

TEST_CASE("ipv6 view rejects a payload length beyond the buffer", "[wire][ipv6]") {
  // The whole header is there but the last payload byte is not.
  auto ip = wire::ipv6_view::parse(umi::bytes(fixture).first(47));
  REQUIRE_FALSE(ip);
  CHECK(ip.error() == wire::wire_error::bad_length);

  auto big = fixture;
  big[5] = 0x09;  // payload length 9, 8 bytes present
  CHECK(wire::ipv6_view::parse(big).error() == wire::wire_error::bad_length);
  big[4] = 0xff;
  big[5] = 0xff;
  CHECK(wire::ipv6_view::parse(big).error() == wire::wire_error::bad_length);
}

TEST_CASE("ipv6 view rejects any version other than 6", "[wire][ipv6]") {
  for (std::uint8_t v : {0, 4, 7, 15}) {
    auto p = fixture;
    p[0] = static_cast<std::uint8_t>((v << 4) | (p[0] & 0x0f));
    INFO("version " << int{v});
    CHECK(wire::ipv6_view::parse(p).error() == wire::wire_error::bad_version);
  }
}

TEST_CASE("ipv6 view trims trailing link-layer padding", "[wire][ipv6]") {
  auto padded = fixture;
  padded.insert(padded.end(), 12, 0x00);  // Ethernet pads short frames to 60 bytes
  auto ip = wire::ipv6_view::parse(padded);
  REQUIRE(ip);
  CHECK(ip->packet().size() == 48);
  CHECK(ip->payload().size() == 8);
}

TEST_CASE("ipv6 view accepts an empty payload", "[wire][ipv6]") {
  auto p = std::vector<std::uint8_t>(fixture.begin(), fixture.begin() + 40);
  p[4] = 0;
  p[5] = 0;
  auto ip = wire::ipv6_view::parse(p);
  REQUIRE(ip);
  CHECK(ip->payload().empty());
}

TEST_CASE("ipv6 repr emits the fixture byte for byte", "[wire][ipv6]") {
  auto ip = wire::ipv6_view::parse(fixture);
  REQUIRE(ip);
  const auto repr = wire::ipv6_repr::from(*ip);
  std::vector<std::uint8_t> out(48, 0xaa);
  repr.emit(out);
  CHECK(std::vector<std::uint8_t>(out.begin(), out.begin() + 40) ==
        std::vector<std::uint8_t>(fixture.begin(), fixture.begin() + 40));
  CHECK(out[40] == 0xaa);  // the payload is not the header's to write
}

TEST_CASE("ipv6 repr round-trips through emit and parse", "[wire][ipv6]") {
  wire::ipv6_repr r;
  r.src = ip6_of("fe80::1");
  r.dst = ip6_of("ff02::1:ff00:2");
  r.next_header = 44;
  r.hop_limit = 255;
  r.payload_length = 0;
  r.traffic_class = 0xff;
  r.flow_label = 0xfffff;
  std::vector<std::uint8_t> out(40);
  r.emit(out);
  auto ip = wire::ipv6_view::parse(out);
  REQUIRE(ip);
  const auto back = wire::ipv6_repr::from(*ip);
  CHECK(back.src == r.src);
  CHECK(back.dst == r.dst);
  CHECK(back.next_header == 44);
  CHECK(back.hop_limit == 255);
  CHECK(back.payload_length == 0);
  CHECK(back.traffic_class == 0xff);
  CHECK(back.flow_label == 0xfffff);
}

TEST_CASE("ipv6 repr keeps an oversized flow label out of the other fields", "[wire][ipv6]") {
  wire::ipv6_repr r;
  r.traffic_class = 0;
  r.flow_label = 0xffffffff;  // only 20 bits fit
  std::vector<std::uint8_t> out(40);
  r.emit(out);
  auto ip = wire::ipv6_view::parse(out);
  REQUIRE(ip);  // version nibble intact
  CHECK(ip->traffic_class() == 0);
  CHECK(ip->flow_label() == 0xfffff);
}
