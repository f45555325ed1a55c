// The prefix list and router renumbering (KAME `prefix`, RFC 2894
// semantics as KAME's in6_prefix.c applied them to the node itself).
#include <algorithm>

#include "stack/control/node.hpp"

namespace umi::node {

namespace {

// New prefix: the first `uselen` bits of usepr, the next `keeplen` bits of
// the matched prefix, zeros after (RFC 2894 §3.1.3).
ip6_addr build_prefix(const ip6_addr& use, unsigned uselen, const ip6_addr& old, unsigned keeplen) {
  ip6_addr out = use.masked(uselen);
  for (unsigned bit = uselen; bit < uselen + keeplen && bit < 128; ++bit) {
    const std::uint8_t m = static_cast<std::uint8_t>(0x80 >> (bit % 8));
    if (old.b[bit / 8] & m) out.b[bit / 8] |= m;
  }
  return out;
}

}  // namespace

node_result<ok_t> node::prefix_set(const prefix_entry& in) {
  interface* ifp = interface_by_index(in.ifindex);
  if (ifp == nullptr) return fail(errc::enxio, "no such interface");
  if (in.plen > 128 || in.prefix.is_multicast() || in.prefix.is_link_local())
    return fail(errc::einval, "bad value");
  if (in.vltime && in.pltime && *in.pltime > *in.vltime)
    return fail(errc::einval, "Invalid argument");
  prefix_entry p = in;
  p.prefix = in.prefix.masked(in.plen);
  auto it = std::find_if(prefixes_.begin(), prefixes_.end(), [&](const prefix_entry& e) {
    return e.ifindex == p.ifindex && e.plen == p.plen && e.prefix == p.prefix;
  });
  if (p.autonomous && p.plen <= 64) {
    auto id = ifp->interface_id();
    if (!id) return fail(errc::eaddrnotavail, "no interface identifier on " + ifp->name);
    p.addr = make_addr(p.prefix, *id);
    if (addr_entry* a = ifp->find(p.addr); a == nullptr) {
      if (auto r = add_address(ifp->name, p.addr, {p.plen, true, false}); !r) return r;
    } else if (a->autoconf) {
      // Set by hand now: RAs no longer age it.
      a->autoconf = a->deprecated = false;
      a->valid_until.reset();
      a->preferred_until.reset();
    }
  }
  if (it != prefixes_.end()) {
    *it = p;  // manual settings take precedence over what was there
  } else {
    prefixes_.push_back(p);
  }
  changed();
  return ok;
}

node_result<ok_t> node::prefix_delete(unsigned ifindex, const ip6_addr& prefix, unsigned plen) {
  interface* ifp = interface_by_index(ifindex);
  if (ifp == nullptr) return fail(errc::enxio, "no such interface");
  const ip6_addr key = prefix.masked(plen);
  auto it = std::find_if(prefixes_.begin(), prefixes_.end(), [&](const prefix_entry& e) {
    return e.ifindex == ifindex && e.plen == plen && e.prefix == key;
  });
  if (it == prefixes_.end()) return fail(errc::eaddrnotavail, "Can't assign requested address");
  if (it->from_ra) {  // its autoconf address and on-link route go with it
    remove_ra_prefix(static_cast<std::size_t>(it - prefixes_.begin()));
    return ok;
  }
  // The addresses made from the prefix go with it.
  std::vector<ip6_addr> gone;
  for (const auto& a : ifp->addrs)
    if (!a.addr.is_link_local() && a.plen == plen && a.addr.masked(plen) == key)
      gone.push_back(a.addr);
  for (const auto& a : gone) (void)delete_address(ifp->name, a);
  prefixes_.erase(it);
  changed();
  return ok;
}

node_result<std::vector<node::renumbered>> node::prefix_renumber(const renumber_spec& spec) {
  // Router renumbering is for routers only (KAME returned EPERM otherwise).
  if (!cfg_.forwarding) return fail(errc::einval, "permission denied");
  if (spec.vltime && spec.pltime && *spec.pltime > *spec.vltime)
    return fail(errc::einval, "Invalid argument");
  auto wanted = [&](unsigned ifx) {
    return spec.ifindexes.empty() ||
           std::find(spec.ifindexes.begin(), spec.ifindexes.end(), ifx) != spec.ifindexes.end();
  };
  std::vector<prefix_entry> matched;
  for (const auto& p : prefixes_) {
    if (!wanted(p.ifindex)) continue;
    if (p.plen < spec.mp_minlen || p.plen > spec.mp_maxlen || p.plen < spec.mp_len) continue;
    if (!p.prefix.matches_prefix(spec.matchpr, spec.mp_len)) continue;
    matched.push_back(p);
  }
  if (matched.empty()) return fail(errc::eaddrnotavail, "Can't assign requested address");

  std::vector<renumbered> out;
  if (spec.operation == renumber_spec::op::setglobal) {
    // SET-GLOBAL: every global prefix on the interfaces goes, then as CHANGE.
    std::vector<prefix_entry> all;
    for (const auto& p : prefixes_)
      if (wanted(p.ifindex)) all.push_back(p);
    for (const auto& p : all) (void)prefix_delete(p.ifindex, p.prefix, p.plen);
  }
  for (const auto& old : matched) {
    prefix_entry np = old;
    const unsigned keeplen = spec.up_keeplen;
    if (spec.usepr && spec.up_uselen > 0) {
      np.prefix = build_prefix(*spec.usepr, spec.up_uselen, old.prefix, keeplen);
      np.plen = std::min(128u, spec.up_uselen + keeplen);
    }
    np.vltime = spec.vltime;
    np.pltime = spec.pltime;
    np.onlink = spec.onlink;
    np.autonomous = spec.autonomous;
    if (auto r = prefix_set(np); !r) return unexpected{r.error()};
    if (spec.operation != renumber_spec::op::add &&
        !(np.prefix == old.prefix && np.plen == old.plen))
      (void)prefix_delete(old.ifindex, old.prefix, old.plen);
    out.push_back({old.ifindex, old.prefix, np.prefix.masked(np.plen), np.plen});
  }
  return out;
}

}  // namespace umi::node
