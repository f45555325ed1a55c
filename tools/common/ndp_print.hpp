#pragma once
// ndp printers, guide-era (KAME 2000) formats, kame-cli.md §6:
//   header "%-31.31s %-17.17s %6.6s %-9.9s %2s %4s %4s\n"
//   row    "%-31.31s %-17.17s %6.6s" " %-9.9s" " %c" " " " %-4.4s" [" %4d"] "\n"
// Input is the `neighbors` / `neighbor_flush` / `interfaces` results.
#include <boost/json.hpp>

#include <string>
#include <string_view>

namespace umi::tools {

struct ndp_view {
  bool long_addr = false;  // -l: address column grows instead of truncating
  std::string timestamp;   // -t: "%02d:%02d:%02d.%06u " before each row ("" = none)
  bool header = true;      // KAME omits the header with -t
};

std::string ndp_header();
// Neighbor address as ndp prints it: "fe80::1%de0" for link-scope entries.
std::string ndp_neighbor_addr(const boost::json::object& n);
std::string format_neighbor_row(const boost::json::object& n, const ndp_view& view);
// Header (unless suppressed) and one row per entry; multicast entries are
// skipped when skip_multicast (as `ndp -a` does).
std::string format_neighbors(const boost::json::value& result, const ndp_view& view,
                             bool skip_multicast);
// "%s (%s) deleted\n" for every entry of a neighbor_flush result (ndp -c).
std::string format_flushed(const boost::json::value& result);
std::string format_deleted(std::string_view host, std::string_view numeric);
std::string format_no_entry(std::string_view host, std::string_view numeric);

// ndp -i (guide-era): "linkmtu=%d, curhlim=%d, basereachable=%ds%dms,
// reachable=%ds, retrans=%ds%dms" then "\nFlags: PERFORMNUD " when NUD is on.
// Values come from IFACE.nd when the daemon supplies it, else the RFC 4861
// defaults (curhlim 64, BaseReachableTime 30 s, RetransTimer 1 s) and the MTU.
// Returns "" when the link MTU is unknown ("not initialized yet").
std::string format_ifinfo(const boost::json::object& iface);

// ndp -p in the guide's form (kame-guide.txt; kame-cli.md §6 "-p guide-era"
// line layout, 1999 fields):
//   3ffe:501:808:1::/64 if=de0
//     flags=LA, vltime=2592000, pltime=604800, expire=Never
//     No advertising router
// RA prefixes list "  advertised by" and "    <router>" lines instead of the
// last one, each router followed by " (reachable)", " (unreachable)" or
// " (no neighbor state)" when its state is known. Lifetimes null print as "infinity"; expire null
// is "Never", 0
// ", expired" and otherwise sec2str. Input is the `prefixes` result.
std::string format_prefix(const boost::json::object& prefix);
std::string format_prefixes(const boost::json::value& result);

// ndp -r (kame-cli.md §6, the guide's example):
//   fe80::260:97ff:fec2:80bf if=ed0, flags=, expire=29m55s
// flags are M and O; expire is sec2str of the seconds left, or "Never".
// Input is the `default_routers` result.
std::string format_router(const boost::json::object& router);
std::string format_routers(const boost::json::value& result);

// "%02d:%02d:%02d.%06u " of the local time of day (ndp -t).
std::string ndp_timestamp(long long tv_sec, long long tv_usec);

}  // namespace umi::tools
