// Node Information messages (RFC 4620): header view, DNS-wire names,
// address lists, qtype bitmaps and the NI group address.
#include "stack/wire/nodeinfo.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "stack/base/rng.hpp"
#include "tests/unit/support/fixtures.hpp"

using umi::bytes;
using umi::test::ip6_of;
namespace wire = umi::wire;
namespace ni = umi::wire::ni;
using bytevec = std::vector<std::uint8_t>;

TEST_CASE("ni header: fields read back from the fixed 16 bytes", "[wire][ni]") {
  wire::ni_repr q;
  q.type = 139;
  q.code = ni::subj_name;
  q.qtype = ni::qtype_node_addrs;
  q.flags = ni::flag_all | ni::flag_global;
  q.nonce = {1, 2, 3, 4, 5, 6, 7, 8};
  q.data = {0xaa, 0xbb};
  const bytevec m = q.emit();
  REQUIRE(m.size() == 18);
  CHECK(m[2] == 0);  // checksum left for the sender
  CHECK(m[3] == 0);
  auto v = wire::ni_view::parse(m);
  REQUIRE(v);
  CHECK(v->type() == 139);
  CHECK(v->code() == 1);
  CHECK(v->qtype() == 3);
  CHECK(v->flags() == 0x0022);
  CHECK(v->nonce() == std::array<std::uint8_t, 8>{1, 2, 3, 4, 5, 6, 7, 8});
  CHECK(v->data().size() == 2);
}

TEST_CASE("ni header: a message shorter than 16 bytes is refused", "[wire][ni]") {
  bytevec m(15, 0);
  m[0] = 139;
  auto v = wire::ni_view::parse(m);
  REQUIRE_FALSE(v);
  CHECK(v.error() == wire::wire_error::too_short);
  CHECK(wire::ni_view::parse(bytevec(16, 0)));
}

TEST_CASE("dns names: FQDNs end in one zero, single labels in two", "[wire][ni]") {
  auto f = wire::encode_dns_name("fto.kame.net");
  REQUIRE(f);
  CHECK(*f == bytevec{3, 'f', 't', 'o', 4, 'k', 'a', 'm', 'e', 3, 'n', 'e', 't', 0});
  CHECK(wire::encode_dns_name("fto.kame.net.") == f);
  auto t = wire::encode_dns_name("umigame");
  REQUIRE(t);
  CHECK(*t == bytevec{7, 'u', 'm', 'i', 'g', 'a', 'm', 'e', 0, 0});
}

TEST_CASE("dns names: empty labels, long labels and long names are refused", "[wire][ni]") {
  CHECK_FALSE(wire::encode_dns_name(""));
  CHECK_FALSE(wire::encode_dns_name("."));
  CHECK_FALSE(wire::encode_dns_name("a..b"));
  CHECK_FALSE(wire::encode_dns_name(".a"));
  CHECK(wire::encode_dns_name(std::string(63, 'x')));
  CHECK_FALSE(wire::encode_dns_name(std::string(64, 'x')));
  std::string longname;
  for (int i = 0; i < 64; ++i) longname += "abc.";  // 256 octets on the wire
  CHECK_FALSE(wire::encode_dns_name(longname));
}

TEST_CASE("dns names: decode keeps the dot of FQDNs and lists several names", "[wire][ni]") {
  bytevec d = *wire::encode_dns_name("a.example.");
  auto t = *wire::encode_dns_name("host");
  d.insert(d.end(), t.begin(), t.end());
  auto names = wire::decode_dns_names(d);
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"a.example.", "host"});
  // Zero padding after the last name is allowed.
  d.push_back(0);
  d.push_back(0);
  CHECK(wire::decode_dns_names(d));
}

TEST_CASE("dns names: truncated, compressed and over-long input is an error", "[wire][ni]") {
  CHECK_FALSE(wire::decode_dns_names(bytevec{5, 'a', 'b'}));             // label runs off
  CHECK_FALSE(wire::decode_dns_names(bytevec{3, 'a', 'b', 'c'}));        // no terminator
  CHECK_FALSE(wire::decode_dns_names(bytevec{0xc0, 0x0c}));              // compression pointer
  CHECK_FALSE(wire::decode_dns_names(bytevec{64}));                      // label too long
  CHECK_FALSE(wire::decode_dns_names(bytevec{0, 3, 'a', 'b', 'c', 0}));  // empty name first
  bytevec huge;
  for (int i = 0; i < 64; ++i) huge.insert(huge.end(), {3, 'a', 'b', 'c'});
  huge.push_back(0);
  CHECK_FALSE(wire::decode_dns_names(huge));
}

TEST_CASE("dns names: a subject matches our name case-insensitively, truncated or not",
          "[wire][ni]") {
  auto m = [](const char* subject, const char* host) {
    return wire::dns_name_matches(bytes(*wire::encode_dns_name(subject)), host);
  };
  CHECK(m("Fto.Kame.Net", "fto.kame.net"));
  CHECK(m("fto", "fto.kame.net"));  // truncated subject: leading labels
  CHECK(m("fto.kame.net", "fto"));  // our truncated name
  CHECK_FALSE(m("ftp.kame.net", "fto.kame.net"));
  CHECK_FALSE(m("ft", "fto.kame.net"));
  CHECK_FALSE(m("fto.kame", "fto.kame.net"));  // FQDN subject must match whole
  CHECK_FALSE(wire::dns_name_matches(bytevec{3, 'f', 't'}, "fto"));
}

TEST_CASE("addresses: TTL + address entries, partial entries refused", "[wire][ni]") {
  bytevec d{0xff, 0xff, 0xff, 0xff};
  auto a = ip6_of("2001:db8::1");
  d.insert(d.end(), a.b.begin(), a.b.end());
  auto v = wire::decode_addrs(d, false);
  REQUIRE(v);
  REQUIRE(v->size() == 1);
  CHECK((*v)[0].ttl == ni::ttl_infinite);
  CHECK((*v)[0].addr == a);
  d.push_back(0);
  CHECK_FALSE(wire::decode_addrs(d, false));
  auto v4 = wire::decode_addrs(bytevec{0, 0, 0, 60, 192, 0, 2, 1}, true);
  REQUIRE(v4);
  CHECK((*v4)[0].ttl == 60);
  CHECK((*v4)[0].addr == ip6_of("::ffff:192.0.2.1"));
  CHECK_FALSE(wire::decode_addrs(bytevec{0, 0, 0, 60, 192, 0}, true));
}

TEST_CASE("qtypes: raw and compressed bitmaps", "[wire][ni]") {
  auto raw = wire::decode_qtypes(bytevec{0, 0, 0, 0x1f}, false);
  REQUIRE(raw);
  CHECK(*raw == std::vector<std::uint16_t>{0, 1, 2, 3, 4});
  // One word, then skip one all-zero word, then one word with qtype 64.
  auto c = wire::decode_qtypes(bytevec{0, 1, 0, 1, 0, 0, 0, 0x05, 0, 1, 0, 0, 0, 0, 0, 1}, true);
  REQUIRE(c);
  CHECK(*c == std::vector<std::uint16_t>{0, 2, 64});
  CHECK_FALSE(wire::decode_qtypes(bytevec{0, 0, 1}, false));
  CHECK_FALSE(wire::decode_qtypes(bytevec{0, 2, 0, 0, 0, 0, 0, 1}, true));  // 2 words, 1 present
  // Skipping past qtype 65535 is an error, not a wrap-around.
  CHECK_FALSE(wire::decode_qtypes(bytevec{0, 1, 0xff, 0xff, 0, 0, 0, 1}, true));
  CHECK_FALSE(wire::decode_qtypes(bytevec(4 * 2049, 0xff), false));
}

TEST_CASE("ni decoders take arbitrary bytes without reading out of range", "[wire][ni]") {
  umi::rng r{7};
  for (int n = 0; n < 5000; ++n) {
    bytevec d(static_cast<std::size_t>(r.uniform(0, 80)));
    for (auto& b : d) b = static_cast<std::uint8_t>(r.uniform(0, 255));
    // Small label lengths now and then, so names parse deep.
    if (!d.empty() && n % 2 == 0) d[0] = static_cast<std::uint8_t>(d[0] % 8);
    (void)wire::decode_dns_names(d);
    (void)wire::dns_name_matches(d, "a.example");
    (void)wire::decode_addrs(d, n % 3 == 0);
    (void)wire::decode_qtypes(d, n % 2 == 0);
    (void)wire::ni_view::parse(d);
  }
  SUCCEED();
}

TEST_CASE("NI group: ff02::2:ff + 24 bits of MD5 of the lower-cased first label", "[wire][ni]") {
  // MD5("\x07example") = 952c6002..., computed independently.
  CHECK(wire::ni_group_address("example") == ip6_of("ff02::2:ff95:2c60"));
  CHECK(wire::ni_group_address("Example.Com.") == ip6_of("ff02::2:ff95:2c60"));
  CHECK(wire::ni_group_address_kame("example.com") == ip6_of("ff02::2:952c:6002"));
  // MD5("\x07umigame") = c0555022...
  CHECK(wire::ni_group_address("umigame") == ip6_of("ff02::2:ffc0:5550"));
  CHECK_FALSE(wire::ni_group_address(""));
  CHECK_FALSE(wire::ni_group_address("..x"));
}
