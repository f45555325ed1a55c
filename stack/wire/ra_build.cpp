#include "stack/wire/ra_build.hpp"

#include <algorithm>

#include "stack/wire/icmpv6.hpp"
#include "stack/wire/ndp.hpp"
#include "stack/wire/ra.hpp"

namespace umi::wire {

std::vector<std::uint8_t> ra_repr::emit() const {
  std::vector<std::uint8_t> m(length(), 0);
  m[0] = icmp6_type::router_advert;
  m[ra_field::cur_hop_limit] = cur_hop_limit;
  m[ra_field::flags] = flags;
  store_be16(&m[ra_field::router_lifetime], router_lifetime);
  store_be32(&m[ra_field::reachable_time], reachable_time);
  store_be32(&m[ra_field::retrans_timer], retrans_timer);
  std::size_t n = ra_header_len;
  if (src_lladdr) {
    m[n] = nd_opt::src_lladdr;
    m[n + 1] = 1;
    std::copy(src_lladdr->b.begin(), src_lladdr->b.end(), m.begin() + static_cast<long>(n) + 2);
    n += 8;
  }
  if (mtu) {
    m[n] = nd_opt::mtu;
    m[n + 1] = 1;
    store_be32(&m[n + 4], *mtu);
    n += 8;
  }
  for (const auto& p : prefixes) {
    m[n] = nd_opt::prefix_info;
    m[n + 1] = 4;
    m[n + 2] = p.plen;
    m[n + 3] = p.flags;
    store_be32(&m[n + 4], p.vltime);
    store_be32(&m[n + 8], p.pltime);
    const ip6_addr masked = p.prefix.masked(p.plen);  // RFC 4861 §4.6.2: bits after plen are 0
    std::copy(masked.b.begin(), masked.b.end(), m.begin() + static_cast<long>(n) + 16);
    n += prefix_info_len;
  }
  return m;
}

// The host's reader (ra.hpp) does the checking; this only re-expresses its
// result in the encoder's terms for the consistency checks of §6.2.7.
result<ra_repr, wire_error> ra_repr::parse(bytes msg) {
  auto v = ra_view::parse(msg);
  if (!v) return unexpected{v.error()};
  auto opts = parse_ra_options(v->options());
  if (!opts) return unexpected{opts.error()};
  ra_repr r;
  r.cur_hop_limit = v->cur_hop_limit();
  r.flags = msg[ra_field::flags];
  r.router_lifetime = v->router_lifetime();
  r.reachable_time = v->reachable_time();
  r.retrans_timer = v->retrans_timer();
  r.src_lladdr = opts->src_lladdr;
  r.mtu = opts->mtu;
  for (const prefix_info& p : opts->prefixes) {
    ra_prefix rp;
    rp.prefix = p.prefix;
    rp.plen = p.prefix_len;
    rp.flags = static_cast<std::uint8_t>((p.onlink ? pi_flag_onlink : 0) |
                                         (p.autonomous ? pi_flag_auto : 0));
    rp.vltime = p.valid_lifetime;
    rp.pltime = p.preferred_lifetime;
    r.prefixes.push_back(rp);
  }
  return r;
}

}  // namespace umi::wire
