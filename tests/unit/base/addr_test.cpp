// Address value types and their derivations (RFC 4291, RFC 2464 §7).
#include "stack/base/addr.hpp"

#include <catch2/catch.hpp>

#include "tests/unit/support/fixtures.hpp"

using umi::ip6_addr;
using umi::mac_addr;
using umi::test::ip6_of;
using umi::test::mac_of;

TEST_CASE("eui64 interface id inserts ff:fe and flips the universal/local bit", "[base][addr]") {
  const mac_addr m = mac_of("52:54:00:da:cb:7d");
  CHECK(umi::eui64_from_mac(m) ==
        std::array<std::uint8_t, 8>{0x50, 0x54, 0x00, 0xff, 0xfe, 0xda, 0xcb, 0x7d});
  CHECK(umi::link_local_from_mac(m) == ip6_of("fe80::5054:ff:feda:cb7d"));
  // A locally administered MAC (u/l bit set) yields an identifier with it clear.
  CHECK(umi::link_local_from_mac(mac_of("02:00:00:00:00:01")) == ip6_of("fe80::ff:fe00:1"));
}

TEST_CASE("solicited-node group keeps the low 24 bits of the address", "[base][addr]") {
  const ip6_addr g = ip6_of("2001:db8::1:2:3").solicited_node();
  CHECK(g == ip6_of("ff02::1:ff02:3"));
  CHECK(g.is_solicited_node());
  CHECK(g.is_multicast());
  CHECK(g.multicast_scope() == 2);
  CHECK(ip6_of("fe80::ff:fe00:1").solicited_node() == ip6_of("ff02::1:ff00:1"));
  CHECK_FALSE(ip6_of("ff02::1").is_solicited_node());
  CHECK_FALSE(ip6_of("ff05::1:ff02:3").is_solicited_node());
}

TEST_CASE("multicast mac is 33:33 followed by the low 32 bits", "[base][addr]") {
  CHECK(ip6_of("ff02::1:ff02:3").multicast_mac() == mac_of("33:33:ff:02:00:03"));
  CHECK(ip6_of("ff02::1").multicast_mac() == mac_of("33:33:00:00:00:01"));
  CHECK(ip6_of("ff02::1").multicast_mac().is_multicast());
}

TEST_CASE("masked keeps exactly plen leading bits", "[base][addr]") {
  const ip6_addr a = ip6_of("2001:db8:abcd:12ff:ffff::1");
  CHECK(a.masked(0) == ip6_of("::"));
  CHECK(a.masked(32) == ip6_of("2001:db8::"));
  CHECK(a.masked(52) == ip6_of("2001:db8:abcd:1000::"));
  CHECK(a.masked(57) == ip6_of("2001:db8:abcd:1280::"));
  CHECK(a.masked(64) == ip6_of("2001:db8:abcd:12ff::"));
  CHECK(a.masked(128) == a);
  CHECK(a.masked(200) == a);  // clamped to 128
}

TEST_CASE("matches_prefix compares only the first plen bits", "[base][addr]") {
  const ip6_addr a = ip6_of("2001:db8:0:1::5");
  CHECK(a.matches_prefix(ip6_of("2001:db8::"), 32));
  CHECK(a.matches_prefix(ip6_of("2001:db8:0:1::"), 64));
  CHECK_FALSE(a.matches_prefix(ip6_of("2001:db8:0:2::"), 64));
  CHECK(a.matches_prefix(ip6_of("2001:db8:0:0::"), 63));  // :1 and :0 differ in bit 64 only
  CHECK_FALSE(a.matches_prefix(ip6_of("2001:db8:0:0::"), 64));
  CHECK(a.matches_prefix(ip6_of("ffff::"), 0));  // the default route matches everything
  CHECK(a.matches_prefix(a, 128));
  CHECK_FALSE(a.matches_prefix(ip6_of("2001:db8:0:1::6"), 128));
}

TEST_CASE("mac parse accepts the unpadded BSD form and prints it back", "[base][addr]") {
  auto m = mac_addr::parse("0:60:97:c2:80:bf");
  REQUIRE(m);
  CHECK(m->b == std::array<std::uint8_t, 6>{0x00, 0x60, 0x97, 0xc2, 0x80, 0xbf});
  CHECK(m->to_string() == "0:60:97:c2:80:bf");
  CHECK(m->to_padded_string() == "00:60:97:c2:80:bf");

  auto upper = mac_addr::parse("00:60:97:C2:80:BF");
  REQUIRE(upper);
  CHECK(*upper == *m);

  CHECK(mac_of("02:00:00:00:00:01").to_string() == "2:0:0:0:0:1");
  CHECK(mac_of("ff:ff:ff:ff:ff:ff").is_broadcast());
  CHECK(mac_addr{}.is_zero());
}

TEST_CASE("mac parse rejects malformed input", "[base][addr]") {
  for (const char* bad : {
           "",                    // empty
           "0:60:97:c2:80",       // five bytes
           "0:60:97:c2:80:bf:1",  // seven bytes
           "0:60:97:c2:80:bf:",   // trailing separator
           ":0:60:97:c2:80:bf",   // leading separator
           "0::97:c2:80:bf",      // empty byte
           "000:60:97:c2:80:bf",  // three digits
           "0:60:97:c2:80:bg",    // not hex
           "0-60-97-c2-80-bf",    // wrong separator
           "0:60:97:c2:80:bf ",   // trailing space
       }) {
    INFO("input: \"" << bad << "\"");
    CHECK_FALSE(mac_addr::parse(bad));
  }
}

TEST_CASE("ip6 parse accepts numeric forms only and prints RFC 5952 text", "[base][addr]") {
  auto a = ip6_addr::parse("2001:0db8:0000:0000:0000:0000:0000:0001");
  REQUIRE(a);
  CHECK(a->to_string() == "2001:db8::1");
  CHECK(ip6_of("FE80::5054:FF:FEDA:CB7D").to_string() == "fe80::5054:ff:feda:cb7d");
  CHECK_FALSE(ip6_addr::parse(""));
  CHECK_FALSE(ip6_addr::parse("fe80::1%vtnet0"));  // no zones
  CHECK_FALSE(ip6_addr::parse("localhost"));
  CHECK_FALSE(ip6_addr::parse("2001:db8::1::2"));
  CHECK_FALSE(ip6_addr::parse(std::string(100, '1')));
}

TEST_CASE("address classification follows RFC 4291", "[base][addr]") {
  CHECK(ip6_of("::").is_unspecified());
  CHECK(ip6_of("::1").is_loopback());
  CHECK_FALSE(ip6_of("::2").is_loopback());
  CHECK(ip6_of("fe80::1").is_link_local());
  CHECK(ip6_of("febf::1").is_link_local());
  CHECK_FALSE(ip6_of("fec0::1").is_link_local());
  CHECK(ip6_of("fec0::1").is_site_local());
  CHECK(ip6_of("ff02::1").is_link_scope());
  CHECK(ip6_of("ff01::1").is_link_scope());
  CHECK_FALSE(ip6_of("ff05::1").is_link_scope());
  CHECK(ip6_of("ff0e::1").multicast_scope() == 0xe);
  CHECK_FALSE(ip6_of("2001:db8::1").is_link_scope());
}

TEST_CASE("make_addr joins a /64 prefix and an interface identifier", "[base][addr]") {
  const std::array<std::uint8_t, 8> id{0, 0, 0, 0, 0, 0, 0, 0x42};
  CHECK(umi::make_addr(ip6_of("2001:db8:1:2:ffff::"), id) == ip6_of("2001:db8:1:2::42"));
}

TEST_CASE("ifid_from_hostname is deterministic and locally administered", "[base][addr]") {
  const auto a = umi::ifid_from_hostname("umigame");
  CHECK(a == umi::ifid_from_hostname("umigame"));
  CHECK(a != umi::ifid_from_hostname("umigame2"));
  CHECK((a[0] & 0x02) == 0);  // u bit clear in the interface identifier
  CHECK((umi::ifid_from_hostname("host")[0] & 0x02) == 0);
  // Bytes 1..7 are MD5("umigame") bytes 1..7, untouched.
  CHECK(std::vector<std::uint8_t>(a.begin() + 1, a.end()) ==
        std::vector<std::uint8_t>{0xc0, 0x5e, 0x90, 0x2c, 0x47, 0x59, 0xb0});
}

TEST_CASE("ifid_from_hostname clears the group bit as KAME get_rand_ifid does", "[base][addr]") {
  // MD5("umigame") = 7f c0 5e 90 2c 47 59 b0 ... KAME in6_ifattach.c:
  // s6_addr[8] &= ~EUI64_GBIT; s6_addr[8] |= EUI64_UBIT; EUI64_TO_IFID (^= UBIT)
  // => 0x7f -> 0x7e -> 0x7e -> 0x7c. An identifier with the group bit set
  // would be a group identifier (RFC 4291 App. A).
  const auto a = umi::ifid_from_hostname("umigame");
  CHECK((a[0] & 0x01) == 0);
  CHECK(umi::make_addr(ip6_of("fe80::"), a) == ip6_of("fe80::7cc0:5e90:2c47:59b0"));
}
