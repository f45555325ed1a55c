#include "tools/common/rtsold_cmd.hpp"

namespace umi::tools {

std::string rtsold_usage(bool rtsol) {
  return rtsol ? "usage: rtsol [-dD] interfaces\n" : "usage: rtsold [-dDfm1] interfaces\n";
}

// BSD getopt: letters may be grouped; "--" ends the options; an unknown
// letter is "illegal option -- x" and then the usage.
result<rtsold_cmd, cmd_error> parse_rtsold(bool rtsol, const std::vector<std::string>& args) {
  rtsold_cmd c;
  c.rtsol = rtsol;
  c.foreground = c.once = rtsol;
  const std::string letters = rtsol ? "dD" : "dDfm1";
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;
    for (std::size_t j = 1; j < a.size(); ++j) {
      const char ch = a[j];
      if (letters.find(ch) == std::string::npos)
        return unexpected{cmd_error{std::string("illegal option -- ") + ch, true}};
      switch (ch) {
        case 'd':
          c.debug = 1;
          break;
        case 'D':
          c.debug = 2;
          break;
        case 'f':
          c.foreground = true;
          break;
        case 'm':
          c.mobile = true;
          break;
        case '1':
          c.once = true;
          break;
        default:
          break;
      }
    }
  }
  c.interfaces.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  if (c.interfaces.empty()) return unexpected{usage_error()};
  return c;
}

int rtsold_log_upto(const rtsold_cmd& c) {
  return c.debug == 0 ? 5 : 999;  // LOG_NOTICE, or everything
}

}  // namespace umi::tools
