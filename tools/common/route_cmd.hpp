#pragma once
// route command line (KAME-patched FreeBSD 3 route, kame-cli.md §4):
//   route [-dnqtv] add|delete|change|get [-inet6|-inet] [-net|-host] DEST [GATEWAY]
//         [-prefixlen N] [-netmask M] [-interface] [-reject] [-blackhole] ...
//   route [-dnqtv] flush [-inet6|-inet]
//   route [-dnqtv] monitor
// Modifiers are BSD's keyword table (route_keywords()), each typed as -word.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stack/base/result.hpp"
#include "tools/common/tool_env.hpp"

namespace umi::tools {

inline constexpr int ex_usage = 64;   // sysexits.h EX_USAGE
inline constexpr int ex_nohost = 68;  // EX_NOHOST
inline constexpr int ex_noperm = 77;  // EX_NOPERM

enum class route_verb { add, remove, change, get, flush, monitor };

struct route_cmd {
  route_verb verb = route_verb::get;
  std::string verb_word;    // "add", "delete", "change", "get" as KAME prints it
  bool numeric = false;     // -n
  bool quiet = false;       // -q
  bool test_only = false;   // -t: write to /dev/null (nothing is sent)
  bool verbose = false;     // -v
  bool debug_only = false;  // -d: build the message, do not send it
  std::string family;       // "inet6", "inet"; flush: "" = every family
  std::string dest;         // as typed (printed back)
  std::string dest_addr;    // numeric address sent to the daemon ("::" for default)
  unsigned prefixlen = 0;
  bool host = false;         // RTF_HOST: "host" in the output
  std::string gateway;       // as typed ("" = none), printed back
  std::string gateway_addr;  // sent: numeric, "" = none (on-link through ifname)
  bool interface = false;    // -interface / -iface: on-link, no RTF_GATEWAY
  bool reject = false;
  bool blackhole = false;
  std::string ifname;  // -ifp, or -interface with an interface name as gateway
};

// One modifier: the word after '-', how many arguments it takes, and what it
// does in the KAME tool.
enum class route_key {
  family_inet,
  family_inet6,
  family_other,
  iface,
  host,
  net,
  reject,
  blackhole,
  ignored,
  ifp,
  gateway,
  dst,
  netmask,
  prefixlen,
  metric,
  verb
};
struct route_keyword {
  std::string_view word;
  int nargs;
  route_key key;
};
std::span<const route_keyword> route_keywords();

// args exclude the program name. Errors carry KAME's text and exit status:
// "bad keyword: %s" + usage (64), "%s: bad value" without the program name
// (1), "bad address: %s" (68).
result<route_cmd, cmd_error> parse_route(const std::vector<std::string>& args);

// "usage: route [-dnqtv] command [[modifiers] args]\n"
std::string route_usage();

// True when the command alters the table (add, delete, change, flush): those
// need root ("must be root to alter routing table", exit 77), checked before
// the arguments as KAME did.
bool route_needs_root(const std::vector<std::string>& args);

}  // namespace umi::tools
