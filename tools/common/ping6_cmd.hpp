#pragma once
// ping6 command line (KAME ping6.c of 2000, getopt "a:b:c:dfHh:I:i:l:nNp:qRS:s:tvwWP:"),
// kame-cli.md §7:
//   ping6 [-c count] [-i wait] [-I interface] [-s packetsize] [-h hoplimit]
//         [-S sourceaddr] [-q] [-v] [-p pattern] [-l preload] host
// Node information queries (kame-cli.md §17): -w Node Name, -W the same in
// draft-03 form, -a FLAGS Node Addresses, -t Supported Qtypes, -N send to
// the NI group address of `host` (a name). Flood (-f), IPsec policies (-P),
// -R and routing-header hops are refused with a message.
#include <cstdint>
#include <string>
#include <vector>

#include "stack/base/result.hpp"
#include "tools/common/tool_env.hpp"

namespace umi::tools {

inline constexpr int ping6_max_datalen = 131072 - 40 - 8;  // MAXPACKETLEN - IP6LEN - ICMP6ECHOLEN
inline constexpr int ping6_timestamp_len = 8;              // tv_sec + tv_usec, 4 bytes each

// Which node information query ping6 sends instead of echo requests.
enum class ni_mode : std::uint8_t { none, node_name, node_name_draft03, node_addrs, qtypes };

struct ping6_cmd {
  long count = 0;                     // -c; 0 = until interrupted
  long interval_us = 1000000;         // -i
  std::string ifname;                 // -I
  int datalen = ping6_timestamp_len;  // -s
  int hoplimit = -1;                  // -h; -1 = the daemon's default
  std::string source;                 // -S
  bool quiet = false;                 // -q
  bool verbose = false;               // -v
  std::vector<std::uint8_t> pattern;  // -p, up to 16 bytes
  long preload = 0;                   // -l
  ni_mode ni = ni_mode::none;         // -w -W -a -t
  std::uint16_t naflags = 0;          // -a flags (RFC 4620 §6.3 bits)
  bool nigroup = false;               // -N
  std::string host;
  std::vector<std::string> warnings;  // printed as "ping6: %s" before pinging
};

// uid decides the root-only options (-i < 1 s, -l), as in KAME.
result<ping6_cmd, cmd_error> parse_ping6(const std::vector<std::string>& args, unsigned uid);
std::string ping6_usage();

}  // namespace umi::tools
