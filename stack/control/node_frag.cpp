// Reassembly of fragments addressed to us.
#include "stack/control/node.hpp"

#include <algorithm>

#include "stack/ip6/source_select.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/icmpv6.hpp"
#include "stack/wire/ipv6.hpp"
#include "stack/wire/ipv6_ext.hpp"
#include "stack/wire/ndp.hpp"

namespace umi::node {

using wire::icmp6_type::echo_reply;
using wire::icmp6_type::echo_request;
// RFC 8200 §4.5. Only the common layout is reassembled: the fragment header
// directly after the IPv6 header. Overlapping fragments discard the whole
// datagram (RFC 5722); at most net.inet6.ip6.maxfragpackets datagrams are in
// progress; an incomplete one is dropped after 60 s with Time Exceeded code 1
// when its first fragment had arrived.
void node::reassemble(interface& ifp, const wire::ipv6_view& ip, std::size_t frag_off,
                      bool l2_multicast) {
  const bytes pkt = ip.packet();
  if (frag_off != wire::ipv6_view::header_len || frag_off + 8 > pkt.size()) {
    counters_.inc(stats::ip6::fragdropped);
    return;
  }
  const std::uint16_t off_m = load_be16(&pkt[frag_off + 2]);
  const std::size_t offset = std::size_t{off_m & 0xfff8u};
  const bool more = (off_m & 1) != 0;
  const std::uint32_t ident = load_be32(&pkt[frag_off + 4]);
  const bytes data = pkt.subspan(frag_off + 8);
  // Non-final fragments carry a multiple of 8 bytes; nothing may end past 64 KiB.
  if ((more && data.size() % 8 != 0) || data.empty() || offset + data.size() > 65535) {
    counters_.inc(stats::ip6::fragdropped);
    return;
  }
  const reass_key key{ip.src(), ip.dst(), ident, ifp.index};
  auto it = reass_.find(key);
  if (it == reass_.end()) {
    if (reass_.size() >=
        static_cast<std::size_t>(sysctl_.integer("net.inet6.ip6.maxfragpackets"))) {
      counters_.inc(stats::ip6::fragdropped);
      return;
    }
    it = reass_.emplace(key, reassembly{}).first;
    it->second.deadline = now() + std::chrono::seconds(60);
    it->second.ifindex = ifp.index;
  }
  reassembly& r = it->second;
  for (const auto& [o, d] : r.pieces) {
    if (offset < o + d.size() && o < offset + data.size()) {  // overlap: RFC 5722
      counters_.inc(stats::ip6::fragdropped);
      reass_.erase(it);
      return;
    }
  }
  if (!more) r.total = offset + data.size();
  if (offset == 0) {
    r.have_first = true;
    r.next_header = pkt[frag_off];
    r.unfrag.assign(pkt.begin(), pkt.begin() + static_cast<std::ptrdiff_t>(frag_off));
  }
  r.pieces.emplace_back(offset, std::vector<std::uint8_t>(data.begin(), data.end()));
  if (!r.have_first || r.total == 0) return;
  std::size_t have = 0;
  for (const auto& p : r.pieces) have += p.second.size();
  if (have != r.total) return;
  std::vector<std::uint8_t> whole = r.unfrag;
  whole.resize(r.unfrag.size() + r.total);
  for (const auto& [o, d] : r.pieces)
    std::copy(d.begin(), d.end(), whole.begin() + static_cast<std::ptrdiff_t>(r.unfrag.size() + o));
  store_be16(&whole[wire::ipv6_field::payload_len], static_cast<std::uint16_t>(r.total));
  whole[wire::ipv6_field::next_header] = r.next_header;
  reass_.erase(it);
  counters_.inc(stats::ip6::reassembled);
  deliver(ifp, bytes(whole), l2_multicast);
}

void node::expire_reassembly(time_point t) {
  for (auto it = reass_.begin(); it != reass_.end();) {
    if (it->second.deadline > t) {
      ++it;
      continue;
    }
    counters_.inc(stats::ip6::fragtimeout);
    reassembly& r = it->second;
    if (r.have_first) {  // RFC 8200 §4.5: Time Exceeded, code 1, quoting the first fragment
      if (interface* ifp = interface_by_index(r.ifindex)) {
        std::vector<std::uint8_t> first = r.unfrag;
        for (const auto& [o, d] : r.pieces)
          if (o == 0) first.insert(first.end(), d.begin(), d.end());
        store_be16(&first[wire::ipv6_field::payload_len],
                   static_cast<std::uint16_t>(first.size() - wire::ipv6_view::header_len));
        send_error(*ifp, bytes(first), false, wire::icmp6_type::time_exceeded, 1, 0);
      }
    }
    it = reass_.erase(it);
  }
}

}  // namespace umi::node
