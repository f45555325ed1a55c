// When ICMPv6 errors may be sent (RFC 4443 §2.4 (e)) and how often (§2.4 (f)).
#include "stack/icmp/error_rules.hpp"

#include <catch2/catch.hpp>

#include "tests/unit/support/fixtures.hpp"

using namespace std::chrono_literals;
using umi::test::ip6_of;
namespace icmp = umi::icmp;
using icmp::error_verdict;

namespace {

icmp::offending_packet unicast_packet() {
  icmp::offending_packet p;
  p.src = ip6_of("2001:db8::1");
  p.dst = ip6_of("2001:db8::2");
  return p;
}

// (type, code) of the errors the node generates.
constexpr std::pair<std::uint8_t, std::uint8_t> all_errors[] = {{1, 3}, {1, 4}, {2, 0}, {3, 0},
                                                                {4, 0}, {4, 1}, {4, 2}};

}  // namespace

TEST_CASE("errors are sent for a unicast packet from a unicast source", "[icmp]") {
  for (auto [type, code] : all_errors) {
    INFO("type " << int{type} << " code " << int{code});
    CHECK(icmp::may_send_error(unicast_packet(), type, code) == error_verdict::send);
  }
}

TEST_CASE("no error is sent in reply to an ICMPv6 error or a redirect", "[icmp]") {
  auto err = unicast_packet();
  err.is_icmp6_error = true;
  auto redirect = unicast_packet();
  redirect.is_redirect = true;
  for (auto [type, code] : all_errors) {
    INFO("type " << int{type} << " code " << int{code});
    CHECK(icmp::may_send_error(err, type, code) == error_verdict::suppress_error_reply);
    CHECK(icmp::may_send_error(redirect, type, code) == error_verdict::suppress_error_reply);
  }
}

TEST_CASE("no error for multicast except packet too big and unrecognised option", "[icmp]") {
  auto l3 = unicast_packet();
  l3.dst = ip6_of("ff02::1");
  auto l2 = unicast_packet();
  l2.l2_multicast = true;
  for (const auto& p : {l3, l2}) {
    CHECK(icmp::may_send_error(p, 1, 4) == error_verdict::suppress_multicast);
    CHECK(icmp::may_send_error(p, 1, 3) == error_verdict::suppress_multicast);
    CHECK(icmp::may_send_error(p, 3, 0) == error_verdict::suppress_multicast);
    CHECK(icmp::may_send_error(p, 4, 0) == error_verdict::suppress_multicast);
    CHECK(icmp::may_send_error(p, 4, 1) == error_verdict::suppress_multicast);
    CHECK(icmp::may_send_error(p, 2, 0) == error_verdict::send);
    CHECK(icmp::may_send_error(p, 4, 2) == error_verdict::send);
  }
}

TEST_CASE("no error to an unspecified or multicast source", "[icmp]") {
  auto unspec = unicast_packet();
  unspec.src = ip6_of("::");
  auto mcast = unicast_packet();
  mcast.src = ip6_of("ff02::1");
  for (auto [type, code] : all_errors) {
    INFO("type " << int{type} << " code " << int{code});
    CHECK(icmp::may_send_error(unspec, type, code) == error_verdict::suppress_source);
    CHECK(icmp::may_send_error(mcast, type, code) == error_verdict::suppress_source);
  }
}

TEST_CASE("rate limiter allows a burst of N per second then refuses", "[icmp]") {
  umi::manual_clock clock;
  icmp::rate_limiter lim(10);
  for (int i = 0; i < 10; ++i) {
    INFO("error " << i);
    CHECK(lim.allow(clock.now()));
  }
  CHECK_FALSE(lim.allow(clock.now()));
  clock.advance(99ms);
  CHECK_FALSE(lim.allow(clock.now()));  // 0.99 of a token
}

TEST_CASE("rate limiter refills with time up to the burst size", "[icmp]") {
  umi::manual_clock clock;
  icmp::rate_limiter lim(10);
  for (int i = 0; i < 10; ++i) REQUIRE(lim.allow(clock.now()));
  REQUIRE_FALSE(lim.allow(clock.now()));

  clock.advance(500ms);  // five tokens
  int allowed = 0;
  while (allowed < 100 && lim.allow(clock.now())) ++allowed;
  CHECK(allowed == 5);

  clock.advance(1h);  // never more than one second's worth
  allowed = 0;
  while (allowed < 100 && lim.allow(clock.now())) ++allowed;
  CHECK(allowed == 10);
}

TEST_CASE("rate limit of zero disables the limiter", "[icmp]") {
  umi::manual_clock clock;
  icmp::rate_limiter lim(0);
  for (int i = 0; i < 1000; ++i) REQUIRE(lim.allow(clock.now()));
}

TEST_CASE("changing the rate applies to the next refill", "[icmp]") {
  umi::manual_clock clock;
  icmp::rate_limiter lim(1);
  REQUIRE(lim.allow(clock.now()));
  REQUIRE_FALSE(lim.allow(clock.now()));
  lim.set_rate(4);
  clock.advance(1s);
  int allowed = 0;
  while (allowed < 100 && lim.allow(clock.now())) ++allowed;
  CHECK(allowed == 4);
}
