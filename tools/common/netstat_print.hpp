#pragma once
// netstat -s printers in the KAME layout (usr.bin/netstat/inet6.c), driven by
// the counter tables of stack/control/stats.hpp so wording and counting share
// one source:
//   ip6:
//   	10 total packets received
//   	...
//   	Input histogram:
//   		ICMP6: 10
// The histograms sit where KAME prints them (ip6: after "multicast packets
// which we don't join"; icmp6: Output after the rate-limit line, Input after
// "messages with bad length"), and only when some bucket is non-zero.
// `drops by reason:` is umigame's addition: "\t%llu %s (%s: %s)" per reason.
// IPv4 (`ip`, `icmp`, netstat_inet_print.cpp) uses FreeBSD 3's inet.c wording
// and comes first, as netstat -s lists inet before inet6; a result without
// those objects prints nothing for them.
#include <boost/json.hpp>

#include <string>

namespace umi::tools {

struct netstat_view {
  bool ip = true;
  bool icmp = true;
  bool ip6 = true;
  bool icmp6 = true;
  bool drops = true;
  bool skip_zero = false;  // netstat -ss
};

std::string format_ip6_stats(const boost::json::object& stats, bool skip_zero);
std::string format_icmp6_stats(const boost::json::object& stats, bool skip_zero);
std::string format_drop_stats(const boost::json::object& stats, bool skip_zero);
// FreeBSD ip_stats()/icmp_stats() from the `ip` / `icmp` objects (keys are the
// ipstat/icmpstat field names without their ips_/icps_ prefix) and the
// `icmp_in_hist` / `icmp_out_hist` histograms; "" when the object is absent.
std::string format_ip_stats(const boost::json::object& stats, bool skip_zero);
std::string format_icmp_stats(const boost::json::object& stats, bool skip_zero);
// Every selected section of a `stats` result.
std::string format_stats(const boost::json::value& result, const netstat_view& view);

}  // namespace umi::tools
