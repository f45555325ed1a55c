// Source address selection (RFC 6724 §5), stage tier.
#include "stack/ip6/source_select.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "tests/unit/support/fixtures.hpp"

using umi::ip6::select_source;
using umi::ip6::src_candidate;
using umi::test::ip6_of;

namespace {

src_candidate cand(const char* a, unsigned ifindex, bool usable = true, bool deprecated = false) {
  return {ip6_of(a), ifindex, usable, deprecated};
}

}  // namespace

TEST_CASE("link-local destination gets the link-local of the outgoing interface", "[ip6]") {
  const std::vector<src_candidate> c{cand("2001:db8::1", 1), cand("fe80::1", 1), cand("fe80::2", 2),
                                     cand("2001:db8:2::1", 2)};
  CHECK(select_source(ip6_of("fe80::99"), 2, c) == ip6_of("fe80::2"));
  CHECK(select_source(ip6_of("fe80::99"), 1, c) == ip6_of("fe80::1"));
}

TEST_CASE("link-local source on another interface is never used", "[ip6]") {
  const std::vector<src_candidate> c{cand("fe80::1", 1)};
  CHECK_FALSE(select_source(ip6_of("fe80::99"), 2, c));
}

TEST_CASE("global destination prefers a global source over a link-local one", "[ip6]") {
  const std::vector<src_candidate> c{cand("fe80::1", 1), cand("2001:db8::1", 1)};
  CHECK(select_source(ip6_of("2001:db8:ffff::9"), 1, c) == ip6_of("2001:db8::1"));
  // Order of candidates does not matter.
  const std::vector<src_candidate> r{cand("2001:db8::1", 1), cand("fe80::1", 1)};
  CHECK(select_source(ip6_of("2001:db8:ffff::9"), 1, r) == ip6_of("2001:db8::1"));
}

TEST_CASE("only a link-local source is still used for a global destination", "[ip6]") {
  // Rule 2 ranks scopes; it does not forbid the smaller one when it is all we have.
  const std::vector<src_candidate> c{cand("fe80::1", 1)};
  CHECK(select_source(ip6_of("2001:db8::9"), 1, c) == ip6_of("fe80::1"));
}

TEST_CASE("multicast destination scope decides between link-local and global", "[ip6]") {
  const std::vector<src_candidate> c{cand("2001:db8::1", 1), cand("fe80::1", 1)};
  CHECK(select_source(ip6_of("ff02::1"), 1, c) == ip6_of("fe80::1"));
  CHECK(select_source(ip6_of("ff0e::1"), 1, c) == ip6_of("2001:db8::1"));
}

TEST_CASE("deprecated address is avoided when another of the same scope exists", "[ip6]") {
  // The deprecated one would otherwise win on longest match.
  const std::vector<src_candidate> c{cand("2001:db8:1::1", 1, true, true),
                                     cand("2001:db8:2::1", 1)};
  CHECK(select_source(ip6_of("2001:db8:1::9"), 1, c) == ip6_of("2001:db8:2::1"));
  const std::vector<src_candidate> only{cand("2001:db8:1::1", 1, true, true)};
  CHECK(select_source(ip6_of("2001:db8:1::9"), 1, only) == ip6_of("2001:db8:1::1"));
}

TEST_CASE("longest matching prefix breaks the tie", "[ip6]") {
  const std::vector<src_candidate> c{cand("2001:db8:1::1", 1), cand("2001:db8:2::1", 1),
                                     cand("2001:db8:3::1", 1)};
  CHECK(select_source(ip6_of("2001:db8:2::99"), 1, c) == ip6_of("2001:db8:2::1"));
  CHECK(select_source(ip6_of("2001:db8:3::99"), 1, c) == ip6_of("2001:db8:3::1"));
}

TEST_CASE("an address on the outgoing interface beats a longer match elsewhere", "[ip6]") {
  const std::vector<src_candidate> c{cand("2001:db8:9::1", 2), cand("2001:db8:1::1", 1)};
  CHECK(select_source(ip6_of("2001:db8:9::99"), 1, c) == ip6_of("2001:db8:1::1"));
}

TEST_CASE("the destination itself is preferred when it is ours", "[ip6]") {
  const std::vector<src_candidate> c{cand("2001:db8::1", 1), cand("2001:db8::2", 1)};
  CHECK(select_source(ip6_of("2001:db8::2"), 1, c) == ip6_of("2001:db8::2"));
}

TEST_CASE("tentative or otherwise unusable addresses are never chosen", "[ip6]") {
  const std::vector<src_candidate> c{cand("2001:db8::2", 1, false), cand("fe80::1", 1, false),
                                     cand("2001:db8:5::1", 1)};
  // Even rule 1 (same address) does not revive an unusable candidate.
  CHECK(select_source(ip6_of("2001:db8::2"), 1, c) == ip6_of("2001:db8:5::1"));
  // With the link-local unusable, a link-local destination gets the global.
  CHECK(select_source(ip6_of("fe80::9"), 1, c) == ip6_of("2001:db8:5::1"));
}

TEST_CASE("no usable candidate gives no source", "[ip6]") {
  CHECK_FALSE(select_source(ip6_of("2001:db8::9"), 1, {}));
  const std::vector<src_candidate> c{cand("2001:db8::1", 1, false), cand("fe80::1", 1, false)};
  CHECK_FALSE(select_source(ip6_of("2001:db8::9"), 1, c));
}

TEST_CASE("scope values follow RFC 4291 and RFC 6724", "[ip6]") {
  using umi::ip6::scope_of;
  CHECK(scope_of(ip6_of("fe80::1")) == 2);
  CHECK(scope_of(ip6_of("::1")) == 2);
  CHECK(scope_of(ip6_of("fec0::1")) == 5);
  CHECK(scope_of(ip6_of("2001:db8::1")) == 14);
  CHECK(scope_of(ip6_of("ff02::1")) == 2);
  CHECK(scope_of(ip6_of("ff05::1")) == 5);
  CHECK(scope_of(ip6_of("ff0e::1")) == 14);
}
