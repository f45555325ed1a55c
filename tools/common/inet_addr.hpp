#pragma once
// Address helpers of the routing-era shims (route, netstat -r/-i, arp,
// ifconfig inet, traceroute): IPv4 in the classic BSD forms (inet_aton,
// inet_network, classful masks, netstat's netname), IPv6 masks, KAME's
// embedded zone id, and BSD's strerror wording for the daemon's error codes.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace umi::tools {

// IPv4 addresses are host byte order here.
// inet_aton(3): "a.b.c.d", "a.b.c", "a.b", "a", each part decimal, 0x hex or 0 octal.
std::optional<std::uint32_t> parse_ip4(std::string_view s);
// inet_network(3): "10.1" is the network 0x0a01 (not shifted).
std::optional<std::uint32_t> parse_ip4_network(std::string_view s);
std::string ip4_to_string(std::uint32_t a);
std::uint32_t ip4_mask(unsigned plen);
// Length of a contiguous mask; nothing for 255.0.255.0 and the like.
std::optional<unsigned> ip4_mask_len(std::uint32_t mask);
// The classful default of ifconfig/route: 8 (class A), 16 (B), else 24.
unsigned ip4_classful_len(std::uint32_t a);
// inet_lnaof(3): the host part of a classful address.
std::uint32_t ip4_host_part(std::uint32_t a);
// BSD route's inet_makenetandmask(): a network number (as inet_network
// returns it) and optional explicit bit count -> address and prefix length.
struct ip4_net {
  std::uint32_t addr = 0;
  unsigned prefixlen = 0;
};
ip4_net ip4_make_net(std::uint32_t net, unsigned bits);
// netstat's netname(): zero trailing bytes dropped ("192.0.2", "10"), then
// "/len" when the mask is not the classful one; "default" for 0.
std::string ip4_netname(std::uint32_t addr, unsigned prefixlen);

// ffff:ffff:ffff:ffff:: for 64.
std::string ip6_mask_string(unsigned plen);
// The address with its low (128 - plen) bits cleared, in text form.
std::string ip6_prefix_string(std::string_view addr, unsigned plen);

// KAME's embedded zone (kame-cli.md §1.1): a link-local or link-/node-local
// multicast address typed as "fe80:2::1" carries interface index 2 in its
// second 16-bit word. Returns the address with that word cleared and the
// index; nothing when the text has a %zone, is not such an address or has a
// zero word.
struct embedded_zone {
  std::string addr;
  unsigned index = 0;
};
std::optional<embedded_zone> split_embedded_zone(std::string_view text);

// strerror() as 4.4BSD words it, for the daemon's error codes (EEXIST ->
// "File exists", ESRCH -> "No such process", ...); `fallback` otherwise.
std::string bsd_strerror(std::string_view code, std::string_view fallback);

}  // namespace umi::tools
