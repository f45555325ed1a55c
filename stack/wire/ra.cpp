#include "stack/wire/ra.hpp"

#include <algorithm>

#include "stack/wire/icmpv6.hpp"
#include "stack/wire/ndp.hpp"

namespace umi::wire {

result<ra_options, wire_error> parse_ra_options(bytes opts) {
  ra_options o;
  std::size_t i = 0;
  while (i < opts.size()) {
    if (i + 2 > opts.size()) return unexpected{wire_error::bad_option};
    const std::uint8_t type = opts[i];
    const std::size_t len = std::size_t{opts[i + 1]} * 8;
    // RFC 4861 §4.6: "Nodes MUST silently discard an ND packet that contains
    // an option with length zero."
    if (len == 0 || i + len > opts.size()) return unexpected{wire_error::bad_option};
    const bytes opt = opts.subspan(i, len);
    switch (type) {
      case nd_opt::src_lladdr: {
        if (len != 8) return unexpected{wire_error::bad_option};  // Ethernet: exactly 8
        mac_addr m;
        std::copy_n(&opt[2], 6, m.b.begin());
        o.src_lladdr = m;
        break;
      }
      case nd_opt::mtu:
        if (len != 8) return unexpected{wire_error::bad_option};
        o.mtu = load_be32(&opt[4]);
        break;
      case nd_opt::prefix_info: {
        auto p = prefix_info_view::parse(opt);
        if (!p || len != prefix_info_view::len) return unexpected{wire_error::bad_option};
        if (p->prefix_len() > 128) {
          ++o.bad_prefix_len;
        } else {
          o.prefixes.push_back(p->decode());
        }
        break;
      }
      default:
        break;
    }
    ++o.count;
    i += len;
  }
  return o;
}

std::size_t emit_rs(mut_bytes out, const std::optional<mac_addr>& src_lladdr) noexcept {
  std::fill_n(out.begin(), 8, std::uint8_t{0});
  out[0] = icmp6_type::router_solicit;
  if (!src_lladdr) return 8;
  out[8] = nd_opt::src_lladdr;
  out[9] = 1;
  std::copy(src_lladdr->b.begin(), src_lladdr->b.end(), out.begin() + 10);
  return 16;
}

}  // namespace umi::wire
