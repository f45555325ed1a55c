#include "tools/common/traceroute_cmd.hpp"

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string_view>

namespace umi::tools {

namespace {

constexpr unsigned maxpacket = 65535;  // traceroute6 MAXPACKET
constexpr unsigned min_v6 = 12;        // sizeof(struct opacket)
constexpr unsigned min_v4 = 40;        // IPv4 + UDP + opacket
constexpr unsigned max_v4 = 32 * 1024;

// strtoul(optarg, &ep, 0) over the whole word.
std::optional<unsigned long> number(const std::string& s) {
  if (s.empty() || s[0] == '-') return std::nullopt;
  char* end = nullptr;
  errno = 0;
  unsigned long v = std::strtoul(s.c_str(), &end, 0);
  if (*end != '\0' || errno != 0) return std::nullopt;
  return v;
}

// getopt over `flags` (no argument) and `with_arg`; calls take(letter, arg).
template <class Take>
result<std::size_t, cmd_error> options(const std::vector<std::string>& args, std::string_view flags,
                                       std::string_view with_arg, Take take) {
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--") return i + 1;
    if (a.size() < 2 || a[0] != '-') break;
    for (std::size_t j = 1; j < a.size(); ++j) {
      char ch = a[j];
      std::string arg;
      if (with_arg.find(ch) != std::string_view::npos) {
        if (j + 1 < a.size())
          arg = std::string(a.substr(j + 1));
        else if (i + 1 < args.size())
          arg = args[++i];
        else
          return unexpected{usage_error()};
        if (auto r = take(ch, arg); !r) return unexpected{r.error()};
        break;
      }
      if (flags.find(ch) == std::string_view::npos) return unexpected{usage_error()};
      if (auto r = take(ch, arg); !r) return unexpected{r.error()};
    }
  }
  return i;
}

// LBL str2val(): "\"%s\" bad value for %s ", "%s must be > %d", "%s must be <= %d".
result<unsigned, cmd_error> str2val(const std::string& s, std::string_view what, long mi, long ma) {
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 0);
  std::string w(what);
  if (s.empty() || *end != '\0') return unexpected{fatal("\"" + s + "\" bad value for " + w + " ")};
  if (v < mi && mi >= 0) {
    if (mi == 0) return unexpected{fatal(w + " must be >= " + std::to_string(mi))};
    return unexpected{fatal(w + " must be > " + std::to_string(mi - 1))};
  }
  if (v > ma && ma >= 0) return unexpected{fatal(w + " must be <= " + std::to_string(ma))};
  return static_cast<unsigned>(v);
}

}  // namespace

std::string traceroute6_usage() {
  return "usage: traceroute6 [-dIlnrv] [-f firsthop] [-g gateway] [-m hoplimit]\n"
         "       [-p port] [-q probes] [-s src] [-w waittime] target [datalen]\n";
}

std::string traceroute_usage() {
  return "Usage: traceroute [-dFInrvx] [-g gateway] [-i iface] [-f first_ttl] [-m max_ttl]\n"
         "\t[ -p port] [-q nqueries] [-s src_addr] [-t tos] [-w waittime] host [packetlen]\n";
}

result<traceroute_cmd, cmd_error> parse_traceroute6(const std::vector<std::string>& args) {
  traceroute_cmd c;
  auto take = [&c](char ch, const std::string& arg) -> result<void, cmd_error> {
    switch (ch) {
      case 'd':
        c.debug = true;
        break;
      case 'I':
        c.icmp = true;
        break;
      case 'l':
        c.long_names = true;
        break;
      case 'n':
        c.numeric = true;
        break;
      case 'r':
        c.dontroute = true;
        break;
      case 'v':
        c.verbose = true;
        break;
      case 'f': {
        auto v = number(arg);
        if (!v || *v == 0 || *v > 255) return unexpected{fatal("invalid min hoplimit.")};
        c.first_hop = static_cast<unsigned>(*v);
        break;
      }
      case 'm': {
        auto v = number(arg);
        if (!v || *v == 0 || *v > 255) return unexpected{fatal("invalid max hoplimit.")};
        c.max_hops = static_cast<unsigned>(*v);
        break;
      }
      case 'p': {
        auto v = number(arg);
        if (!v) return unexpected{fatal("invalid port.")};
        if (*v < 1 || *v > 65535) return unexpected{fatal("port out of range.")};
        c.port = static_cast<unsigned>(*v);
        break;
      }
      case 'q': {
        auto v = number(arg);
        if (!v) return unexpected{fatal("invalid nprobes.")};
        if (*v < 1) return unexpected{fatal("nprobes must be >0.")};
        c.nprobes = static_cast<unsigned>(*v);
        break;
      }
      case 'w': {
        auto v = number(arg);
        if (!v) return unexpected{fatal("invalid wait time.")};
        if (*v <= 1) return unexpected{fatal("wait must be >1 sec.")};
        c.waittime = static_cast<unsigned>(*v);
        break;
      }
      case 's':
        c.source = arg;
        break;
      case 'g':
        return unexpected{fatal("routing headers (-g) are not supported yet")};
      default:
        break;
    }
    return ok;
  };
  auto i = options(args, "dIlnrv", "fgmpqsw", take);
  if (!i) return unexpected{i.error()};
  std::size_t n = args.size() - *i;
  if (n < 1 || n > 2) return unexpected{usage_error()};
  if (c.first_hop > c.max_hops)
    return unexpected{fatal("max hoplimit must be larger than first hoplimit.")};
  c.host = args[*i];
  if (n == 2) {
    auto v = number(args[*i + 1]);
    if (!v) return unexpected{fatal("invalid packet length.")};
    if (*v < min_v6 || *v >= maxpacket)
      return unexpected{fatal("packet size must be " + std::to_string(min_v6) + " <= s < " +
                              std::to_string(maxpacket) + ".")};
    c.datalen = static_cast<unsigned>(*v);
  }
  return c;
}

result<traceroute_cmd, cmd_error> parse_traceroute(const std::vector<std::string>& args) {
  traceroute_cmd c;
  c.family = "inet";
  c.datalen = min_v4;
  auto take = [&c](char ch, const std::string& arg) -> result<void, cmd_error> {
    result<unsigned, cmd_error> v = 0u;
    switch (ch) {
      case 'd':
        c.debug = true;
        break;
      case 'I':
        c.icmp = true;
        break;
      case 'n':
        c.numeric = true;
        break;
      case 'r':
        c.dontroute = true;
        break;
      case 'v':
        c.verbose = true;
        break;
      case 'F':
      case 'x':
        break;  // don't fragment / checksum toggles: nothing to do
      case 'f':
        if (v = str2val(arg, "first ttl", 1, 255); v) c.first_hop = *v;
        break;
      case 'm':
        if (v = str2val(arg, "max ttl", 1, 255); v) c.max_hops = *v;
        break;
      case 'p':
        if (v = str2val(arg, "port", 1, (1 << 16) - 1); v) c.port = *v;
        break;
      case 'q':
        if (v = str2val(arg, "nprobes", 1, -1); v) c.nprobes = *v;
        break;
      case 't':
        v = str2val(arg, "tos", 0, 255);
        break;
      case 'w':
        if (v = str2val(arg, "wait time", 2, 24 * 60 * 60); v) c.waittime = *v;
        break;
      case 's':
        c.source = arg;
        break;
      case 'i':
        c.ifname = arg;
        break;
      case 'g':
        return unexpected{fatal("loose source routes (-g) are not supported yet")};
      default:
        break;
    }
    if (!v) return unexpected{v.error()};
    return ok;
  };
  auto i = options(args, "dFInrvx", "fgimpqstw", take);
  if (!i) return unexpected{i.error()};
  std::size_t n = args.size() - *i;
  if (n < 1 || n > 2) return unexpected{usage_error()};
  if (c.first_hop > c.max_hops)
    return unexpected{fatal("first ttl (" + std::to_string(c.first_hop) +
                            ") may not be greater than max ttl (" + std::to_string(c.max_hops) +
                            ")")};
  c.host = args[*i];
  if (n == 2) {
    auto v = str2val(args[*i + 1], "packet length", min_v4, max_v4);
    if (!v) return unexpected{v.error()};
    c.datalen = *v;
  }
  return c;
}

}  // namespace umi::tools
