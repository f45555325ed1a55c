#pragma once
// prefix command line, guide-era KAME prefix.c (kame-cli.md §3):
//   prefix interface prefix_value [parameters] [set|delete]
//   prefix interface matchpr P mp_len N usepr Q up_uselen M [parameters]
//          [add|change|setglobal]
//   prefix -a [-d] [-u] matchpr ... [add|change|setglobal]
// Words are matched exactly against prefix_keywords(); any other word is the
// prefix for set/delete. Time values: seconds, "infinity" or d%2dh%2dm%2ds%2d.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stack/base/result.hpp"
#include "tools/common/control_client.hpp"
#include "tools/common/tool_env.hpp"

namespace umi::tools {

enum class prefix_op { set, remove, add, change, setglobal };

inline constexpr std::int64_t prefix_infinity = -1;  // ND6_INFINITE_LIFETIME

struct prefix_cmd {
  bool all = false;        // -a
  bool down_only = false;  // -d
  bool up_only = false;    // -u
  std::string ifname;      // without -a
  prefix_op op = prefix_op::set;
  bool have_words = false;  // KAME does nothing for "prefix de0" alone
  // set / delete
  std::string prefix;
  unsigned prefixlen = 64;
  // lifetimes and flags (both forms); guide-era defaults: 30 days / 7 days
  std::int64_t vltime = 2592000;
  std::int64_t pltime = 604800;
  bool onlink = true;
  bool autonomous = true;
  bool decrvalid = false;
  bool decrprefd = false;
  // router renumbering (RFC 2894 Match-Prefix / Use-Prefix)
  std::string matchpr;
  unsigned mp_len = 64;
  unsigned mp_minlen = 0;
  unsigned mp_maxlen = 128;
  std::string usepr;  // "" = none: uselen forced to 0
  unsigned up_uselen = 0;
  unsigned up_keeplen = 0;
};

struct prefix_keyword {
  std::string_view word;
  bool takes_arg;
};
std::span<const prefix_keyword> prefix_keywords();

// getopt "adu" and the interface name; the rest of argv is left in `words`.
result<prefix_cmd, cmd_error> parse_prefix_options(const std::vector<std::string>& args,
                                                   std::vector<std::string>& words);
// The parameter words (KAME parses them once the interface is found).
result<void, cmd_error> parse_prefix_words(prefix_cmd& c, const std::vector<std::string>& words);
// Both at once.
result<prefix_cmd, cmd_error> parse_prefix(const std::vector<std::string>& args);

std::string prefix_usage();

// "SIOCSIFPREFIX_IN6 failed" ... "SIOCSGIFPREFIX_IN6 failed" for the operation.
std::string_view prefix_ioctl_label(prefix_op op);
// KAME Perror(): "<label>: no such interface" (ENXIO), "<label>: permission
// denied" (EPERM), else "<label>: <strerror>".
std::string prefix_failure(prefix_op op, const control_error& e);

}  // namespace umi::tools
