#pragma once
// When an ICMPv6 error may be generated (RFC 4443 §2.4 (e), (f)) and how
// often (token bucket, net.inet6.icmp6.errppslimit).
#include <cstdint>

#include "stack/base/addr.hpp"
#include "stack/base/clock.hpp"

namespace umi::icmp {

struct offending_packet {
  ip6_addr src;
  ip6_addr dst;
  bool l2_multicast = false;    // arrived as link-layer multicast/broadcast
  bool is_icmp6_error = false;  // an ICMPv6 error message (or unparsable ICMPv6)
  bool is_redirect = false;
};

enum class error_verdict : std::uint8_t {
  send,
  suppress_error_reply,
  suppress_multicast,
  suppress_source
};

// RFC 4443 §2.4 (e): never in reply to an ICMPv6 error or a redirect; not to
// IPv6 or link-layer multicast except Packet Too Big and Parameter Problem
// code 2 (unrecognised option); not when the source is unspecified,
// multicast or otherwise not a single node.
error_verdict may_send_error(const offending_packet& p, std::uint8_t type,
                             std::uint8_t code) noexcept;

// RFC 4443 §2.4 (f): token-bucket rate limit. `pps` tokens per second,
// bursts up to `pps`. 0 disables the limit.
class rate_limiter {
 public:
  explicit rate_limiter(unsigned pps) : pps_(pps), tokens_(pps) {}
  bool allow(time_point now) noexcept;
  void set_rate(unsigned pps) noexcept { pps_ = pps; }

 private:
  unsigned pps_;
  double tokens_;
  time_point last_{};
};

}  // namespace umi::icmp
