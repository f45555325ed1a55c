#pragma once
// ifconfig command line (KAME-patched FreeBSD 3, kame-cli.md §2):
//   ifconfig [-L] interface [inet6 [address [dest]] [parameters]]
//   ifconfig -a [-L] [-d] [-m] [-u] [address_family]
//   ifconfig -l [-d] [-u] [address_family]
// The inet6 and inet parameters live in keyword tables (inet6_keywords(),
// inet_keywords()); `ifconfig IF inet ADDR[/len] [netmask M] [alias|-alias|
// delete]` takes the mask dotted or as 0x hex and defaults to the classful one.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stack/base/result.hpp"
#include "tools/common/tool_env.hpp"

namespace umi::tools {

enum class ifconfig_mode { show_all, list_names, show_one, configure };

struct ifconfig_addr_op {
  std::string family = "inet6";  // or "inet"
  bool remove = false;           // -alias / delete -> addr_del
  std::string addr;              // inet6 as typed (may carry %zone); inet dotted quad
  unsigned prefixlen = 64;
  bool alias = false;
  bool anycast = false;
  bool tentative = false;
};

struct ifconfig_cmd {
  ifconfig_mode mode = ifconfig_mode::show_all;
  bool lifetimes = false;  // -L
  bool only_up = false;    // -u
  bool only_down = false;  // -d
  std::string ifname;
  std::string af;  // "" (all families), "inet6" or "inet"
  std::optional<bool> up;
  std::optional<ifconfig_addr_op> addr;
  bool have_prefixlen = false;
};

// One keyword of the parameter grammar: {keyword, argument count, handler, help}.
struct ifconfig_keyword {
  std::string_view keyword;
  int nargs;
  // Applies the keyword; returns an error message ("" = fine).
  std::string (*apply)(ifconfig_cmd& cmd, std::string_view arg);
  std::string_view help;
};

// Keywords valid for every family (up, down) and the inet6 ones.
std::span<const ifconfig_keyword> generic_keywords();
std::span<const ifconfig_keyword> inet6_keywords();
std::span<const ifconfig_keyword> inet_keywords();

// args exclude the program name.
result<ifconfig_cmd, cmd_error> parse_ifconfig(const std::vector<std::string>& args);

std::string ifconfig_usage();

}  // namespace umi::tools
