#pragma once
// ifconfig status printers (guide-era KAME FreeBSD 3 format, kame-cli.md §2):
//   de0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500
//   	ether 2:0:0:0:0:1
//   	inet 192.0.2.1 netmask 0xffffff00 broadcast 192.0.2.255
//   	inet6 fe80::ff:fe00:1%de0 prefixlen 64 scopeid 0x1
//   	media: 10GbaseT status: active
// Input is the `interfaces` result of the control protocol.
#include <boost/json.hpp>

#include <string>
#include <string_view>

namespace umi::tools {

struct ifconfig_view {
  bool lifetimes = false;   // -L: " pltime %s vltime %s"
  bool inet6_only = false;  // `ifconfig IF inet6`: flags line and inet6 lines only
  bool inet_only = false;   // `ifconfig IF inet`: flags line and inet lines only
  bool only_up = false;     // -u
  bool only_down = false;   // -d
};

// "\tinet6 ..." line for one IFACE.inet6 entry.
std::string format_inet6_line(const boost::json::object& addr, std::string_view ifname,
                              bool lifetimes);
// FreeBSD 3 in_status(): "\tinet %s " "netmask 0x%lx " then, on a
// broadcast interface, "broadcast %s"; newline. One IFACE.inet entry;
// iff_flags is the interface's IFF_* word.
std::string format_inet_line(const boost::json::object& addr, unsigned iff_flags);
// The status block of one IFACE.
std::string format_interface(const boost::json::object& iface, const ifconfig_view& view);
// Status blocks of every interface of an `interfaces` result (filtered by -u/-d).
std::string format_interfaces(const boost::json::value& result, const ifconfig_view& view);
// `ifconfig -l`: names separated by blanks, then a newline.
std::string format_interface_names(const boost::json::value& result, const ifconfig_view& view);

}  // namespace umi::tools
