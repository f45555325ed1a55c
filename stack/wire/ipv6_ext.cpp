#include "stack/wire/ipv6_ext.hpp"

namespace umi::wire {
namespace {

using status = ext_walk::status;

// RFC 8200 §4.2: TLV options of hop-by-hop and destination-options headers.
// `off` is the header's offset in `pkt`, `len` its full length.
status walk_options(bytes pkt, std::size_t off, std::size_t len, bool dst_multicast,
                    const ext_limits& limits, ext_walk& w) noexcept {
  std::size_t i = off + 2;
  const std::size_t end = off + len;
  unsigned count = 0;
  while (i < end) {
    // An absurd option chain (RFC 8504 §5.3 lets a node limit it) is a bad
    // header, not too many headers: drop it silently.
    if (++count > limits.max_options_per_header) return status::discard;
    const std::uint8_t type = pkt[i];
    if (type == 0) {  // Pad1
      ++i;
      continue;
    }
    if (i + 2 > end) return status::truncated;
    const std::size_t opt_len = 2 + pkt[i + 1];
    if (i + opt_len > end) return status::truncated;
    if (type != 1) {  // not PadN: we recognise no other option yet
      switch (type >> 6) {
        case 0:  // skip over this option
          break;
        case 1:  // discard the packet
          return status::discard;
        case 3:  // as 2, but no ICMP when the destination is multicast
          if (dst_multicast) return status::discard;
          [[fallthrough]];
        case 2:
          w.icmp_code = 2;
          w.pointer = static_cast<std::uint32_t>(i);
          return status::param_problem;
      }
    }
    i += opt_len;
  }
  return status::ok;
}

}  // namespace

ext_walk walk_extension_headers(const ipv6_view& ip, const ext_limits& limits) noexcept {
  ext_walk w;
  const bytes pkt = ip.packet();
  const bool dst_multicast = ip.dst().is_multicast();
  std::uint8_t nh = ip.next_header();
  std::size_t nh_field = ipv6_field::next_header;
  std::size_t off = ipv6_view::header_len;

  auto finish = [&](status st) {
    w.st = st;
    w.upper = nh;
    w.upper_offset = static_cast<std::uint16_t>(off);
    w.nh_field_offset = static_cast<std::uint16_t>(nh_field);
    return w;
  };

  while (is_extension_header(nh)) {
    // RFC 8200 §4.1: hop-by-hop may only follow the IPv6 header directly.
    if (nh == 0 && off != ipv6_view::header_len) {
      w.icmp_code = 1;
      w.pointer = static_cast<std::uint32_t>(nh_field);
      return finish(status::param_problem);
    }
    if (w.headers >= limits.max_headers) return finish(status::too_many);
    const std::size_t hdr_len = (nh == 44) ? 8 : 0;
    if (off + 8 > pkt.size()) return finish(status::truncated);
    const std::size_t len = hdr_len ? hdr_len : (std::size_t{pkt[off + 1]} + 1) * 8;
    if (off + len > pkt.size()) return finish(status::truncated);

    if (nh == 0 || nh == 60) {
      status st = walk_options(pkt, off, len, dst_multicast, limits, w);
      if (st != status::ok) return finish(st);
    } else if (nh == 43) {
      // RFC 8200 §4.4: segments left 0 => ignore the header; otherwise we
      // recognise no routing type (type 0 is deprecated by RFC 5095).
      if (pkt[off + 3] != 0) {
        w.icmp_code = 0;
        w.pointer = static_cast<std::uint32_t>(off + 2);
        return finish(status::param_problem);
      }
    } else {  // fragment
      const std::uint16_t off_m = load_be16(&pkt[off + 2]);
      const bool atomic = (off_m & 0xfff9) == 0;  // offset 0 and M clear (RFC 6946)
      if (!atomic) {
        ++w.headers;
        nh_field = off;
        nh = pkt[off];
        off += len;
        return finish(status::fragment);
      }
    }
    ++w.headers;
    nh_field = off;
    nh = pkt[off];
    off += len;
  }
  return finish(status::ok);
}

std::optional<std::pair<std::uint8_t, std::size_t>> find_upper_layer(const ipv6_view& ip) noexcept {
  const bytes pkt = ip.packet();
  std::uint8_t nh = ip.next_header();
  std::size_t off = ipv6_view::header_len;
  for (unsigned i = 0; is_extension_header(nh); ++i) {
    if (i >= ext_limits{}.max_headers || off + 8 > pkt.size()) return std::nullopt;
    if (nh == 44 && (load_be16(&pkt[off + 2]) & 0xfff8) != 0) return std::nullopt;
    const std::size_t len = nh == 44 ? 8 : (std::size_t{pkt[off + 1]} + 1) * 8;
    nh = pkt[off];
    off += len;
  }
  if (off >= pkt.size()) return std::nullopt;
  return std::pair{nh, off};
}

}  // namespace umi::wire
