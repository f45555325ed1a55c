// Internet checksum (RFC 1071) and the IPv6 pseudo-header (RFC 8200 §8.1).
#include "stack/wire/checksum.hpp"

#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "stack/wire/ipv4.hpp"

#include "tests/unit/support/fixtures.hpp"

using umi::test::ip6_of;
namespace wire = umi::wire;

namespace {

// Echo request 2001:db8::1 -> 2001:db8::2, id 0x1234, seq 1, data "abcd",
// checksum field zero. Expected checksum worked by hand:
//   pseudo-header: 2001+0db8+0001 + 2001+0db8+0002 + 000c + 003a = 5bbb
//   message:       8000+0000+1234+0001+6162+6364 -> total 1b2b6
//   fold 1b2b6 -> b2b7, complement -> 4d48.
std::vector<std::uint8_t> echo_abcd() {
  return {0x80, 0x00, 0x00, 0x00, 0x12, 0x34, 0x00, 0x01, 'a', 'b', 'c', 'd'};
}

}  // namespace

TEST_CASE("RFC 1071 worked example sums to ddf2", "[wire][checksum]") {
  // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 -> 2ddf0 -> ddf2.
  const std::vector<std::uint8_t> data{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK(wire::sum16(data) == 0x2ddf0);
  CHECK(wire::fold(wire::sum16(data)) == 0xddf2);
}

TEST_CASE("an odd trailing byte is summed as the high half of a word", "[wire][checksum]") {
  const std::vector<std::uint8_t> data{0x01, 0x02, 0x03};
  CHECK(wire::sum16(data) == 0x0102 + 0x0300);
}

TEST_CASE("fold adds carries until sixteen bits remain", "[wire][checksum]") {
  CHECK(wire::fold(0) == 0);
  CHECK(wire::fold(0xffff) == 0xffff);
  CHECK(wire::fold(0x1fffe) == 0xffff);
  CHECK(wire::fold(0xffffffff) == 0xffff);
}

TEST_CASE("echo request checksum matches the hand-computed value", "[wire][checksum]") {
  const auto src = ip6_of("2001:db8::1");
  const auto dst = ip6_of("2001:db8::2");
  auto msg = echo_abcd();
  CHECK(wire::upper_checksum(src, dst, 58, msg) == 0x4d48);
  msg[2] = 0x4d;
  msg[3] = 0x48;
  CHECK(wire::upper_checksum_ok(src, dst, 58, msg));
}

TEST_CASE("odd-length message checksum matches the hand-computed value", "[wire][checksum]") {
  auto msg = echo_abcd();
  msg.pop_back();  // data "abc": 6300 instead of 6364, length 11
  CHECK(wire::upper_checksum(ip6_of("2001:db8::1"), ip6_of("2001:db8::2"), 58, msg) == 0x4dad);
}

TEST_CASE("checksum verification fails on any changed byte or address", "[wire][checksum]") {
  const auto src = ip6_of("2001:db8::1");
  const auto dst = ip6_of("2001:db8::2");
  auto msg = echo_abcd();
  msg[2] = 0x4d;
  msg[3] = 0x48;
  auto flipped = msg;
  flipped[11] ^= 0x01;
  CHECK_FALSE(wire::upper_checksum_ok(src, dst, 58, flipped));
  CHECK_FALSE(wire::upper_checksum_ok(src, ip6_of("2001:db8::3"), 58, msg));
  CHECK_FALSE(wire::upper_checksum_ok(src, dst, 17, msg));  // next header is in the sum
}

namespace {
// The plain RFC 1071 definitions, byte by byte, that the fast forms must equal.
bool header_ok_by_folding(const std::vector<std::uint8_t>& h) {
  return wire::fold(wire::sum16(h)) == 0xffff;
}
void set_header_checksum(std::vector<std::uint8_t>& h) {
  h[10] = h[11] = 0;
  const auto c = static_cast<std::uint16_t>(~wire::fold(wire::sum16(h)));
  h[10] = static_cast<std::uint8_t>(c >> 8);
  h[11] = static_cast<std::uint8_t>(c);
}
}  // namespace

TEST_CASE("IPv4 header verification agrees with folding 16-bit words", "[wire][checksum]") {
  std::mt19937_64 rng(1071);
  std::uniform_int_distribution<int> byte(0, 255);
  unsigned valid = 0;
  for (int n = 0; n < 200'000; ++n) {
    std::vector<std::uint8_t> h(n % 3 == 0 ? 24 : 20);
    for (auto& b : h) b = static_cast<std::uint8_t>(byte(rng));
    if (n % 2 == 0) set_header_checksum(h);  // half right, then some bytes changed
    if (n % 8 == 0) h[static_cast<std::size_t>(byte(rng)) % h.size()] ^= 0x10;
    const bool want = header_ok_by_folding(h);
    valid += want ? 1 : 0;
    REQUIRE(wire::ipv4_header_sum_ok(h.data(), h.size()) == want);
  }
  CHECK(valid > 70'000);
  // Sums that fold to 0xffff from either side, and the all-zero header, which
  // folds to 0 (its residue is also 0).
  std::vector<std::uint8_t> ones(20, 0xff);
  CHECK(wire::ipv4_header_sum_ok(ones.data(), 20) == header_ok_by_folding(ones));
  std::vector<std::uint8_t> zeros(20, 0);
  CHECK_FALSE(wire::ipv4_header_sum_ok(zeros.data(), 20));
  CHECK_FALSE(header_ok_by_folding(zeros));
}

TEST_CASE("TTL decrement patches the checksum as a full recomputation would", "[wire][checksum]") {
  std::mt19937_64 rng(1624);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int ttl = 0; ttl < 256; ++ttl) {
    for (int k = 0; k < 200; ++k) {
      std::vector<std::uint8_t> h(20);
      for (auto& b : h) b = static_cast<std::uint8_t>(byte(rng));
      h[0] = 0x45;
      h[8] = static_cast<std::uint8_t>(ttl);
      set_header_checksum(h);
      std::vector<std::uint8_t> want = h;
      want[8] = static_cast<std::uint8_t>(ttl - 1);
      if (ttl != 0) {  // the variant for live TTLs gives the same bytes
        std::vector<std::uint8_t> live = h;
        wire::ipv4_decrement_live_ttl(umi::mut_bytes(live.data(), live.size()));
        wire::ipv4_decrement_ttl(umi::mut_bytes(h.data(), h.size()));
        REQUIRE(live == h);
      } else {
        wire::ipv4_decrement_ttl(umi::mut_bytes(h.data(), h.size()));
      }
      REQUIRE(h[8] == want[8]);
      // Equal as one's complement values: RFC 1624's update may give the other
      // zero (0x0000 vs 0xffff) than a recomputation; both verify.
      REQUIRE(header_ok_by_folding(h));
      set_header_checksum(want);
      const auto got = static_cast<std::uint16_t>((h[10] << 8) | h[11]);
      const auto full = static_cast<std::uint16_t>((want[10] << 8) | want[11]);
      REQUIRE((got == full || (got | full) == 0xffff && (got & full) == 0));
    }
  }
}
