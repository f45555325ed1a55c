#include "stack/ip6/source_select.hpp"

namespace umi::ip6 {
namespace {

unsigned common_prefix_len(const ip6_addr& a, const ip6_addr& b) noexcept {
  unsigned n = 0;
  for (int i = 0; i < 16; ++i) {
    std::uint8_t x = a.b[i] ^ b.b[i];
    if (x == 0) {
      n += 8;
      continue;
    }
    while ((x & 0x80) == 0) {
      ++n;
      x = static_cast<std::uint8_t>(x << 1);
    }
    break;
  }
  return n;
}

}  // namespace

unsigned scope_of(const ip6_addr& a) noexcept {
  if (a.is_multicast()) return a.multicast_scope();
  if (a.is_link_local() || a.is_loopback()) return 2;
  if (a.is_site_local()) return 5;
  return 14;
}

std::optional<ip6_addr> select_source(const ip6_addr& dst, unsigned out_ifindex,
                                      std::span<const src_candidate> candidates) noexcept {
  const src_candidate* best = nullptr;
  const unsigned dscope = scope_of(dst);
  // Returns true when a is preferred over b (RFC 6724 §5 rule order).
  auto better = [&](const src_candidate& a, const src_candidate& b) {
    if (a.addr == dst) return true;  // rule 1
    if (b.addr == dst) return false;
    const unsigned sa = scope_of(a.addr), sb = scope_of(b.addr);
    if (sa != sb) {  // rule 2
      if (sa < sb) return sa >= dscope;
      return sb < dscope;
    }
    if (a.deprecated != b.deprecated) return !a.deprecated;  // rule 3
    const bool ia = a.ifindex == out_ifindex, ib = b.ifindex == out_ifindex;
    if (ia != ib) return ia;                                                 // rule 5
    return common_prefix_len(a.addr, dst) > common_prefix_len(b.addr, dst);  // rule 8
  };
  for (const auto& c : candidates) {
    if (!c.usable) continue;
    // Scoped sources only on their own link.
    if (scope_of(c.addr) <= 2 && c.ifindex != out_ifindex) continue;
    if (best == nullptr || better(c, *best)) best = &c;
  }
  if (best == nullptr) return std::nullopt;
  return best->addr;
}

}  // namespace umi::ip6
