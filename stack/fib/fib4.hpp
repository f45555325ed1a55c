#pragma once
// IPv4 forwarding information base: the same poptrie as fib6 (see README.md),
// with addresses as 32-bit integers in host byte order.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "stack/base/result.hpp"
#include "stack/fib/poptrie.hpp"
#include "stack/fib/types.hpp"

namespace umi::fib {

struct route4 {
  std::uint32_t prefix;  // host byte order; bits past len are ignored
  std::uint8_t len;
  nexthop_id nh;
};

// Threading and memory rules as for fib6.
class fib4 {
 public:
  static constexpr unsigned max_len = 32;

  explicit fib4(reclaimer* r = nullptr);

  result<void, fib_error> insert(std::uint32_t prefix, unsigned len, nexthop_id nh);
  result<void, fib_error> insert_bulk(std::span<const route4> routes);
  bool erase(std::uint32_t prefix, unsigned len);
  std::optional<nexthop_id> find_exact(std::uint32_t prefix, unsigned len) const;

  nexthop_id lookup(std::uint32_t dst) const noexcept {
    return trie_.lookup<std::uint64_t, top_bits>(std::uint64_t{dst} << 32);
  }
  void lookup_bulk(const std::uint32_t* dsts, nexthop_id* out, unsigned n) const noexcept;

  std::size_t size() const noexcept { return trie_.size(); }
  std::size_t memory_bytes() const noexcept { return trie_.memory_bytes(); }

 private:
  // 2^18 entries (2 MiB): /19../24 routes, most of a BGP table, then sit in the
  // first node below the top table, so a typical lookup touches the top entry,
  // one node and one leaf.
  static constexpr unsigned top_bits = 18;

  detail::poptrie trie_;
};

}  // namespace umi::fib
