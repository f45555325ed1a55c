#pragma once
// arp command line, FreeBSD style:
//   arp [-n] hostname | arp [-n] -a | arp -d hostname | arp -d -a
//   arp -s hostname ether_addr [temp] [pub] | arp -S ... | arp -f filename
#include <string>
#include <vector>

#include "stack/base/result.hpp"
#include "tools/common/tool_env.hpp"

namespace umi::tools {

enum class arp_mode { get, dump, remove, flush, set, replace, file };

struct arp_cmd {
  arp_mode mode = arp_mode::get;
  bool numeric = false;  // -n: "?" instead of names
  std::string host;
  std::string ether;
  bool temp = false;
  bool pub = false;  // proxy ARP ("pub"): not supported by umigamed
  std::string filename;
};

result<arp_cmd, cmd_error> parse_arp(const std::vector<std::string>& args);
std::string arp_usage();

}  // namespace umi::tools
