#pragma once
// RFC 1071 Internet checksum, and the IPv6 upper-layer pseudo-header sum
// (RFC 8200 §8.1).
#include <cstdint>
#include <cstring>

#include "stack/base/addr.hpp"
#include "stack/base/bytes.hpp"

namespace umi::wire {

// One's-complement sum of 16-bit big-endian words, not folded or inverted.
constexpr std::uint32_t sum16(bytes data, std::uint32_t acc = 0) noexcept {
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) acc += load_be16(&data[i]);
  if (i < data.size()) acc += static_cast<std::uint32_t>(data[i]) << 8;
  return acc;
}

constexpr std::uint16_t fold(std::uint32_t acc) noexcept {
  // Two end-around carries always suffice for 32 bits: the first leaves at
  // most 0x1fffe, the second at most 0xffff.
  acc = (acc & 0xffff) + (acc >> 16);
  acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(acc);
}

// True when an IPv4 header of `hlen` bytes (a multiple of 4, at least 20) sums to 0xffff,
// i.e. its checksum is right. The one's-complement sum does not depend on byte
// order (RFC 1071 §2(B)), so it is taken over native 32-bit words: a quarter of
// the additions of sum16, and no byte swapping.
inline bool ipv4_header_sum_ok(const std::uint8_t* p, std::size_t hlen) noexcept {
  const auto word = [p](std::size_t i) {
    std::uint32_t w;
    std::memcpy(&w, p + i, 4);
    return std::uint64_t{w};
  };
  // The usual 20-byte header unrolled; options in a loop.
  std::uint64_t acc = word(0) + word(4) + word(8) + word(12) + word(16);
  for (std::size_t i = 20; i + 4 <= hlen; i += 4) acc += word(i);
  // Folding to 16 bits with end-around carries leaves the sum's residue
  // modulo 0xffff (2^16 = 1 modulo 0xffff); the folded sum is 0xffff exactly
  // when that residue is 0 and the words are not all zero. One reduction by a
  // constant instead of four folds.
  return acc != 0 && acc % 0xffff == 0;
}

inline std::uint32_t pseudo_header_sum(const ip6_addr& src, const ip6_addr& dst,
                                       std::uint32_t upper_len, std::uint8_t next_header) noexcept {
  std::uint32_t acc = sum16(bytes(src.b), 0);
  acc = sum16(bytes(dst.b), acc);
  acc += upper_len >> 16;
  acc += upper_len & 0xffff;
  acc += next_header;
  return acc;
}

// Checksum field value for an upper-layer message whose checksum field is zero.
inline std::uint16_t upper_checksum(const ip6_addr& src, const ip6_addr& dst,
                                    std::uint8_t next_header, bytes msg) noexcept {
  std::uint16_t c = static_cast<std::uint16_t>(~fold(sum16(
      msg, pseudo_header_sum(src, dst, static_cast<std::uint32_t>(msg.size()), next_header))));
  return c;
}

// True when a received message (checksum field included) sums correctly.
inline bool upper_checksum_ok(const ip6_addr& src, const ip6_addr& dst, std::uint8_t next_header,
                              bytes msg) noexcept {
  return fold(sum16(msg, pseudo_header_sum(src, dst, static_cast<std::uint32_t>(msg.size()),
                                           next_header))) == 0xffff;
}

}  // namespace umi::wire
