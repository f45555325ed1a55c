#pragma once
// arp printers, FreeBSD print_entry():
//   ? (192.0.2.2) at 2:0:0:0:0:2 on de0 expires in 1199 seconds [ethernet]
//   ? (192.0.2.3) at (incomplete) on de0 expired [ethernet]
//   gw.example (192.0.2.1) at 2:0:0:0:0:1 on de0 permanent [ethernet]
// Input is the NEIGH objects of the `arp` operation.
#include <boost/json.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace umi::tools {

// name: the host name to show, "" for "?" (no name or -n).
std::string format_arp_entry(const boost::json::object& entry, std::string_view name);
// Every entry of an `arp` result; name_of maps an address to its name ("" = "?").
std::string format_arp_entries(const boost::json::value& result,
                               const std::function<std::string(const std::string&)>& name_of);
std::string format_arp_deleted(std::string_view host, std::string_view addr);
std::string format_arp_no_entry(std::string_view host, std::string_view addr);

}  // namespace umi::tools
