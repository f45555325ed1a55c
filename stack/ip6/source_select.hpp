#pragma once
// Source address selection for packets the node itself originates
// (RFC 6724 §5), over the candidate addresses the caller lists.
#include <optional>
#include <span>

#include "stack/base/addr.hpp"

namespace umi::ip6 {

struct src_candidate {
  ip6_addr addr;
  unsigned ifindex = 0;
  bool usable = true;  // not tentative, not duplicated, not anycast
  bool deprecated = false;
};

// RFC 4291 §2.7 / RFC 6724 §3.1 scope value of an address.
unsigned scope_of(const ip6_addr& a) noexcept;

// Picks the best source for `dst` leaving by `out_ifindex`. Rules applied:
// 1 prefer same address, 2 appropriate scope, 3 avoid deprecated,
// 5 prefer the outgoing interface, 8 longest matching prefix. Candidates of
// smaller scope than the destination on another interface are never chosen
// (a link-local source must be on the outgoing link).
std::optional<ip6_addr> select_source(const ip6_addr& dst, unsigned out_ifindex,
                                      std::span<const src_candidate> candidates) noexcept;

}  // namespace umi::ip6
