#pragma once
// sysctl command line, FreeBSD style (kame-cli.md §10):
//   sysctl [-Nn] name ...           read:  "name: value"
//   sysctl [-Nn] -w name=value ...  write: "name: old -> new"
//   sysctl [-Nn] name=value ...     write as well (no -w needed)
//   sysctl [-Nn] -a | -A            every name umigamed knows
#include <string>
#include <vector>

#include "stack/base/result.hpp"
#include "tools/common/tool_env.hpp"

namespace umi::tools {

struct sysctl_item {
  std::string name;
  bool write = false;
  std::string value;  // text after '=' when writing
};

struct sysctl_cmd {
  bool all = false;         // -a / -A
  bool numeric = false;     // -n: values only
  bool names_only = false;  // -N: names only
  std::vector<sysctl_item> items;
};

result<sysctl_cmd, cmd_error> parse_sysctl(const std::vector<std::string>& args);
std::string sysctl_usage();

}  // namespace umi::tools
