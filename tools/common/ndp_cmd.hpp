#pragma once
// ndp command line, guide-era getopt "acndfIilprstA:HPR" (kame-cli.md §6):
//   ndp hostname | ndp -a[ntl] | ndp [-ntl] -A wait | ndp -c[nt] | ndp -d[nt] hostname
//   ndp -f[nt] filename | ndp -i interface [flags...] | ndp -I [interface|delete]
//   ndp -s hostname ether_addr [temp] [proxy] | ndp -p | -r | -H | -P | -R
#include <string>
#include <vector>

#include "stack/base/result.hpp"
#include "tools/common/tool_env.hpp"

namespace umi::tools {

enum class ndp_mode {
  get,           // ndp hostname
  dump,          // -a, -A wait
  flush,         // -c
  remove,        // -d hostname
  set,           // -s hostname ether_addr [temp] [proxy]
  file,          // -f filename
  ifinfo,        // -i interface [flags...]
  default_if,    // -I [interface|delete]
  prefixes,      // -p
  prefix_flush,  // -P
  routers,       // -r
  router_flush,  // -R
  unsupported,   // -H: no such daemon operation yet
};

struct ndp_cmd {
  ndp_mode mode = ndp_mode::get;
  bool numeric = false;               // -n (always numeric: accepted for compatibility)
  bool long_addr = false;             // -l: do not truncate the address column
  bool timestamps = false;            // -t
  int repeat = 0;                     // -A wait
  std::string host;                   // get, remove, set
  std::string lladdr;                 // set
  bool temp = false;                  // set ... temp
  bool proxy = false;                 // set ... proxy
  std::string filename;               // -f
  std::string ifname;                 // -i, -I interface
  std::vector<std::string> if_flags;  // -i interface flags...
  char option = 0;                    // the letter of an unsupported mode
};

// args exclude the program name.
result<ndp_cmd, cmd_error> parse_ndp(const std::vector<std::string>& args);

// Guide-era usage text (printed to stdout by ndp, exit 1).
std::string ndp_usage();

}  // namespace umi::tools
