#include "stack/wire/ra.hpp"

#include <algorithm>

#include "stack/wire/icmpv6.hpp"
#include "stack/wire/ndp.hpp"

namespace umi::wire {

result<ra_options, wire_error> parse_ra_options(bytes opts) {
  // The checks every ND message shares (zero length, truncation, lengths of
  // the lladdr, MTU and prefix options): RFC 4861 §4.6.
  auto nd = parse_nd_options(opts);
  if (!nd) return unexpected{nd.error()};
  ra_options o;
  o.src_lladdr = nd->src_lladdr;
  o.mtu = nd->mtu;
  o.count = nd->count;
  for (std::size_t i = 0; i < opts.size(); i += std::size_t{opts[i + 1]} * 8) {
    if (opts[i] != nd_opt::prefix_info) continue;
    auto p = prefix_info_view::parse(opts.subspan(i));
    if (!p) return unexpected{p.error()};  // cannot happen after the walk above
    if (p->prefix_len() > 128) {
      ++o.bad_prefix_len;
    } else {
      o.prefixes.push_back(p->decode());
    }
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
