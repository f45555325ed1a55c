#include "stack/icmp/error_rules.hpp"

#include <algorithm>

namespace umi::icmp {

error_verdict may_send_error(const offending_packet& p, std::uint8_t type,
                             std::uint8_t code) noexcept {
  if (p.is_icmp6_error || p.is_redirect) return error_verdict::suppress_error_reply;
  const bool exception = type == 2 || (type == 4 && code == 2);
  if ((p.dst.is_multicast() || p.l2_multicast) && !exception)
    return error_verdict::suppress_multicast;
  if (p.src.is_unspecified() || p.src.is_multicast()) return error_verdict::suppress_source;
  return error_verdict::send;
}

bool rate_limiter::allow(time_point now) noexcept {
  if (pps_ == 0) return true;
  if (last_ != time_point{}) {
    const double secs = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min<double>(pps_, tokens_ + secs * pps_);
  }
  last_ = now;
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

}  // namespace umi::icmp
