// IPv6 front end of the poptrie: validation, masking and batching.
#include "stack/fib/fib6.hpp"

#include <vector>

namespace umi::fib {

namespace {

detail::u128 masked_key(detail::u128 k, unsigned len) noexcept {
  return len == 0 ? 0 : k & (~detail::u128{0} << (fib6::max_len - len));
}

}  // namespace

fib6::fib6(reclaimer* r) : trie_(top_bits, r) {}

result<void, fib_error> fib6::insert(const ip6_addr& prefix, unsigned len, nexthop_id nh) {
  if (len > max_len) return unexpected{fib_error::bad_prefix_length};
  if (nh == no_route) return unexpected{fib_error::bad_next_hop};
  detail::route_change c{masked_key(key_of(prefix), len), nh, static_cast<std::uint8_t>(len), 0};
  trie_.apply(std::span(&c, 1));
  return ok;
}

result<void, fib_error> fib6::insert_bulk(std::span<const route6> routes) {
  std::vector<detail::route_change> changes;
  changes.reserve(routes.size());
  for (const route6& r : routes) {
    if (r.len > max_len) return unexpected{fib_error::bad_prefix_length};
    if (r.nh == no_route) return unexpected{fib_error::bad_next_hop};
    changes.push_back({masked_key(key_of(r.prefix), r.len), r.nh, r.len,
                       static_cast<std::uint32_t>(changes.size())});
  }
  trie_.apply(changes);
  return ok;
}

bool fib6::erase(const ip6_addr& prefix, unsigned len) {
  if (len > max_len) return false;
  const detail::u128 key = masked_key(key_of(prefix), len);
  if (!trie_.find_exact(key, len)) return false;
  detail::route_change c{key, no_route, static_cast<std::uint8_t>(len), 0};
  trie_.apply(std::span(&c, 1));
  return true;
}

std::optional<nexthop_id> fib6::find_exact(const ip6_addr& prefix, unsigned len) const {
  if (len > max_len) return std::nullopt;
  return trie_.find_exact(masked_key(key_of(prefix), len), len);
}

void fib6::lookup_bulk(const ip6_addr* const* dsts, nexthop_id* out, unsigned n) const noexcept {
  trie_.lookup_bulk<detail::u128, top_bits>([dsts](unsigned i) { return key_of(*dsts[i]); }, out,
                                            n);
}

void fib6::lookup_bulk(const std::uint8_t* const* dsts, nexthop_id* out,
                       unsigned n) const noexcept {
  trie_.lookup_bulk<detail::u128, top_bits>([dsts](unsigned i) { return key_of(dsts[i]); }, out, n);
}

}  // namespace umi::fib
