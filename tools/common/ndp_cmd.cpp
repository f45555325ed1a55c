#include "tools/common/ndp_cmd.hpp"

#include <charconv>
#include <string_view>

namespace umi::tools {

std::string ndp_usage() {
  return "usage: ndp hostname\n"
         "       ndp -a[ntl]\n"
         "       ndp [-ntl] -A wait\n"
         "       ndp -c[nt]\n"
         "       ndp -d[nt] hostname\n"
         "       ndp -f[nt] filename\n"
         "       ndp -i interface [flags...]\n"
         "       ndp -I [interface|delete]\n"
         "       ndp -p\n"
         "       ndp -r\n"
         "       ndp -s hostname ether_addr [temp] [proxy]\n"
         "       ndp -H\n"
         "       ndp -P\n"
         "       ndp -R\n";
}

// Mirrors KAME ndp main(): a few letters act at once (-I, -i, -f take the
// following words); the others set flags and the mode is chosen after the
// option loop in the fixed order a|c, d, p, r, s, H, P, R, get.
result<ndp_cmd, cmd_error> parse_ndp(const std::vector<std::string>& args) {
  ndp_cmd c;
  bool aflag = false, cflag = false, dflag = false, sflag = false;
  char other = 0;  // first of p r H P R
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
      switch (ch) {
        case 'a':
          aflag = true;
          break;
        case 'c':
          cflag = true;
          break;
        case 'd':
          dflag = true;
          break;
        case 'n':
          c.numeric = true;
          break;
        case 'l':
          c.long_addr = true;
          break;
        case 's':
          sflag = true;
          break;
        case 't':
          c.timestamps = true;
          break;
        case 'p':
        case 'r':
        case 'H':
        case 'P':
        case 'R':
          if (other == 0) other = ch;
          break;
        case 'A': {
          std::string_view w;
          if (j + 1 < a.size()) {
            w = a.substr(j + 1);
          } else if (i + 1 < args.size()) {
            w = args[++i];
          } else {
            return unexpected{usage_error()};
          }
          int v = 0;
          auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
          if (ec != std::errc{} || p != w.data() + w.size() || v < 0)
            return unexpected{usage_error()};
          aflag = true;
          c.repeat = v;
          j = a.size();
          break;
        }
        case 'I':
          c.mode = ndp_mode::default_if;
          if (i + 1 < args.size()) c.ifname = args[i + 1];
          return c;
        case 'i':
          if (i + 1 >= args.size()) return unexpected{usage_error()};
          c.mode = ndp_mode::ifinfo;
          c.ifname = args[i + 1];
          c.if_flags.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 2, args.end());
          return c;
        case 'f':
          if (args.size() != 2 || i != 0 || j + 1 != a.size()) return unexpected{usage_error()};
          c.mode = ndp_mode::file;
          c.filename = args[1];
          return c;
        default:
          return unexpected{usage_error()};
      }
    }
  }
  std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  if (aflag || cflag) {
    c.mode = cflag ? ndp_mode::flush : ndp_mode::dump;
    return c;
  }
  if (dflag) {
    if (rest.size() != 1) return unexpected{usage_error()};
    c.mode = ndp_mode::remove;
    c.host = rest[0];
    return c;
  }
  if (other == 'p') {
    c.mode = ndp_mode::prefixes;
    c.option = other;
    return c;
  }
  if (other == 'r') {
    c.mode = ndp_mode::routers;
    c.option = other;
    return c;
  }
  if (sflag) {
    if (rest.size() < 2 || rest.size() > 4) return unexpected{usage_error()};
    c.mode = ndp_mode::set;
    c.host = rest[0];
    c.lladdr = rest[1];
    // KAME compares prefixes only (strncmp) and ignores other words.
    for (std::size_t k = 2; k < rest.size(); ++k) {
      if (rest[k].rfind("temp", 0) == 0) c.temp = true;
      if (rest[k].rfind("proxy", 0) == 0) c.proxy = true;
    }
    return c;
  }
  if (other != 0) {
    c.mode = other == 'P'   ? ndp_mode::prefix_flush
             : other == 'R' ? ndp_mode::router_flush
                            : ndp_mode::unsupported;
    c.option = other;
    return c;
  }
  if (rest.size() != 1) return unexpected{usage_error()};
  c.mode = ndp_mode::get;
  c.host = rest[0];
  return c;
}

}  // namespace umi::tools
