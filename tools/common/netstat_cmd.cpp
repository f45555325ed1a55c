#include "tools/common/netstat_cmd.hpp"

#include <string_view>

namespace umi::tools {

std::string netstat_usage() {
  return "usage: netstat [-Aan] [-f address_family] [-M core] [-N system]\n"
         "       netstat [-bdghilmnrs] [-f address_family] [-M core] [-N system]\n"
         "       netstat [-bdn] [-I interface] [-M core] [-N system] [-w wait]\n"
         "       netstat [-M core] [-N system] [-p protocol]\n";
}

result<netstat_cmd, cmd_error> parse_netstat(const std::vector<std::string>& args) {
  static constexpr std::string_view with_arg = "fIMNpw";
  static constexpr std::string_view known = "AabdghilLmnrstu";
  netstat_cmd c;
  bool rflag = false;
  bool iflag = false;
  bool pflag = false;
  bool other = false;  // a valid KAME option we do not implement
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;
    for (std::size_t j = 1; j < a.size(); ++j) {
      char ch = a[j];
      if (with_arg.find(ch) != std::string_view::npos) {
        std::string val;
        if (j + 1 < a.size())
          val = std::string(a.substr(j + 1));
        else if (i + 1 < args.size())
          val = args[++i];
        else
          return unexpected{usage_error()};
        if (ch == 'p') {
          pflag = true;
          c.protocol = val;
        } else if (ch == 'f') {
          c.family = val;
        } else if (ch == 'I') {
          iflag = true;
          c.interface = val;
        } else {
          other = true;
        }
        break;
      }
      if (known.find(ch) == std::string_view::npos) return unexpected{usage_error()};
      switch (ch) {
        case 's':
          ++c.sflag;
          break;
        case 'r':
          rflag = true;
          break;
        case 'i':
          iflag = true;
          break;
        case 'n':
          c.numeric = true;
          break;
        case 'l':
          c.long_format = true;
          break;
        case 'a':
          c.all = true;
          break;
        default:
          other = true;
      }
    }
  }
  if (i != args.size()) return unexpected{usage_error()};
  if (!c.family.empty() && c.family != "inet6" && c.family != "inet") {
    const std::string& af = c.family;
    if (af == "unix" || af == "ipx" || af == "atalk" || af == "ns" || af == "iso" || af == "link")
      return unexpected{fatal("address family " + af + " is not supported")};
    return unexpected{fatal(af + ": unknown address family")};
  }
  if (rflag) {
    if (c.sflag != 0) return unexpected{fatal("routing statistics are not available yet")};
    c.mode = netstat_mode::routes;
    return c;
  }
  if (iflag && c.sflag == 0 && !pflag) {
    c.mode = netstat_mode::interfaces;
    return c;
  }
  if (other || (c.sflag == 0 && !pflag)) return unexpected{usage_error()};
  if (pflag && c.protocol != "ip6" && c.protocol != "icmp6" && c.protocol != "ip" &&
      c.protocol != "icmp")
    return unexpected{fatal(c.protocol + ": unknown or uninstrumented protocol")};
  c.mode = netstat_mode::stats;
  return c;
}

}  // namespace umi::tools
