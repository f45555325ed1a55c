#include "stack/wire/ra_build.hpp"

#include <algorithm>

#include "stack/wire/icmpv6.hpp"
#include "stack/wire/ndp.hpp"

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

result<ra_repr, wire_error> ra_repr::parse(bytes msg) {
  if (msg.size() < ra_header_len) return unexpected{wire_error::too_short};
  ra_repr r;
  r.cur_hop_limit = msg[ra_field::cur_hop_limit];
  r.flags = msg[ra_field::flags];
  r.router_lifetime = load_be16(&msg[ra_field::router_lifetime]);
  r.reachable_time = load_be32(&msg[ra_field::reachable_time]);
  r.retrans_timer = load_be32(&msg[ra_field::retrans_timer]);
  const bytes opts = msg.subspan(ra_header_len);
  auto checked = parse_nd_options(opts);  // lengths, link-layer and MTU sizes
  if (!checked) return unexpected{checked.error()};
  r.src_lladdr = checked->src_lladdr;
  r.mtu = checked->mtu;
  for (std::size_t i = 0; i < opts.size(); i += std::size_t{opts[i + 1]} * 8) {
    if (opts[i] != nd_opt::prefix_info) continue;
    ra_prefix p;
    p.plen = opts[i + 2];
    p.flags = opts[i + 3];
    p.vltime = load_be32(&opts[i + 4]);
    p.pltime = load_be32(&opts[i + 8]);
    std::copy_n(&opts[i + 16], 16, p.prefix.b.begin());
    r.prefixes.push_back(p);
  }
  return r;
}

}  // namespace umi::wire
