// IPv4 front end of the poptrie: validation, masking and batching. The writer
// works on 128-bit keys with the address in the top 32 bits.
#include "stack/fib/fib4.hpp"

#include <vector>

namespace umi::fib {

namespace {

detail::u128 key_of(std::uint32_t prefix, unsigned len) noexcept {
  const std::uint32_t masked = len == 0 ? 0 : prefix & (~std::uint32_t{0} << (32 - len));
  return detail::u128{masked} << 96;
}

}  // namespace

fib4::fib4(reclaimer* r) : trie_(top_bits, r) {}

result<void, fib_error> fib4::insert(std::uint32_t prefix, unsigned len, nexthop_id nh) {
  if (len > max_len) return unexpected{fib_error::bad_prefix_length};
  if (nh == no_route) return unexpected{fib_error::bad_next_hop};
  detail::route_change c{key_of(prefix, len), nh, static_cast<std::uint8_t>(len), 0};
  trie_.apply(std::span(&c, 1));
  return ok;
}

result<void, fib_error> fib4::insert_bulk(std::span<const route4> routes) {
  std::vector<detail::route_change> changes;
  changes.reserve(routes.size());
  for (const route4& r : routes) {
    if (r.len > max_len) return unexpected{fib_error::bad_prefix_length};
    if (r.nh == no_route) return unexpected{fib_error::bad_next_hop};
    changes.push_back(
        {key_of(r.prefix, r.len), r.nh, r.len, static_cast<std::uint32_t>(changes.size())});
  }
  trie_.apply(changes);
  return ok;
}

bool fib4::erase(std::uint32_t prefix, unsigned len) {
  if (len > max_len) return false;
  const detail::u128 key = key_of(prefix, len);
  if (!trie_.find_exact(key, len)) return false;
  detail::route_change c{key, no_route, static_cast<std::uint8_t>(len), 0};
  trie_.apply(std::span(&c, 1));
  return true;
}

std::optional<nexthop_id> fib4::find_exact(std::uint32_t prefix, unsigned len) const {
  if (len > max_len) return std::nullopt;
  return trie_.find_exact(key_of(prefix, len), len);
}

void fib4::lookup_bulk(const std::uint32_t* dsts, nexthop_id* out, unsigned n) const noexcept {
  trie_.lookup_bulk<std::uint64_t, top_bits>(
      [dsts](unsigned i) { return std::uint64_t{dsts[i]} << 32; }, out, n);
}

}  // namespace umi::fib
