#pragma once
// IPv6 forwarding information base: longest-prefix match from a destination
// address to a next-hop id, for the workers (lock-free reads) and the control
// thread (the single writer). EAL-free; see README.md for the design.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "stack/base/addr.hpp"
#include "stack/base/result.hpp"
#include "stack/fib/poptrie.hpp"
#include "stack/fib/types.hpp"

namespace umi::fib {

struct route6 {
  ip6_addr prefix;  // bits past len are ignored
  std::uint8_t len;
  nexthop_id nh;
};

// One writer thread calls insert/insert_bulk/erase/find_exact/size/memory_bytes;
// any number of threads call lookup/lookup_bulk concurrently without locks.
// Memory replaced by an update goes to the reclaimer (nullptr: freed at once,
// which is only correct when no reader runs concurrently). The destructor frees
// everything at once: destroy the table only after the readers have let go.
class fib6 {
 public:
  static constexpr unsigned max_len = 128;

  explicit fib6(reclaimer* r = nullptr);

  // Adds the route or replaces the next hop of the same prefix. Host bits of
  // prefix are ignored.
  result<void, fib_error> insert(const ip6_addr& prefix, unsigned len, nexthop_id nh);
  // Same as inserting each route in order (the last of duplicates wins), but
  // applied as one batch: each affected part of the table is rebuilt once. All
  // routes are validated first; on error nothing is installed.
  result<void, fib_error> insert_bulk(std::span<const route6> routes);
  // Removes the route; addresses it covered fall back to the covering route.
  // Returns false if the prefix was not installed.
  bool erase(const ip6_addr& prefix, unsigned len);
  std::optional<nexthop_id> find_exact(const ip6_addr& prefix, unsigned len) const;

  // Longest prefix match; no_route when nothing matches.
  nexthop_id lookup(const ip6_addr& dst) const noexcept {
    return trie_.lookup<detail::u128, top_bits>(key_of(dst));
  }
  // The same for the 16 bytes of an address in place (a packet header, say).
  nexthop_id lookup(const std::uint8_t* dst) const noexcept {
    return trie_.lookup<detail::u128, top_bits>(key_of(dst));
  }
  // out[i] = lookup(*dsts[i]), with the memory accesses of the lookups
  // interleaved; the form the workers use for a burst.
  void lookup_bulk(const ip6_addr* const* dsts, nexthop_id* out, unsigned n) const noexcept;
  // The same with each dsts[i] pointing at the 16 bytes of an address (in a
  // packet header, say).
  void lookup_bulk(const std::uint8_t* const* dsts, nexthop_id* out, unsigned n) const noexcept;

  std::size_t size() const noexcept { return trie_.size(); }
  // Heap bytes held by the table, including allocator overhead.
  std::size_t memory_bytes() const noexcept { return trie_.memory_bytes(); }

 private:
  // 2^14 x 8 bytes = 128 KiB of direct-pointing entries, and 14 + 3 x 6 = 32:
  // the nodes below line up with /32 allocations (see README.md).
  static constexpr unsigned top_bits = 14;

  // Two big-endian 64-bit loads (a load and a bswap each; see ip6_addr::hi).
  static std::uint64_t load_be64(const std::uint8_t* p) noexcept {
    return umi::detail::be_word<8>(p);
  }
  static detail::u128 key_of(const ip6_addr& a) noexcept { return key_of(a.b.data()); }
  static detail::u128 key_of(const std::uint8_t* p) noexcept {
    return (detail::u128{load_be64(p)} << 64) | load_be64(p + 8);
  }

  detail::poptrie trie_;
};

}  // namespace umi::fib
