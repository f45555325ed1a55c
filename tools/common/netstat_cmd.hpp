#pragma once
// netstat command line (KAME netstat, getopt "Aabdf:ghI:ilLM:mN:np:rstuw:").
// Implemented: -s (twice: hide zero counters), -p ip6|icmp6, -f inet6, -n;
// -r answers that routing tables are not available yet; the rest is usage.
#include <string>
#include <vector>

#include "stack/base/result.hpp"
#include "tools/common/tool_env.hpp"

namespace umi::tools {

enum class netstat_mode { stats, routes };

struct netstat_cmd {
  netstat_mode mode = netstat_mode::stats;
  int sflag = 0;         // number of -s
  std::string protocol;  // -p: "" (all), "ip6" or "icmp6"
};

result<netstat_cmd, cmd_error> parse_netstat(const std::vector<std::string>& args);
std::string netstat_usage();

}  // namespace umi::tools
