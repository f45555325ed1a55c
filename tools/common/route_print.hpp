#pragma once
// route printers (KAME-patched FreeBSD 3 route, kame-cli.md §4):
//   add/delete/change   "%s %s %s" [": gateway %s"] then "\n" or ": %s\n"
//   get                 "   route to: ..." ... "      flags: <UP,GATEWAY,DONE,STATIC>"
//                       then the rt_metrics table
//   flush               "%-20.20s %-20.20s done\n"
//   monitor             "got message of size %d on <ctime>" + print_rtmsg()
// Input is the ROUTE objects of stack/control/PROTOCOL.md.
#include <boost/json.hpp>

#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "tools/common/control_client.hpp"

namespace umi::tools {

// Interface name -> index (for "link#N"), from an `interfaces` result.
using if_index_map = std::map<std::string, std::int64_t, std::less<>>;
if_index_map index_interfaces(const boost::json::value& interfaces_result);

// The KAME text after ": " when a routing message failed: "not in table"
// (ESRCH), "entry in use" (EBUSY), "routing table overflow" (ENOBUFS), else
// BSD's strerror ("File exists", "Network is unreachable", ...).
std::string route_error_text(const control_error& e);
// The warn() of rtmsg(): "writing to routing socket: " + BSD strerror.
std::string route_write_error(const control_error& e);

// "add net default: gateway fe80::1%de0\n", or with ": File exists" when
// error is non-empty.
std::string format_route_change(std::string_view verb, bool host, std::string_view dest,
                                std::string_view gateway, std::string_view error);

// BSD bprintf of the route flags: KAME letters ("UGS") -> "<UP,GATEWAY,STATIC>";
// done adds RTF_DONE as the kernel does on messages it answers.
std::string route_flag_names(std::string_view letters, bool done);

// Destination and gateway as route/netstat name them: inet6 link-scope
// addresses get "%ifname"; a null gateway is "link#N".
std::string route_dest_addr(const boost::json::object& route);
std::string route_gateway_text(const boost::json::object& route, const if_index_map& ifindex);

// `route get`: the block of print_getmsg(); route_to is the looked-up address.
std::string format_route_get(const boost::json::value& result, std::string_view route_to);

// `route flush`: one "%-20.20s %-20.20s done\n" line per deleted route.
std::string format_flush_line(const boost::json::object& route, const if_index_map& ifindex);

// `route monitor`: one `route` event (data {"type", "route"}), received at `now`.
std::string format_route_message(const boost::json::object& data, std::time_t now,
                                 const if_index_map& ifindex);

}  // namespace umi::tools
