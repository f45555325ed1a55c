#include "stack/wire/ndp.hpp"

#include <algorithm>

#include "stack/wire/icmpv6.hpp"

namespace umi::wire {
namespace {

std::size_t emit_lladdr_opt(std::uint8_t* p, std::uint8_t type, const mac_addr& mac) noexcept {
  p[0] = type;
  p[1] = 1;  // 8 octets
  std::copy(mac.b.begin(), mac.b.end(), p + 2);
  return 8;
}

}  // namespace

result<nd_options, wire_error> parse_nd_options(bytes opts) noexcept {
  nd_options o;
  std::size_t i = 0;
  while (i < opts.size()) {
    if (i + 2 > opts.size()) return unexpected{wire_error::bad_option};
    const std::uint8_t type = opts[i];
    const std::size_t len = std::size_t{opts[i + 1]} * 8;
    if (len == 0 || i + len > opts.size()) return unexpected{wire_error::bad_option};
    switch (type) {
      case nd_opt::src_lladdr:
      case nd_opt::tgt_lladdr: {
        if (len != 8) return unexpected{wire_error::bad_option};  // Ethernet: exactly 8
        mac_addr m;
        std::copy_n(&opts[i + 2], 6, m.b.begin());
        (type == nd_opt::src_lladdr ? o.src_lladdr : o.tgt_lladdr) = m;
        break;
      }
      case nd_opt::mtu:
        if (len != 8) return unexpected{wire_error::bad_option};
        o.mtu = load_be32(&opts[i + 4]);
        break;
      case nd_opt::prefix_info:
        if (len != 32) return unexpected{wire_error::bad_option};
        break;
      default:
        break;
    }
    ++o.count;
    i += len;
  }
  return o;
}

std::size_t emit_ns(mut_bytes out, const ip6_addr& target,
                    const std::optional<mac_addr>& src_lladdr) noexcept {
  std::fill_n(out.begin(), ns_view::header_len, std::uint8_t{0});
  out[0] = icmp6_type::neighbor_solicit;
  std::copy(target.b.begin(), target.b.end(), out.begin() + 8);
  std::size_t n = ns_view::header_len;
  if (src_lladdr) n += emit_lladdr_opt(&out[n], nd_opt::src_lladdr, *src_lladdr);
  return n;
}

std::size_t emit_na(mut_bytes out, const ip6_addr& target, bool router, bool solicited,
                    bool override_flag, const std::optional<mac_addr>& tgt_lladdr) noexcept {
  std::fill_n(out.begin(), na_view::header_len, std::uint8_t{0});
  out[0] = icmp6_type::neighbor_advert;
  out[4] = static_cast<std::uint8_t>((router ? na_view::flag_router : 0) |
                                     (solicited ? na_view::flag_solicited : 0) |
                                     (override_flag ? na_view::flag_override : 0));
  std::copy(target.b.begin(), target.b.end(), out.begin() + 8);
  std::size_t n = na_view::header_len;
  if (tgt_lladdr) n += emit_lladdr_opt(&out[n], nd_opt::tgt_lladdr, *tgt_lladdr);
  return n;
}

}  // namespace umi::wire
