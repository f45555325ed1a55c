#include "tools/common/rtsold_cmd.hpp"

#include "tools/common/getopt.hpp"

namespace umi::tools {

std::string rtsold_usage(bool rtsol) {
  return rtsol ? "usage: rtsol [-dD] interfaces\n" : "usage: rtsold [-dDfm1] interfaces\n";
}

result<rtsold_cmd, cmd_error> parse_rtsold(bool rtsol, const std::vector<std::string>& args) {
  rtsold_cmd c;
  c.rtsol = rtsol;
  c.foreground = c.once = rtsol;
  auto first =
      bsd_getopt(args, rtsol ? "dD" : "dDfm1", [&c](char ch, const std::optional<std::string>&) {
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
          default:  // '1'
            c.once = true;
            break;
        }
        return std::optional<cmd_error>{};
      });
  if (!first) return unexpected{first.error()};
  const std::size_t i = *first;
  c.interfaces.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  if (c.interfaces.empty()) return unexpected{usage_error()};
  return c;
}

int rtsold_log_upto(const rtsold_cmd& c) {
  return c.debug == 0 ? 5 : 999;  // LOG_NOTICE, or everything
}

}  // namespace umi::tools
