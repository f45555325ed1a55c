// Walking the IPv6 extension-header chain (RFC 8200 §4), wire tier.
#include "stack/wire/ipv6_ext.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "tests/unit/support/fixtures.hpp"

using umi::test::addr_bytes;
using umi::test::concat;
using umi::test::ip6_of;
namespace wire = umi::wire;
using status = wire::ext_walk::status;
using bytevec = std::vector<std::uint8_t>;

namespace {

const bytevec unicast_dst = addr_bytes(ip6_of("2001:db8::2"));
const bytevec multicast_dst = addr_bytes(ip6_of("ff02::1"));

// An IPv6 header (next header `nh`) followed by `rest`, whose length it
// states exactly.
bytevec packet(std::uint8_t nh, const bytevec& rest, const bytevec& dst = unicast_dst) {
  const auto plen = static_cast<std::uint16_t>(rest.size());
  bytevec p{
      0x60, 0x00, 0x00, 0x00, static_cast<std::uint8_t>(plen >> 8), static_cast<std::uint8_t>(plen),
      nh,   64};
  const bytevec src = addr_bytes(ip6_of("2001:db8::1"));
  p.insert(p.end(), src.begin(), src.end());
  p.insert(p.end(), dst.begin(), dst.end());
  p.insert(p.end(), rest.begin(), rest.end());
  return p;
}

wire::ext_walk walk(const bytevec& pkt, const wire::ext_limits& limits = {}) {
  auto ip = wire::ipv6_view::parse(pkt);
  REQUIRE(ip);
  return wire::walk_extension_headers(*ip, limits);
}

// An 8-byte ICMPv6 echo request, the usual upper layer here.
const bytevec echo{0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01};

// Hop-by-hop or destination options header of 8 bytes with one PadN.
bytevec padn_header(std::uint8_t next) {
  return {next, 0x00, 0x01, 0x04, 0, 0, 0, 0};
}

// Options header of 8 bytes carrying one option of `type` with 4 data bytes:
// the option starts 2 bytes into the header.
bytevec option_header(std::uint8_t next, std::uint8_t type) {
  return {next, 0x00, type, 0x04, 0, 0, 0, 0};
}

}  // namespace

TEST_CASE("walk without extension headers names the upper layer", "[wire][ipv6_ext]") {
  const auto w = walk(packet(58, echo));
  CHECK(w.st == status::ok);
  CHECK(w.upper == 58);
  CHECK(w.upper_offset == 40);
  CHECK(w.nh_field_offset == 6);
  CHECK(w.headers == 0);
}

TEST_CASE("walk skips a hop-by-hop header holding PadN", "[wire][ipv6_ext]") {
  const auto w = walk(packet(0, concat({padn_header(58), echo})));
  CHECK(w.st == status::ok);
  CHECK(w.upper == 58);
  CHECK(w.upper_offset == 48);
  CHECK(w.nh_field_offset == 40);
  CHECK(w.headers == 1);
}

TEST_CASE("walk follows a chain of hop-by-hop, destination options and routing",
          "[wire][ipv6_ext]") {
  const bytevec routing{60, 0x00, 0x04, 0x00, 0, 0, 0, 0};  // type 4, segments left 0
  // 16-byte destination options: Hdr Ext Len 1, Pad1 x2, PadN with 10 bytes.
  const bytevec dstopts{17, 0x01, 0x00, 0x00, 0x01, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const auto w = walk(packet(0, concat({padn_header(43), routing, dstopts, {0, 0, 0, 0}})));
  CHECK(w.st == status::ok);
  CHECK(w.upper == 17);
  CHECK(w.upper_offset == 40 + 8 + 8 + 16);
  CHECK(w.nh_field_offset == 56);
  CHECK(w.headers == 3);
}

TEST_CASE("hop-by-hop after another header is a parameter problem at the next-header field",
          "[wire][ipv6_ext]") {
  // RFC 8200 §4.1: Parameter Problem code 1 pointing at the byte that
  // named the misplaced header (the destination options' Next Header).
  const auto w = walk(packet(60, concat({padn_header(0), padn_header(58), echo})));
  CHECK(w.st == status::param_problem);
  CHECK(w.icmp_code == 1);
  CHECK(w.pointer == 40);
}

TEST_CASE("unknown option action bits decide skip, discard or parameter problem",
          "[wire][ipv6_ext]") {
  // RFC 8200 §4.2: the two high-order bits of the option type.
  SECTION("00 skips the option, whatever the destination") {
    CHECK(walk(packet(0, concat({option_header(58, 0x1e), echo}))).st == status::ok);
    CHECK(walk(packet(0, concat({option_header(58, 0x1e), echo}), multicast_dst)).st == status::ok);
  }
  SECTION("01 discards silently, whatever the destination") {
    CHECK(walk(packet(0, concat({option_header(58, 0x5e), echo}))).st == status::discard);
    CHECK(walk(packet(60, concat({option_header(58, 0x5e), echo}), multicast_dst)).st ==
          status::discard);
  }
  SECTION("10 is a parameter problem code 2 even to a multicast destination") {
    for (const auto& dst : {unicast_dst, multicast_dst}) {
      const auto w = walk(packet(0, concat({option_header(58, 0x9e), echo}), dst));
      CHECK(w.st == status::param_problem);
      CHECK(w.icmp_code == 2);
      CHECK(w.pointer == 42);  // the option type byte
    }
  }
  SECTION("11 is a parameter problem to unicast and a silent discard to multicast") {
    const auto uni = walk(packet(60, concat({option_header(58, 0xde), echo})));
    CHECK(uni.st == status::param_problem);
    CHECK(uni.icmp_code == 2);
    CHECK(uni.pointer == 42);
    CHECK(walk(packet(60, concat({option_header(58, 0xde), echo}), multicast_dst)).st ==
          status::discard);
  }
}

TEST_CASE("routing header with segments left 0 is skipped", "[wire][ipv6_ext]") {
  const bytevec routing{58, 0x00, 0xfd, 0x00, 0, 0, 0, 0};  // unknown type 253
  const auto w = walk(packet(43, concat({routing, echo})));
  CHECK(w.st == status::ok);
  CHECK(w.upper == 58);
  CHECK(w.upper_offset == 48);
}

TEST_CASE("routing header with segments left is a parameter problem at the routing type",
          "[wire][ipv6_ext]") {
  // RFC 8200 §4.4: code 0, pointer to the unrecognised Routing Type field.
  const bytevec routing{58, 0x00, 0x00, 0x01, 0, 0, 0, 0};  // type 0 (RFC 5095), 1 left
  const auto w = walk(packet(43, concat({routing, echo})));
  CHECK(w.st == status::param_problem);
  CHECK(w.icmp_code == 0);
  CHECK(w.pointer == 42);
}

TEST_CASE("atomic fragment is walked through, a real fragment needs reassembly",
          "[wire][ipv6_ext]") {
  SECTION("offset 0 and M clear (RFC 6946)") {
    const bytevec frag{58, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78};
    const auto w = walk(packet(44, concat({frag, echo})));
    CHECK(w.st == status::ok);
    CHECK(w.upper == 58);
    CHECK(w.upper_offset == 48);
    CHECK(w.headers == 1);
  }
  SECTION("the reserved bits do not make a fragment") {
    const bytevec frag{58, 0x00, 0x00, 0x06, 0x12, 0x34, 0x56, 0x78};
    CHECK(walk(packet(44, concat({frag, echo}))).st == status::ok);
  }
  SECTION("first fragment: M set") {
    const bytevec frag{58, 0x00, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78};
    const auto w = walk(packet(44, concat({frag, echo})));
    CHECK(w.st == status::fragment);
    CHECK(w.upper == 58);
    CHECK(w.upper_offset == 48);
  }
  SECTION("last fragment: non-zero offset, M clear") {
    const bytevec frag{58, 0x00, 0x00, 0x08, 0x12, 0x34, 0x56, 0x78};
    CHECK(walk(packet(44, concat({frag, echo}))).st == status::fragment);
  }
}

TEST_CASE("fifteen extension headers are allowed, sixteen are too many", "[wire][ipv6_ext]") {
  auto chain = [](int n) {
    bytevec rest;
    for (int i = 0; i < n; ++i) {
      const bytevec h = padn_header(i + 1 < n ? 60 : 58);
      rest.insert(rest.end(), h.begin(), h.end());
    }
    rest.insert(rest.end(), echo.begin(), echo.end());
    return packet(60, rest);
  };
  const auto fifteen = walk(chain(15));
  CHECK(fifteen.st == status::ok);
  CHECK(fifteen.headers == 15);
  CHECK(fifteen.upper == 58);
  CHECK(walk(chain(16)).st == status::too_many);
}

TEST_CASE("a header running past the end of the packet is truncated", "[wire][ipv6_ext]") {
  SECTION("fewer than 8 bytes left") {
    CHECK(walk(packet(60, {58, 0x00, 0x01, 0x02, 0, 0})).st == status::truncated);
  }
  SECTION("Hdr Ext Len claims more than is there") {
    CHECK(walk(packet(0, {58, 0x01, 0x01, 0x04, 0, 0, 0, 0})).st == status::truncated);
  }
  SECTION("fragment header cut short") {
    CHECK(walk(packet(44, {58, 0x00, 0x00})).st == status::truncated);
  }
  SECTION("an option runs past the end of its header") {
    CHECK(walk(packet(0, concat({{58, 0x00, 0x01, 0x09, 0, 0, 0, 0}, echo}))).st ==
          status::truncated);
  }
}

TEST_CASE("forty Pad1 options exceed the per-header option limit", "[wire][ipv6_ext]") {
  // 48-byte hop-by-hop header: 2 fixed bytes, 40 Pad1, one PadN of 4 data bytes.
  bytevec hbh{58, 0x05};
  hbh.insert(hbh.end(), 40, 0x00);
  const bytevec padn{0x01, 0x04, 0, 0, 0, 0};
  hbh.insert(hbh.end(), padn.begin(), padn.end());
  REQUIRE(hbh.size() == 48);
  CHECK(walk(packet(0, concat({hbh, echo}))).st == status::discard);

  wire::ext_limits generous;
  generous.max_options_per_header = 64;
  CHECK(walk(packet(0, concat({hbh, echo})), generous).st == status::ok);
}

TEST_CASE("non-extension next headers end the walk", "[wire][ipv6_ext]") {
  CHECK(wire::is_extension_header(0));
  CHECK(wire::is_extension_header(43));
  CHECK(wire::is_extension_header(44));
  CHECK(wire::is_extension_header(60));
  CHECK_FALSE(wire::is_extension_header(58));
  CHECK_FALSE(wire::is_extension_header(51));  // AH is for IPsec to handle
  const auto w = walk(packet(59, {}));
  CHECK(w.st == status::ok);
  CHECK(w.upper == 59);
}
