// ICMPv6 Node Information Queries (RFC 4620): the responder, the NI group
// addresses of our name, and replies handed to ping6.
#include <algorithm>

#include "stack/control/node.hpp"
#include "stack/wire/icmpv6.hpp"
#include "stack/wire/nodeinfo.hpp"

namespace umi::node {

namespace {

// net.inet6.icmp6.nodeinfo bits (KAME icmp6.h ICMP6_NODEINFO_*).
constexpr std::int64_t nodeinfo_fqdn_ok = 0x1;
constexpr std::int64_t nodeinfo_nodeaddr_ok = 0x2;
constexpr std::int64_t nodeinfo_global_ok = 0x8;

// Qtypes we answer, as a raw bitmap word (bit n = qtype n, KAME's order).
constexpr std::uint32_t supported_qtypes =
    1u << wire::ni::qtype_noop | 1u << wire::ni::qtype_supported | 1u << wire::ni::qtype_node_name |
    1u << wire::ni::qtype_node_addrs | 1u << wire::ni::qtype_ipv4_addrs;

// A reply must fit the minimum MTU (RFC 4620 §6.3: set T when it does not).
constexpr std::size_t reply_room = 1280 - 40 - wire::ni_view::header_len;

void put_be32(std::vector<std::uint8_t>& v, std::uint32_t x) {
  v.resize(v.size() + 4);
  store_be32(&v[v.size() - 4], x);
}

}  // namespace

void node::update_ni_groups() {
  std::set<ip6_addr> g;
  // RFC 4620 §4 (24 bits of the hash) and KAME's earlier 32-bit form, so
  // both kinds of querier reach us.
  if (auto a = wire::ni_group_address(cfg_.hostname)) g.insert(*a);
  if (auto a = wire::ni_group_address_kame(cfg_.hostname)) g.insert(*a);
  for (auto& ifp : ifs_) ifp.ni_groups = g;  // the caller publishes the change
}

std::vector<std::uint8_t> node::ni_addresses(const interface* only, std::uint16_t flags, bool v4,
                                             bool& truncated) const {
  std::vector<std::uint8_t> out;
  truncated = false;
  const std::size_t entry = v4 ? 8 : 20;
  auto add = [&](std::uint32_t ttl, const std::uint8_t* a, std::size_t n) {
    if (out.size() + entry > reply_room) {
      truncated = true;
      return;
    }
    put_be32(out, ttl);
    out.insert(out.end(), a, a + n);
  };
  for (const auto& ifp : ifs_) {
    if (only != nullptr && only != &ifp) continue;
    if (v4) {
      for (const auto& a : ifp.addrs4) {
        std::uint8_t b[4];
        store_be32(b, a.addr);
        add(wire::ni::ttl_infinite, b, 4);
      }
      continue;
    }
    for (const auto& a : ifp.addrs) {
      if (a.tentative || a.duplicated) continue;
      // KAME ni6_addrs: each scope only when its flag asks for it; anycast
      // addresses only with KAME's experimental flag.
      const std::uint16_t scope_flag = a.addr.is_link_local()   ? wire::ni::flag_link
                                       : a.addr.is_site_local() ? wire::ni::flag_site
                                                                : wire::ni::flag_global;
      if ((flags & scope_flag) == 0) continue;
      if (a.anycast && (flags & wire::ni::flag_anycast) == 0) continue;
      // TTL: the valid lifetime of the prefix the address came from.
      std::uint32_t ttl = wire::ni::ttl_infinite;
      for (const auto& p : prefixes_)
        if (p.ifindex == ifp.index && p.addr == a.addr && p.vltime) ttl = *p.vltime;
      add(ttl, a.addr.b.data(), 16);
    }
  }
  return out;
}

void node::ni_input(interface& ifp, const wire::ipv6_view& ip, bytes msg) {
  auto ni = wire::ni_view::parse(msg);
  if (!ni) {
    counters_.inc(stats::icmp6::badlen);
    return;
  }
  if (ni->type() == wire::icmp6_type::ni_reply) {
    if (ni->code() > wire::ni::unknown_qtype) counters_.inc(stats::icmp6::badcode);
    if (!env_.ni_reply) return;
    ni_event ev;
    ev.from = ip.src();
    ev.to = ip.dst();
    ev.ifindex = ifp.index;
    ev.hlim = ip.hop_limit();
    ev.code = ni->code();
    ev.qtype = ni->qtype();
    ev.flags = ni->flags();
    ev.nonce = ni->nonce();
    ev.len = msg.size();
    ev.data.assign(ni->data().begin(), ni->data().end());
    env_.ni_reply(ev);
    return;
  }

  // RFC 4620 §4: only queries to one of our unicast or anycast addresses, or
  // to a link-local multicast group we joined, are processed; and a reply
  // needs somewhere to go.
  const ip6_addr dst = ip.dst(), src = ip.src();
  auto discard = [this] { counters_.inc(stats::icmp6::ni_discarded); };
  if (dst.is_multicast() ? dst.multicast_scope() != 2 || ifp.groups().count(dst) == 0
                         : !is_our_address(dst)) {
    discard();
    return;
  }
  if (src.is_unspecified() || src.is_multicast()) {
    discard();
    return;
  }

  // The subject (§5): it must name this node, else the query is not ours.
  const std::uint16_t qtype = ni->qtype();
  const bytes subj = ni->data();
  const interface* subject_if = &ifp;  // Node Addresses without A: this interface
  bool draft03 = false;                // ping6 -W: Node Name, no subject, old reply
  switch (ni->code()) {
    case wire::ni::subj_ipv6: {
      if (subj.empty() && qtype == wire::ni::qtype_node_name) {
        draft03 = true;
        break;
      }
      if (subj.size() != 16) {
        counters_.inc(stats::icmp6::badlen);
        return;
      }
      ip6_addr s;
      std::copy(subj.begin(), subj.end(), s.b.begin());
      // KAME ni6_input: the subject equal to the destination (already
      // checked to be ours, or a group we joined: ping6 -w ff02::1) names
      // this node; so does another of our addresses, a link-local one only
      // on the arrival link.
      if (s == dst) break;
      const interface* owner = nullptr;
      if (!is_our_address(s, &owner) || (s.is_link_scope() && owner != &ifp)) {
        discard();
        return;
      }
      subject_if = owner;
      break;
    }
    case wire::ni::subj_name:
      if (subj.empty()) {
        // An empty subject is for NOOP and Supported Qtypes only.
        if (qtype == wire::ni::qtype_noop || qtype == wire::ni::qtype_supported) break;
        counters_.inc(stats::icmp6::badlen);
        return;
      }
      if (auto names = wire::decode_dns_names(subj); !names || names->size() != 1) {
        counters_.inc(stats::icmp6::badlen);
        return;
      }
      if (!wire::dns_name_matches(subj, cfg_.hostname)) {
        discard();
        return;
      }
      break;
    case wire::ni::subj_ipv4: {
      if (subj.size() != 4) {
        counters_.inc(stats::icmp6::badlen);
        return;
      }
      const interface* owner = nullptr;
      if (!is_our_address4(load_be32(subj.data()), &owner)) {
        discard();
        return;
      }
      subject_if = owner;
      break;
    }
    default:
      counters_.inc(stats::icmp6::badcode);
      return;
  }

  const std::int64_t policy = sysctl_.integer("net.inet6.icmp6.nodeinfo");
  wire::ni_repr reply;
  reply.type = wire::icmp6_type::ni_reply;
  reply.qtype = qtype;
  reply.nonce = ni->nonce();
  reply.code = wire::ni::success;
  auto refuse = [&] {
    counters_.inc(stats::icmp6::ni_refused);
    reply.code = wire::ni::refused;
  };
  // RFC 4620 §7: by default, refuse queries from global-scope sources
  // (KAME: ICMP6_NODEINFO_GLOBALOK allows them).
  const bool global_src = !(src.is_link_local() || src.is_site_local() || src.is_loopback());
  if (global_src && (policy & nodeinfo_global_ok) == 0) {
    refuse();
  } else {
    switch (qtype) {
      case wire::ni::qtype_noop:
        break;
      case wire::ni::qtype_supported:
        put_be32(reply.data, supported_qtypes);
        break;
      case wire::ni::qtype_node_name: {
        if ((policy & nodeinfo_fqdn_ok) == 0) {
          refuse();
          break;
        }
        put_be32(reply.data, 0);  // TTL unknown (KAME sends 0)
        if (draft03) {
          const std::string& n = cfg_.hostname;
          reply.data.push_back(static_cast<std::uint8_t>(std::min<std::size_t>(n.size(), 255)));
          reply.data.insert(reply.data.end(), n.begin(), n.begin() + reply.data.back());
        } else if (auto name = wire::encode_dns_name(cfg_.hostname)) {
          reply.data.insert(reply.data.end(), name->begin(), name->end());
        }
        break;
      }
      case wire::ni::qtype_node_addrs:
      case wire::ni::qtype_ipv4_addrs: {
        if ((policy & nodeinfo_nodeaddr_ok) == 0) {
          refuse();
          break;
        }
        bool truncated = false;
        const bool all = (ni->flags() & wire::ni::flag_all) != 0;
        reply.data = ni_addresses(all ? nullptr : subject_if, ni->flags(),
                                  qtype == wire::ni::qtype_ipv4_addrs, truncated);
        // §6.3: the reply carries the query's flags, with T when truncated.
        reply.flags = static_cast<std::uint16_t>(ni->flags() & ~wire::ni::flag_truncated);
        if (truncated) reply.flags |= wire::ni::flag_truncated;
        break;
      }
      default:
        // §4: an unknown Qtype gets Code 2 and no data.
        reply.code = wire::ni::unknown_qtype;
        break;
    }
  }

  if (!ni_limit_.allow(now())) {
    counters_.inc(stats::icmp6::ni_toofreq);
    return;
  }
  send_request r;
  r.dst = src;
  r.ifindex = src.is_link_scope() ? ifp.index : 0;
  // Answer from the address asked, unless it was multicast or anycast.
  if (const addr_entry* a = ifp.find(dst); a && !a->anycast) r.src = dst;
  r.payload = reply.emit();
  if (send(std::move(r))) counters_.inc(stats::icmp6::reflect);
}

}  // namespace umi::node
