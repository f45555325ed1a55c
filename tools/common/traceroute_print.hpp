#pragma once
// traceroute6 / traceroute printers (kame-cli.md §8; LBL traceroute 1.4):
//   stderr: "traceroute6 to %s (%s)" [" from %s"] ", %lu hops max, %lu byte packets\n"
//   stdout: " 1  gw.kame.net (3ffe:501:4819:1000::ff)  0.912 ms  0.737 ms  0.709 ms"
// Per hop "%2lu "; per probe the responder when it differs from the previous
// one of the row (" %s", -l " %s (%s)", -v " %d bytes of data to %s"), then
// "  %g ms" (traceroute: "  %.3f ms") and a marker (" !N" ...), or " *".
#include <string>
#include <string_view>

namespace umi::tools {

std::string format_traceroute_header(std::string_view family, std::string_view host,
                                     std::string_view addr, std::string_view source,
                                     unsigned max_hops, unsigned datalen);
std::string format_hop_start(unsigned hop);  // "%2lu "

struct probe_addr_view {
  std::string_view family = "inet6";
  bool numeric = false;     // -n: the address only
  bool long_names = false;  // -l (traceroute6): name and address
  bool verbose = false;     // -v: " %d bytes of data to %s"
};
// name: reverse lookup result ("" = none: the address stands for it).
std::string format_probe_from(const probe_addr_view& view, std::string_view addr,
                              std::string_view name, long long len, std::string_view to);
std::string format_probe_rtt(std::string_view family, double ms);

// What one reply means: the marker to print, whether the target answered
// (got_there) or the probe was refused (counts towards giving up); `accepted`
// is false for replies traceroute ignores (e.g. Packet Too Big).
struct probe_outcome {
  bool accepted = false;
  std::string marker;
  bool reached = false;
  bool unreachable = false;
};
probe_outcome classify_probe_reply(std::string_view family, int type, int code, int hlim);

}  // namespace umi::tools
