#include "tools/common/sysctl_cmd.hpp"

#include <string_view>

namespace umi::tools {

std::string sysctl_usage() {
  return "usage: sysctl [-Nn] variable ...\n"
         "       sysctl [-Nn] -w variable=value ...\n"
         "       sysctl [-Nn] -a\n"
         "       sysctl [-Nn] -A\n";
}

result<sysctl_cmd, cmd_error> parse_sysctl(const std::vector<std::string>& args) {
  sysctl_cmd c;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;
    for (char ch : a.substr(1)) {
      switch (ch) {
        case 'a':
        case 'A':
          c.all = true;
          break;
        case 'n':
          c.numeric = true;
          break;
        case 'N':
          c.names_only = true;
          break;
        case 'w':
          break;  // name=value writes with or without -w
        default:
          return unexpected{usage_error()};
      }
    }
  }
  if (c.all) return c;  // FreeBSD ignores names after -a
  if (i >= args.size()) return unexpected{usage_error()};
  for (; i < args.size(); ++i) {
    const std::string& w = args[i];
    sysctl_item item;
    auto eq = w.find('=');
    if (eq == std::string::npos) {
      item.name = w;
    } else {
      item.name = w.substr(0, eq);
      item.value = w.substr(eq + 1);
      item.write = true;
    }
    if (item.name.empty()) return unexpected{usage_error()};
    c.items.push_back(std::move(item));
  }
  return c;
}

}  // namespace umi::tools
