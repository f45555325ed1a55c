#pragma once
// traceroute6 (KAME, kame-cli.md §8) and traceroute (IPv4, LBL 1.4 as in
// FreeBSD 3) command lines:
//   traceroute6 [-dIlnrv] [-f firsthop] [-g gateway] [-m hoplimit] [-p port]
//               [-q probes] [-s src] [-w waittime] target [datalen]
//   traceroute [-dFInrvx] [-g gateway] [-i iface] [-f first_ttl] [-m max_ttl]
//              [-p port] [-q nqueries] [-s src_addr] [-t tos] [-w waittime]
//              host [packetlen]
#include <string>
#include <vector>

#include "stack/base/result.hpp"
#include "tools/common/tool_env.hpp"

namespace umi::tools {

struct traceroute_cmd {
  std::string family = "inet6";  // "inet6" (traceroute6) or "inet" (traceroute)
  bool debug = false;            // -d (SO_DEBUG: nothing to do)
  bool icmp = false;             // -I: ICMP echo probes instead of UDP
  bool long_names = false;       // -l (traceroute6): name and address
  bool numeric = false;          // -n
  bool dontroute = false;        // -r
  bool verbose = false;          // -v
  unsigned first_hop = 1;        // -f
  unsigned max_hops = 30;        // -m
  unsigned port = 32768 + 666;   // -p: base UDP port, probe n goes to port + n
  unsigned nprobes = 3;          // -q
  unsigned waittime = 5;         // -w, seconds
  std::string source;            // -s
  std::string ifname;            // -i (traceroute)
  std::string host;
  // Bytes per probe as the header prints them: traceroute6 counts the UDP
  // payload (12 minimum), traceroute the whole IPv4 packet (40 minimum).
  unsigned datalen = 12;
};

result<traceroute_cmd, cmd_error> parse_traceroute6(const std::vector<std::string>& args);
result<traceroute_cmd, cmd_error> parse_traceroute(const std::vector<std::string>& args);
std::string traceroute6_usage();
std::string traceroute_usage();

}  // namespace umi::tools
