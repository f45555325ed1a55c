#include "stack/pipeline/fastpath.hpp"

#include "stack/pipeline/table.hpp"

namespace umi::pipeline {

namespace {
fast_port compile_port(const port_table& p) {
  fast_port f;
  f.usable = p.present && p.up;
  f.ifindex = p.ifindex;
  f.mac = umi::detail::raw_word<6>(p.mac.b.data());
  for (const ip6_addr& a : p.unicast) {
    if (a.is_link_local()) continue;  // never a fast-path destination anyway
    if (f.n6 == fast_port::max_addrs) {
      f.usable = false;
      break;
    }
    f.local6[f.n6++] = {fast::load64(a.b.data()), fast::load64(a.b.data() + 8)};
  }
  for (const auto* list : {&p.unicast4, &p.broadcast4}) {
    for (const std::uint32_t a : *list) {
      if (f.n4 == f.local4.size()) {
        f.usable = false;
        break;
      }
      f.local4[f.n4] = __builtin_bswap32(a);  // host order -> as loaded from the wire
      f.last4 |= std::uint64_t{1} << (f.local4[f.n4++] >> 24 & 63);
    }
  }
  return f;
}

std::vector<fast_adj> compile_adjacencies(const dataplane_table& t,
                                          const std::vector<nexthop_rt>& nexthops) {
  std::vector<fast_adj> out(nexthops.size());
  for (std::size_t id = 0; id < nexthops.size(); ++id) {
    const nexthop_rt& nh = nexthops[id];
    fast_adj& a = out[id];
    const bool usable = nh.type == nexthop_rt::kind::forward && !nh.onlink && nh.resolved &&
                        nh.port < t.ports.size() && t.ports[nh.port].up;
    std::memcpy(a.l2.data(), nh.dst_mac.b.data(), 6);
    std::memcpy(a.l2.data() + 6, nh.src_mac.b.data(), 6);
    a.port = nh.port;
    a.mtu = usable ? nh.mtu : 0;
    a.ifindex = nh.ifindex;
  }
  return out;
}
}  // namespace

void build_fast_path(dataplane_table& t) {
  t.fast_ports.clear();
  for (const port_table& p : t.ports) t.fast_ports.push_back(compile_port(p));
  t.adj6 = compile_adjacencies(t, t.nexthops);
  t.adj4 = compile_adjacencies(t, t.nexthops4);
}

int fast_forward(const dataplane_table& t, std::uint16_t in_port, std::uint8_t* frame,
                 std::uint32_t len) noexcept {
  if (in_port >= t.fast_ports.size() || !t.fast_ports[in_port].usable) return -1;
  const fast_port& p = t.fast_ports[in_port];
  const std::uint16_t type = fast::ether_type(p, frame, len);
  if (type == fast::ether_ip6) {
    if (!t.forwarding6 || t.fib6 == nullptr || !fast::accept6(p, frame, len)) return -1;
    const fib::nexthop_id id = t.fib6->lookup(frame + 14 + 24);
    const fast_adj* a =
        fast::finish6(t.adj6, id, frame, len, fast::excluded_ifindex(p.ifindex, t.redirects6));
    return a != nullptr ? a->port : -1;
  }
  if (type == fast::ether_ip4) {
    if (!t.forwarding4 || t.fib4 == nullptr) return -1;
    const std::uint32_t total = fast::accept4(p, frame, len);
    if (total == 0) return -1;
    const fib::nexthop_id id = t.fib4->lookup(load_be32(frame + 14 + 16));
    const fast_adj* a =
        fast::finish4(t.adj4, id, frame, total, fast::excluded_ifindex(p.ifindex, t.redirects4));
    return a != nullptr ? a->port : -1;
  }
  return -1;
}

}  // namespace umi::pipeline
