#include "stack/wire/ipv4.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace umi::wire {

std::optional<std::uint32_t> parse_ip4(std::string_view s) {
  if (s.empty() || s.size() > 15) return std::nullopt;
  char buf[16];
  std::copy(s.begin(), s.end(), buf);
  buf[s.size()] = '\0';
  in_addr a{};
  if (inet_pton(AF_INET, buf, &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

std::string ip4_to_string(std::uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." +
         std::to_string((a >> 8) & 0xff) + "." + std::to_string(a & 0xff);
}

std::optional<arp_view> arp_view::parse(bytes b) noexcept {
  if (b.size() < arp::len) return std::nullopt;
  if (load_be16(&b[0]) != 1 || load_be16(&b[2]) != 0x0800 || b[4] != 6 || b[5] != 4)
    return std::nullopt;
  arp_view v;
  v.op = load_be16(&b[6]);
  std::copy_n(&b[8], 6, v.sha.b.begin());
  v.spa = load_be32(&b[14]);
  std::copy_n(&b[18], 6, v.tha.b.begin());
  v.tpa = load_be32(&b[24]);
  return v;
}

void arp_view::emit(mut_bytes out) const noexcept {
  store_be16(&out[0], 1);
  store_be16(&out[2], 0x0800);
  out[4] = 6;
  out[5] = 4;
  store_be16(&out[6], op);
  std::copy(sha.b.begin(), sha.b.end(), out.begin() + 8);
  store_be32(&out[14], spa);
  std::copy(tha.b.begin(), tha.b.end(), out.begin() + 18);
  store_be32(&out[24], tpa);
}

}  // namespace umi::wire
