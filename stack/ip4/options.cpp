#include "stack/ip4/options.hpp"

#include <algorithm>

#include "stack/wire/checksum.hpp"

namespace umi::ip4 {

namespace {
constexpr std::size_t fixed_len = 20;
constexpr std::size_t olen = 1;  // offset of the length byte in an option
constexpr std::size_t optr = 2;  // offset of the pointer byte
constexpr std::uint8_t min_ptr = 4;

options_verdict bad(std::size_t at) {
  return {options_verdict::kind::param_problem, static_cast<std::uint8_t>(at), false};
}
}  // namespace

options_verdict process_options(mut_bytes header, bool record, std::uint32_t addr,
                                std::uint32_t ms_since_midnight,
                                const std::function<bool(std::uint32_t)>& ours) {
  options_verdict v;
  std::size_t i = fixed_len;
  while (i < header.size()) {
    const std::size_t left = header.size() - i;
    const std::uint8_t type = header[i];
    if (type == ipopt::eol) break;
    if (type == ipopt::nop) {
      ++i;
      continue;
    }
    if (left < 2) return bad(i + olen);
    const std::size_t len = header[i + olen];
    if (len < 2 || len > left) return bad(i + olen);
    std::uint8_t* opt = &header[i];
    switch (type) {
      case ipopt::lsrr:
      case ipopt::ssrr:
        if (len < 3) return bad(i + olen);
        if (opt[optr] < min_ptr) return bad(i + optr);
        return {options_verdict::kind::source_route, static_cast<std::uint8_t>(i), v.modified};
      case ipopt::rr: {
        if (len < 3) return bad(i + olen);
        if (opt[optr] < min_ptr) return bad(i + optr);
        const std::size_t off = opt[optr] - 1u;  // 0-origin
        if (!record || off + 4 > len) break;     // full: nothing to record
        store_be32(opt + off, addr);
        opt[optr] = static_cast<std::uint8_t>(opt[optr] + 4);
        v.modified = true;
        break;
      }
      case ipopt::ts: {
        if (len < 4) return bad(i + olen);
        if (opt[optr] < 5) return bad(i + olen);
        std::size_t off = opt[optr] - 1u;
        const std::uint8_t flags = opt[optr + 1] & 0x0f;
        if (flags != ipopt::ts_only && flags != ipopt::ts_and_addr && flags != ipopt::ts_prespec)
          return bad(i + optr + 1);
        if (!record) break;
        if (off + 4 > len) {
          // No room: count the overflow in the high nibble; when that wraps
          // the option is beyond repair (RFC 791).
          opt[optr + 1] = static_cast<std::uint8_t>(opt[optr + 1] + 0x10);
          v.modified = true;
          if ((opt[optr + 1] & 0xf0) == 0) return bad(i + optr);
          break;
        }
        if (flags == ipopt::ts_and_addr || flags == ipopt::ts_prespec) {
          if (off + 8 > len) return bad(i + optr);
          if (flags == ipopt::ts_prespec) {
            if (!ours || !ours(load_be32(opt + off))) break;  // not our turn
          } else {
            store_be32(opt + off, addr);
          }
          off += 4;
          opt[optr] = static_cast<std::uint8_t>(opt[optr] + 4);
        }
        store_be32(opt + off, ms_since_midnight);
        opt[optr] = static_cast<std::uint8_t>(opt[optr] + 4);
        v.modified = true;
        break;
      }
      default:
        break;  // unknown options are passed on untouched (RFC 1812 §5.2.4)
    }
    i += len;
  }
  return v;
}

std::size_t copy_fragment_options(bytes header, mut_bytes out) noexcept {
  std::copy_n(header.begin(), fixed_len, out.begin());
  std::size_t o = fixed_len;
  std::size_t i = fixed_len;
  while (i < header.size()) {
    const std::uint8_t type = header[i];
    if (type == ipopt::eol) break;
    if (type == ipopt::nop) {
      ++i;
      continue;
    }
    if (header.size() - i < 2) break;
    const std::size_t len = header[i + olen];
    if (len < 2 || len > header.size() - i) break;
    if ((type & ipopt::copied) != 0) {
      std::copy_n(header.begin() + static_cast<std::ptrdiff_t>(i), len,
                  out.begin() + static_cast<std::ptrdiff_t>(o));
      o += len;
    }
    i += len;
  }
  while (o % 4 != 0) out[o++] = ipopt::eol;
  out[0] = static_cast<std::uint8_t>(0x40 | (o / 4));
  return o;
}

void ipv4_set_checksum(mut_bytes header) noexcept {
  store_be16(&header[10], 0);
  store_be16(&header[10], static_cast<std::uint16_t>(~wire::fold(wire::sum16(bytes(header)))));
}

}  // namespace umi::ip4
