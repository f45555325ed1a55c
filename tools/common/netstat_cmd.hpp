#pragma once
// netstat command line (KAME netstat, getopt "Aabdf:ghI:ilLM:mN:np:rstuw:").
// Implemented: -r [-n] [-l] [-a] [-f inet|inet6] (routing tables), -i [-n]
// [-I interface] (interfaces), -s (twice: hide zero counters) with -p
// ip6|icmp6|ip|icmp or -f inet|inet6; the rest is usage.
#include <string>
#include <vector>

#include "stack/base/result.hpp"
#include "tools/common/tool_env.hpp"

namespace umi::tools {

enum class netstat_mode { stats, routes, interfaces };

struct netstat_cmd {
  netstat_mode mode = netstat_mode::stats;
  int sflag = 0;             // number of -s
  std::string protocol;      // -p: "" (all), "ip6", "icmp6", "ip" or "icmp"
  std::string family;        // -f: "" (all), "inet" or "inet6"
  bool numeric = false;      // -n
  bool long_format = false;  // -l: Refs, Use, Mtu and wide address columns
  bool all = false;          // -a: protocol-cloned routes too
  std::string interface;     // -I
};

result<netstat_cmd, cmd_error> parse_netstat(const std::vector<std::string>& args);
std::string netstat_usage();

}  // namespace umi::tools
