#pragma once
// Vocabulary shared by fib6 and fib4: next-hop ids, errors, and the hook through
// which memory that readers may still be using is handed back for deferred freeing.
#include <cstdint>
#include <functional>
#include <string_view>

namespace umi::fib {

// Index into the caller's next-hop table. The FIB never interprets it.
using nexthop_id = std::uint32_t;
// Returned by lookups that match no route; it cannot be installed as a next hop.
inline constexpr nexthop_id no_route = 0xffffffffu;

enum class fib_error : std::uint8_t {
  bad_prefix_length,  // longer than the address (128 for IPv6, 32 for IPv4)
  bad_next_hop,       // no_route is reserved for "no match"
};

constexpr std::string_view to_string(fib_error e) noexcept {
  switch (e) {
    case fib_error::bad_prefix_length:
      return "prefix length exceeds the address length";
    case fib_error::bad_next_hop:
      return "next hop id is reserved";
  }
  return "unknown fib error";
}

// Memory that concurrent readers may still be reading is not freed by the
// writer: it is handed to retire(), and the owner calls free_fn once every
// reader has passed a quiescent point after the call (the daemon uses DPDK
// QSBR; tests use a small atomic-counter QSBR). retire() is called by the
// writer thread only, after the memory has been unlinked from the table.
struct reclaimer {
  virtual ~reclaimer() = default;
  virtual void retire(std::function<void()> free_fn) = 0;
};

}  // namespace umi::fib
