#include "tools/common/arp_cmd.hpp"

#include <string_view>

namespace umi::tools {

std::string arp_usage() {
  return "usage: arp [-n] hostname\n"
         "       arp [-n] -a\n"
         "       arp -d hostname\n"
         "       arp -d -a\n"
         "       arp -s hostname ether_addr [temp] [pub]\n"
         "       arp -S hostname ether_addr [temp] [pub]\n"
         "       arp -f filename\n";
}

// FreeBSD arp main(): getopt "andfsS"; the mode letter decides how many words follow.
result<arp_cmd, cmd_error> parse_arp(const std::vector<std::string>& args) {
  arp_cmd c;
  bool aflag = false;
  char mode = 0;  // d s S f
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
          aflag = true;
          break;
        case 'n':
          c.numeric = true;
          break;
        case 'd':
        case 's':
        case 'S':
        case 'f':
          if (mode != 0 && mode != ch) return unexpected{usage_error()};
          mode = ch;
          break;
        default:
          return unexpected{usage_error()};
      }
    }
  }
  std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  switch (mode) {
    case 'd':
      if (aflag) {
        if (!rest.empty()) return unexpected{usage_error()};
        c.mode = arp_mode::flush;
        return c;
      }
      if (rest.size() != 1) return unexpected{usage_error()};
      c.mode = arp_mode::remove;
      c.host = rest[0];
      return c;
    case 's':
    case 'S':
      if (rest.size() < 2 || rest.size() > 4) return unexpected{usage_error()};
      c.mode = mode == 's' ? arp_mode::set : arp_mode::replace;
      c.host = rest[0];
      c.ether = rest[1];
      for (std::size_t k = 2; k < rest.size(); ++k) {
        if (rest[k] == "temp")
          c.temp = true;
        else if (rest[k] == "pub")
          c.pub = true;
        else
          return unexpected{usage_error()};
      }
      return c;
    case 'f':
      if (rest.size() != 1) return unexpected{usage_error()};
      c.mode = arp_mode::file;
      c.filename = rest[0];
      return c;
    default:
      break;
  }
  if (aflag) {
    if (!rest.empty()) return unexpected{usage_error()};
    c.mode = arp_mode::dump;
    return c;
  }
  if (rest.size() != 1) return unexpected{usage_error()};
  c.mode = arp_mode::get;
  c.host = rest[0];
  return c;
}

}  // namespace umi::tools
