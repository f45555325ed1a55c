#pragma once
// rtsol / rtsold command line, guide-era (kame-cli.md §9): one binary whose
// name decides. rtsol = rtsold -f1 with getopt "dD"; rtsold takes "dDfm1".
//   usage: rtsol [-dD] interfaces
//   usage: rtsold [-dDfm1] interfaces
#include <string>
#include <vector>

#include "stack/base/result.hpp"
#include "tools/common/tool_env.hpp"

namespace umi::tools {

struct rtsold_cmd {
  bool rtsol = false;       // called as rtsol
  int debug = 0;            // -d 1, -D 2
  bool foreground = false;  // -f (always for rtsol)
  bool mobile = false;      // -m
  bool once = false;        // -1 (always for rtsol)
  std::vector<std::string> interfaces;
};

// args exclude the program name.
result<rtsold_cmd, cmd_error> parse_rtsold(bool rtsol, const std::vector<std::string>& args);
std::string rtsold_usage(bool rtsol);

// syslog level below which log lines are shown: LOG_NOTICE without -d/-D.
int rtsold_log_upto(const rtsold_cmd& c);

}  // namespace umi::tools
