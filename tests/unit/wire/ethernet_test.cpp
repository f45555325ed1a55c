// Ethernet II header view (wire tier).
#include "stack/wire/ethernet.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "tests/unit/support/fixtures.hpp"

using umi::test::mac_of;
namespace wire = umi::wire;

namespace {

// dst 33:33:00:00:00:01, src 02:00:00:00:00:01, type 0x86dd, two payload bytes.
const std::vector<std::uint8_t> fixture{
    0x33, 0x33, 0x00, 0x00, 0x00, 0x01,  // destination
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // source
    0x86, 0xdd,                          // ethertype IPv6
    0x60, 0x00,                          // payload
};

}  // namespace

TEST_CASE("ethernet view deconstructs a frame", "[wire][ethernet]") {
  auto eth = wire::ethernet_view::parse(fixture);
  REQUIRE(eth);
  CHECK(eth->dst() == mac_of("33:33:00:00:00:01"));
  CHECK(eth->src() == mac_of("02:00:00:00:00:01"));
  CHECK(eth->type() == static_cast<std::uint16_t>(wire::ethertype::ipv6));
  REQUIRE(eth->payload().size() == 2);
  CHECK(eth->payload()[0] == 0x60);
}

TEST_CASE("ethernet view rejects a buffer shorter than the header", "[wire][ethernet]") {
  auto eth = wire::ethernet_view::parse(umi::bytes(fixture).first(13));
  REQUIRE_FALSE(eth);
  CHECK(eth.error() == wire::wire_error::too_short);
  CHECK_FALSE(wire::ethernet_view::parse(umi::bytes{}));
}

TEST_CASE("ethernet view of a bare header has an empty payload", "[wire][ethernet]") {
  auto eth = wire::ethernet_view::parse(umi::bytes(fixture).first(14));
  REQUIRE(eth);
  CHECK(eth->payload().empty());
}

TEST_CASE("ethernet repr writes all fourteen bytes and round-trips", "[wire][ethernet]") {
  std::vector<std::uint8_t> out(16, 0xaa);
  wire::ethernet_repr{mac_of("33:33:00:00:00:01"), mac_of("02:00:00:00:00:01"), 0x86dd}.emit(
      umi::mut_bytes(out).first(14));
  CHECK(std::vector<std::uint8_t>(out.begin(), out.begin() + 14) ==
        std::vector<std::uint8_t>(fixture.begin(), fixture.begin() + 14));
  CHECK(out[14] == 0xaa);  // nothing written past the header
  CHECK(out[15] == 0xaa);

  auto eth = wire::ethernet_view::parse(out);
  REQUIRE(eth);
  CHECK(eth->dst() == mac_of("33:33:00:00:00:01"));
  CHECK(eth->src() == mac_of("02:00:00:00:00:01"));
  CHECK(eth->type() == 0x86dd);
}
