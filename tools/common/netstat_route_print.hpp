#pragma once
// netstat -r and netstat -i printers, KAME-patched FreeBSD 3 netstat after
// 1999-10-06 (kame-cli.md §5):
//   Routing tables
//
//   Internet6:
//   Destination                       Gateway                       Flags      Netif Expire
//   fe80::%de0/64                     link#1                        UC          de0
// Widths: destination 39 with -l, else 33 with -n, else 18; gateway 31/29/18.
// Header "%-*.*s %-*.*s %-6.6s  %8.8s %6s\n" (-l: "... %-6.6s  %6.6s%8.8s%6s
// %8.8s %6s\n" with Refs Use Mtu); rows "%-*s " (-n) or "%-*.*s ", "%-6.6s ",
// -l "%6d %8ld" + "%6lu " mtu, "%8.8s" netif, " %6d" expire: header and rows
// are one column apart, as in the original.
//   Name  Mtu   Network       Address            Ipkts Ierrs    Opkts Oerrs  Coll
//   de0   1500  <Link#1>    02.00.00.00.00.01        5     0        3     0     0
// (FreeBSD 3 if.c intpr(): one <Link#N> row and one row per address.)
#include <boost/json.hpp>

#include <string>

#include "tools/common/route_print.hpp"

namespace umi::tools {

struct netstat_route_view {
  bool numeric = false;      // -n: no truncation, "/len" on IPv6 networks
  bool long_format = false;  // -l
  bool all = false;          // -a: show protocol-cloned routes
  std::string family;        // "" (both), "inet", "inet6"
};

std::string format_route_table_header(const netstat_route_view& view);
std::string format_route_row(const boost::json::object& route, const if_index_map& ifindex,
                             const netstat_route_view& view);
// "Routing tables" and one section per selected family of a `routes` result.
std::string format_routing_tables(const boost::json::value& routes, const if_index_map& ifindex,
                                  const netstat_route_view& view);

struct netstat_if_view {
  bool numeric = false;
  std::string interface;  // -I: only this one
};
// `interfaces` result + `stats` result (its "ports": [{"name", "rx_packets",
// "tx_packets", optional "rx_errors", "tx_errors", "collisions"}]).
std::string format_interface_table(const boost::json::value& interfaces,
                                   const boost::json::value& stats, const netstat_if_view& view);

}  // namespace umi::tools
