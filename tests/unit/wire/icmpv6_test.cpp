// ICMPv6 header and echo views (RFC 4443 §2.1, §4.1), wire tier.
#include "stack/wire/icmpv6.hpp"

#include <catch2/catch.hpp>
#include <vector>

namespace wire = umi::wire;

namespace {

// Echo request, identifier 0x1234, sequence 1, data "abcd"; the checksum is
// the one for 2001:db8::1 -> 2001:db8::2 (see checksum_test.cpp).
const std::vector<std::uint8_t> echo_fixture{
    0x80, 0x00, 0x4d, 0x48,  // type 128 | code 0 | checksum
    0x12, 0x34, 0x00, 0x01,  // identifier | sequence number
    0x61, 0x62, 0x63, 0x64,  // data
};

}  // namespace

TEST_CASE("icmpv6 view deconstructs type, code and checksum", "[wire][icmpv6]") {
  auto icmp = wire::icmpv6_view::parse(echo_fixture);
  REQUIRE(icmp);
  CHECK(icmp->type() == wire::icmp6_type::echo_request);
  CHECK(icmp->code() == 0);
  CHECK(icmp->checksum() == 0x4d48);
  CHECK(icmp->body().size() == 8);
  CHECK(icmp->message().size() == 12);
}

TEST_CASE("icmpv6 view rejects fewer than four bytes", "[wire][icmpv6]") {
  auto icmp = wire::icmpv6_view::parse(umi::bytes(echo_fixture).first(3));
  REQUIRE_FALSE(icmp);
  CHECK(icmp.error() == wire::wire_error::too_short);
  CHECK(wire::icmpv6_view::parse(umi::bytes(echo_fixture).first(4)));
}

TEST_CASE("echo view deconstructs identifier, sequence and data", "[wire][icmpv6]") {
  auto e = wire::echo_view::parse(echo_fixture);
  REQUIRE(e);
  CHECK(e->ident() == 0x1234);
  CHECK(e->seq() == 1);
  CHECK(std::vector<std::uint8_t>(e->data().begin(), e->data().end()) ==
        std::vector<std::uint8_t>{'a', 'b', 'c', 'd'});
}

TEST_CASE("echo view needs the identifier and sequence number", "[wire][icmpv6]") {
  auto e = wire::echo_view::parse(umi::bytes(echo_fixture).first(7));
  REQUIRE_FALSE(e);
  CHECK(e.error() == wire::wire_error::too_short);
  auto empty = wire::echo_view::parse(umi::bytes(echo_fixture).first(8));
  REQUIRE(empty);
  CHECK(empty->data().empty());
}

TEST_CASE("icmpv6 types below 128 are errors", "[wire][icmpv6]") {
  CHECK(wire::is_icmp6_error(wire::icmp6_type::dst_unreach));
  CHECK(wire::is_icmp6_error(wire::icmp6_type::param_problem));
  CHECK(wire::is_icmp6_error(127));
  CHECK_FALSE(wire::is_icmp6_error(wire::icmp6_type::echo_request));
  CHECK_FALSE(wire::is_icmp6_error(wire::icmp6_type::neighbor_solicit));
  CHECK_FALSE(wire::is_icmp6_error(255));
}
