#include "tools/common/ping6_cmd.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "stack/base/addr.hpp"
#include "stack/wire/nodeinfo.hpp"

namespace umi::tools {

namespace {

// strtol over the whole word; false on empty input or trailing junk.
bool whole_long(const std::string& s, long& v) {
  if (s.empty()) return false;
  char* e = nullptr;
  errno = 0;
  v = std::strtol(s.c_str(), &e, 10);
  return *e == '\0' && errno == 0;
}

// KAME fill(): every character a hex digit, then up to 16 "%2x" bytes.
result<std::vector<std::uint8_t>, cmd_error> parse_pattern(const std::string& p) {
  for (char ch : p)
    if (!std::isxdigit(static_cast<unsigned char>(ch)))
      return unexpected{fatal("patterns must be specified as hex digits")};
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < p.size() && out.size() < 16; i += 2)
    out.push_back(static_cast<std::uint8_t>(std::strtoul(p.substr(i, 2).c_str(), nullptr, 16)));
  return out;
}

}  // namespace

std::string ping6_usage() {
  return "usage: ping6 [-dfHnNqvwW] [-P policy] [-a [aAclsg]] [-b sockbufsiz] [-c count] \n"
         "             [-I interface] [-i wait] [-l preload] [-p pattern] [-S sourceaddr]\n"
         "             [-s packetsize] [-h hoplimit] [hops...] host\n";
}

result<ping6_cmd, cmd_error> parse_ping6(const std::vector<std::string>& args, unsigned uid) {
  static constexpr std::string_view with_arg = "abchIilpSsP";
  static constexpr std::string_view flags = "dfHnNqRtvwW";
  ping6_cmd c;
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
      if (flags.find(ch) != std::string_view::npos) {
        switch (ch) {
          case 'q':
            c.quiet = true;
            break;
          case 'v':
            c.verbose = true;
            break;
          case 'f':
            if (uid != 0) return unexpected{fatal("Must be superuser to flood ping")};
            return unexpected{fatal("flood ping is not supported yet")};
          case 'N':
            c.nigroup = true;
            break;
          case 't':
            c.ni = ni_mode::qtypes;
            break;
          case 'w':
            c.ni = ni_mode::node_name;
            break;
          case 'W':
            c.ni = ni_mode::node_name_draft03;
            break;
          case 'R':
            return unexpected{fatal("-R is not supported in this configuration")};
          default:
            break;  // -d (SO_DEBUG), -H, -n: nothing to do, output is numeric
        }
        continue;
      }
      if (with_arg.find(ch) == std::string_view::npos) return unexpected{usage_error()};
      std::string v;
      if (j + 1 < a.size())
        v = std::string(a.substr(j + 1));
      else if (i + 1 < args.size())
        v = args[++i];
      else
        return unexpected{usage_error()};
      j = a.size();
      long n = 0;
      switch (ch) {
        case 'a': {
          // KAME ping6: each character adds a Node Addresses flag.
          for (char f : v) {
            switch (f) {
              case 'a':
                c.naflags |= wire::ni::flag_all;
                break;
              case 'c':
              case 'C':
                c.naflags |= wire::ni::flag_compat;
                break;
              case 'l':
              case 'L':
                c.naflags |= wire::ni::flag_link;
                break;
              case 's':
              case 'S':
                c.naflags |= wire::ni::flag_site;
                break;
              case 'g':
              case 'G':
                c.naflags |= wire::ni::flag_global;
                break;
              case 'A':  // experimental, not in the spec (KAME)
                c.naflags |= wire::ni::flag_anycast;
                break;
              default:
                return unexpected{usage_error()};
            }
          }
          c.ni = ni_mode::node_addrs;
          break;
        }
        case 'P':
          return unexpected{fatal("IPsec policies are not supported yet")};
        case 'b':
          break;  // socket buffer size: the daemon owns the socket
        case 'c':
          if (!whole_long(v, n) || n <= 0)
            return unexpected{fatal("illegal number of packets -- " + v)};
          c.count = n;
          break;
        case 'h':
          if (!whole_long(v, n) || n < -1 || n > 255)
            return unexpected{fatal("illegal hoplimit -- " + v)};
          c.hoplimit = static_cast<int>(n);
          break;
        case 'I':
          c.ifname = v;
          break;
        case 'i': {
          char* e = nullptr;
          double d = std::strtod(v.c_str(), &e);
          if (v.empty() || *e != '\0' || d < 0)
            return unexpected{fatal("illegal timing interval " + v)};
          if (d < 1 && uid != 0)
            return unexpected{
                fatal(std::string(std::strerror(EPERM)) + ": only root may use interval < 1s")};
          c.interval_us = static_cast<long>(d * 1000000.0 + 0.5);
          // less than 1/hz does not make sense (KAME)
          if (c.interval_us < 10000) {
            c.warnings.emplace_back("too small interval, raised to 0.01");
            c.interval_us = 10000;
          }
          break;
        }
        case 'l':
          if (uid != 0) return unexpected{fatal("Must be superuser to preload")};
          if (!whole_long(v, n) || n < 0) return unexpected{fatal("illegal preload value -- " + v)};
          c.preload = n;
          break;
        case 'p': {
          auto p = parse_pattern(v);
          if (!p) return unexpected{p.error()};
          c.pattern = std::move(*p);
          break;
        }
        case 'S':
          if (!ip6_addr::parse(v.substr(0, v.find('%'))))
            return unexpected{fatal("invalid source address: " + v)};
          c.source = v;
          break;
        case 's':
          if (!whole_long(v, n) || n <= 0)
            return unexpected{fatal("illegal datalen value -- " + v)};
          if (n > ping6_max_datalen)
            return unexpected{
                fatal("datalen value too large, maximum is " + std::to_string(ping6_max_datalen))};
          c.datalen = static_cast<int>(n);
          break;
        default:
          return unexpected{usage_error()};
      }
    }
  }
  if (i >= args.size()) return unexpected{usage_error()};
  if (args.size() - i > 1)
    return unexpected{fatal("intermediate hops (routing headers) are not supported yet")};
  c.host = args[i];
  return c;
}

}  // namespace umi::tools
