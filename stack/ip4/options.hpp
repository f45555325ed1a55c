#pragma once
// IPv4 options (RFC 791 §3.1, RFC 1812 §5.2.4, RFC 781), processed on the
// slow path the way FreeBSD's ip_dooptions() does: every option is checked
// for a well-formed type/length/pointer; Record Route and Timestamp get this
// hop's entry; source routes are refused (no source-route forwarding, as
// with net.inet.ip.sourceroute=0 on BSD).
//
// Option layout: EOL (0) and NOP (1) are one byte; every other option is
// type, length (>= 2, counting type and length), then data. Record Route,
// Loose/Strict Source Route carry a pointer (>= 4, 1-based from the option
// start) to the next free 4-byte slot; Timestamp carries a pointer (>= 5)
// and an overflow/flags byte.
#include <cstdint>
#include <functional>

#include "stack/base/bytes.hpp"

namespace umi::ip4 {

namespace ipopt {
inline constexpr std::uint8_t eol = 0;
inline constexpr std::uint8_t nop = 1;
inline constexpr std::uint8_t rr = 7;
inline constexpr std::uint8_t ts = 68;
inline constexpr std::uint8_t lsrr = 131;
inline constexpr std::uint8_t ssrr = 137;
inline constexpr std::uint8_t copied = 0x80;  // copy into every fragment
inline constexpr std::uint8_t ts_only = 0;
inline constexpr std::uint8_t ts_and_addr = 1;
inline constexpr std::uint8_t ts_prespec = 3;
}  // namespace ipopt

struct options_verdict {
  enum class kind : std::uint8_t {
    ok,             // nothing wrong (the header may have been updated)
    param_problem,  // ICMP Parameter Problem, `pointer` = octet in the header
    source_route,   // a source route we do not honour (ICMP source route failed)
  };
  kind what = kind::ok;
  std::uint8_t pointer = 0;
  bool modified = false;  // an RR/TS slot was filled: the checksum must be redone
};

// Checks the options of `header` (the whole IPv4 header, IHL * 4 bytes) and,
// when `record` is true, fills the next Record Route slot with `addr` and
// the next Timestamp slot with `ms_since_midnight` (RFC 791: milliseconds
// since midnight UT), overflowing as RFC 791 says. `ours` tells whether an
// address is one of this node's (for prespecified timestamps).
options_verdict process_options(mut_bytes header, bool record, std::uint32_t addr,
                                std::uint32_t ms_since_midnight,
                                const std::function<bool(std::uint32_t)>& ours);

// The header of a non-initial fragment: the fixed 20 bytes plus only the
// options with the copied flag, padded with EOL to a multiple of 4 (RFC 791
// §3.2; FreeBSD ip_optcopy()). Writes into `out` (at least header.size()
// bytes) and returns the new header length; the length, fragment and
// checksum fields are left for the caller.
std::size_t copy_fragment_options(bytes header, mut_bytes out) noexcept;

// Recomputes the header checksum over the whole header.
void ipv4_set_checksum(mut_bytes header) noexcept;

}  // namespace umi::ip4
