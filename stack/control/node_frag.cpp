// Reassembly of fragments addressed to us.
#include "stack/control/node.hpp"

#include <algorithm>

#include "stack/ip4/input.hpp"
#include "stack/ip4/options.hpp"
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
    if (reassembly_full(false)) {
      counters_.inc(stats::ip6::fragdropped);
      return;
    }
    it = reass_.emplace(key, reassembly{}).first;
    it->second.deadline = now() + std::chrono::seconds(60);
    it->second.ifindex = ifp.index;
  }
  reassembly& r = it->second;
  if (offset == 0) {
    r.next_header = pkt[frag_off];
    r.unfrag.assign(pkt.begin(), pkt.begin() + static_cast<std::ptrdiff_t>(frag_off));
  }
  switch (add_fragment(r, offset, data, more)) {
    case piece_result::pending:
      return;
    case piece_result::dropped:
      counters_.inc(stats::ip6::fragdropped);
      reass_.erase(it);
      return;
    case piece_result::complete:
      break;
  }
  std::vector<std::uint8_t> whole = assemble(r);
  store_be16(&whole[wire::ipv6_field::payload_len], static_cast<std::uint16_t>(r.total));
  whole[wire::ipv6_field::next_header] = r.next_header;
  reass_.erase(it);
  counters_.inc(stats::ip6::reassembled);
  deliver(ifp, bytes(whole), l2_multicast);
}

// RFC 791 §3.2 (FreeBSD ip_reass()): fragments are keyed by source,
// destination, protocol and identification; the first fragment's header
// heads the datagram; an incomplete one is dropped after 60 s with Time
// Exceeded code 1 (RFC 792) when its first fragment had arrived.
std::vector<std::uint8_t> node::reassemble4(interface& ifp, const wire::ipv4_view& ip) {
  const std::size_t offset = std::size_t{ip.frag_offset()} * 8;
  const bool more = ip.more_fragments();
  const bytes data = ip.payload();
  if ((more && data.size() % 8 != 0) || data.empty() ||
      ip.header_len() + offset + data.size() > 65535) {
    counters_.inc(stats::ip::fragdropped);
    return {};
  }
  const reass_key key{ip4::mapped(ip.src()), ip4::mapped(ip.dst()),
                      (std::uint32_t{ip.protocol()} << 16) | ip.ident(), 0};
  auto it = reass_.find(key);
  if (it == reass_.end()) {
    if (reassembly_full(true)) {
      counters_.inc(stats::ip::fragdropped);
      return {};
    }
    it = reass_.emplace(key, reassembly{}).first;
    it->second.deadline = now() + std::chrono::seconds(60);
    it->second.ifindex = ifp.index;
    it->second.v4 = true;
  }
  reassembly& r = it->second;
  if (offset == 0) {
    const bytes h = ip.packet().first(ip.header_len());
    r.unfrag.assign(h.begin(), h.end());
  }
  switch (add_fragment(r, offset, data, more)) {
    case piece_result::pending:
      return {};
    case piece_result::dropped:
      counters_.inc(stats::ip::fragdropped);
      reass_.erase(it);
      return {};
    case piece_result::complete:
      break;
  }
  std::vector<std::uint8_t> whole = assemble(r);
  const std::size_t hl = r.unfrag.size();
  store_be16(&whole[wire::ipv4_field::total_len], static_cast<std::uint16_t>(hl + r.total));
  store_be16(&whole[wire::ipv4_field::frag],
             load_be16(&whole[wire::ipv4_field::frag]) & 0x4000u);  // keep DF only
  ip4::ipv4_set_checksum(mut_bytes(whole.data(), hl));
  reass_.erase(it);
  counters_.inc(stats::ip::reassembled);
  return whole;
}

// Adds one fragment's data. Overlaps discard the whole datagram (RFC 5722,
// and for IPv4 as FreeBSD does with net.inet.ip.maxfragsperpacket in mind).
node::piece_result node::add_fragment(reassembly& r, std::size_t offset, bytes data, bool more) {
  for (const auto& [o, d] : r.pieces)
    if (offset < o + d.size() && o < offset + data.size()) return piece_result::dropped;
  if (!more) {
    if (r.total != 0) return piece_result::dropped;  // two last fragments
    r.total = offset + data.size();
  }
  if (offset == 0) r.have_first = true;
  r.pieces.emplace_back(offset, std::vector<std::uint8_t>(data.begin(), data.end()));
  if (!r.have_first || r.total == 0) return piece_result::pending;
  std::size_t have = 0;
  for (const auto& p : r.pieces) {
    if (p.first + p.second.size() > r.total) return piece_result::dropped;  // past the end
    have += p.second.size();
  }
  return have == r.total ? piece_result::complete : piece_result::pending;
}

std::vector<std::uint8_t> node::assemble(const reassembly& r) {
  std::vector<std::uint8_t> whole = r.unfrag;
  whole.resize(r.unfrag.size() + r.total);
  for (const auto& [o, d] : r.pieces)
    std::copy(d.begin(), d.end(), whole.begin() + static_cast<std::ptrdiff_t>(r.unfrag.size() + o));
  return whole;
}

bool node::reassembly_full(bool v4) const {
  const auto limit = static_cast<std::size_t>(
      sysctl_.integer(v4 ? "net.inet.ip.maxfragpackets" : "net.inet6.ip6.maxfragpackets"));
  const auto n = static_cast<std::size_t>(std::count_if(
      reass_.begin(), reass_.end(), [v4](const auto& e) { return e.second.v4 == v4; }));
  return n >= limit;
}

void node::expire_reassembly(time_point t) {
  for (auto it = reass_.begin(); it != reass_.end();) {
    if (it->second.deadline > t) {
      ++it;
      continue;
    }
    reassembly& r = it->second;
    if (r.v4) {
      counters_.inc(stats::ip::fragtimeout);
      interface* ifp = interface_by_index(r.ifindex);
      if (r.have_first && ifp != nullptr) {  // quote the first fragment as it came
        std::vector<std::uint8_t> first = r.unfrag;
        for (const auto& [o, d] : r.pieces)
          if (o == 0) first.insert(first.end(), d.begin(), d.end());
        send_error4(*ifp, bytes(first), false, 11, 1, 0);
      }
      it = reass_.erase(it);
      continue;
    }
    counters_.inc(stats::ip6::fragtimeout);
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
