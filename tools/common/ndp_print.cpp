#include "tools/common/ndp_print.hpp"

#include <ctime>

#include "stack/base/addr.hpp"
#include "tools/common/kame_format.hpp"

namespace umi::tools {

namespace {

constexpr int w_addr = 31;  // guide-era column widths
constexpr int w_ll = 17;
constexpr int w_if = 6;

char state_letter(std::string_view state) {
  if (state == "nostate") return 'N';
  if (state == "waitdelete") return 'W';
  if (state == "incomplete") return 'I';
  if (state == "reachable") return 'R';
  if (state == "stale") return 'S';
  if (state == "delay") return 'D';
  if (state == "probe") return 'P';
  return '?';
}

bool is_multicast(const boost::json::object& n) {
  auto a = ip6_addr::parse(json_str(n, "addr"));
  return a && a->is_multicast();
}

}  // namespace

std::string ndp_header() {
  return strprintf("%-31.31s %-17.17s %6.6s %-9.9s %2s %4s %4s\n", "Neighbor", "Linklayer Address",
                   "Netif", "Expire", "St", "Flgs", "Prbs");
}

std::string ndp_neighbor_addr(const boost::json::object& n) {
  std::string addr = json_str(n, "addr");
  std::string ifname = json_str(n, "ifname");
  std::int64_t scopeid = json_int(n, "scopeid");
  if (scopeid == 0) {
    // An entry without scopeid: a link-scope address still names its link.
    auto a = ip6_addr::parse(addr);
    if (a && a->is_link_scope()) scopeid = 1;
  }
  return scoped_addr(addr, ifname, scopeid);
}

std::string format_neighbor_row(const boost::json::object& n, const ndp_view& view) {
  std::string addr = ndp_neighbor_addr(n);
  int addrwidth = w_addr;
  if (view.long_addr && static_cast<int>(addr.size()) > addrwidth)
    addrwidth = static_cast<int>(addr.size());
  std::string ll = json_str(n, "lladdr");
  ll = ll.empty() ? "(incomplete)" : bsd_mac(ll);
  std::string s = view.timestamp;
  s += strprintf("%-*.*s %-*.*s %*.*s", addrwidth, addrwidth, addr.c_str(), w_ll, w_ll, ll.c_str(),
                 w_if, w_if, json_str(n, "ifname").c_str());
  auto expire = json_opt_int(n, "expire");
  std::string exp = !expire ? "permanent" : (*expire > 0 ? sec2str(*expire) : "expired");
  s += strprintf(" %-9.9s", exp.c_str());
  s += strprintf(" %c", state_letter(json_str(n, "state")));
  s += ' ';
  s += strprintf(" %-4.4s", json_bool(n, "router") ? "R" : "");
  if (auto probes = json_int(n, "probes"); probes != 0)
    s += strprintf(" %4lld", static_cast<long long>(probes));
  s += '\n';
  return s;
}

std::string format_neighbors(const boost::json::value& result, const ndp_view& view,
                             bool skip_multicast) {
  std::string s = view.header ? ndp_header() : "";
  for (const auto& n : json_array(as_object(result), "neighbors")) {
    if (!n.is_object()) continue;
    if (skip_multicast && is_multicast(n.get_object())) continue;
    s += format_neighbor_row(n.get_object(), view);
  }
  return s;
}

std::string format_deleted(std::string_view host, std::string_view numeric) {
  return strprintf("%.*s (%.*s) deleted\n", static_cast<int>(host.size()), host.data(),
                   static_cast<int>(numeric.size()), numeric.data());
}

std::string format_no_entry(std::string_view host, std::string_view numeric) {
  return strprintf("%.*s (%.*s) -- no entry\n", static_cast<int>(host.size()), host.data(),
                   static_cast<int>(numeric.size()), numeric.data());
}

std::string format_flushed(const boost::json::value& result) {
  std::string s;
  for (const auto& n : json_array(as_object(result), "deleted")) {
    if (!n.is_object()) continue;
    std::string a = ndp_neighbor_addr(n.get_object());
    s += format_deleted(a, a);
  }
  return s;
}

std::string format_ifinfo(const boost::json::object& iface) {
  const auto& nd = json_object(iface, "nd");
  long long linkmtu = json_int(nd, "linkmtu", json_int(iface, "mtu"));
  if (linkmtu == 0) return "";
  long long chlim = json_int(nd, "curhlim", 64);
  long long basereachable = json_int(nd, "basereachable", 30000);         // ms
  long long reachable = json_int(nd, "reachable", basereachable / 1000);  // s
  long long retrans = json_int(nd, "retrans", 1000);                      // ms
  std::string s = strprintf("linkmtu=%lld", linkmtu);
  s += strprintf(", curhlim=%lld", chlim);
  s += strprintf(", basereachable=%llds%lldms", basereachable / 1000, basereachable % 1000);
  s += strprintf(", reachable=%llds", reachable);
  s += strprintf(", retrans=%llds%lldms", retrans / 1000, retrans % 1000);
  if (json_bool(nd, "nud", true)) s += "\nFlags: PERFORMNUD ";
  s += '\n';
  return s;
}

std::string format_prefix(const boost::json::object& p) {
  std::string s =
      json_str(p, "prefix") + strprintf("/%lld", static_cast<long long>(json_int(p, "prefixlen")));
  s += " if=" + json_str(p, "ifname") + "\n";
  s += "  flags=";
  if (json_bool(p, "onlink")) s += 'L';
  if (json_bool(p, "autonomous")) s += 'A';
  auto lifetime = [&p](std::string_view key) {
    auto v = json_opt_int(p, key);
    return v ? std::to_string(*v) : std::string("infinity");
  };
  s += ", vltime=" + lifetime("vltime");
  s += ", pltime=" + lifetime("pltime");
  auto expire = json_opt_int(p, "expire");
  if (!expire)
    s += ", expire=Never";
  else if (*expire > 0)
    s += ", expire=" + sec2str(*expire);
  else
    s += ", expired";
  s += '\n';
  const auto& routers = json_array(p, "advertising_routers");
  if (routers.empty()) {
    s += "  No advertising router\n";
    return s;
  }
  s += "  advertised by\n";
  for (const auto& r : routers) {
    // A router is "fe80::1%de0" or {"addr": ...}; the guide shows it bare.
    std::string addr = r.is_string() ? std::string(r.get_string()) : json_str(as_object(r), "addr");
    if (auto pct = addr.find('%'); pct != std::string::npos) addr.resize(pct);
    s += "    " + addr;
    const std::string state = r.is_object() ? json_str(r.get_object(), "state") : "";
    if (state == "reachable")
      s += " (reachable)";
    else if (state == "unreachable")
      s += " (unreachable)";
    else if (state == "none")
      s += " (no neighbor state)";
    s += "\n";
  }
  return s;
}

std::string format_router(const boost::json::object& r) {
  std::string addr = json_str(r, "addr");
  if (auto pct = addr.find('%'); pct != std::string::npos) addr.resize(pct);
  std::string s = addr + " if=" + json_str(r, "ifname");
  s += ", flags=" + json_str(r, "flags");
  auto expire = json_opt_int(r, "expire");
  s += expire ? ", expire=" + sec2str(*expire) + "\n" : std::string(", expire=Never\n");
  return s;
}

std::string format_routers(const boost::json::value& result) {
  std::string s;
  for (const auto& r : json_array(as_object(result), "routers"))
    if (r.is_object()) s += format_router(r.get_object());
  return s;
}

std::string format_prefixes(const boost::json::value& result) {
  std::string s;
  for (const auto& p : json_array(as_object(result), "prefixes"))
    if (p.is_object()) s += format_prefix(p.get_object());
  return s;
}

std::string ndp_timestamp(long long tv_sec, long long tv_usec) {
  std::time_t t = static_cast<std::time_t>(tv_sec);
  std::tm tm{};
  localtime_r(&t, &tm);
  return strprintf("%02d:%02d:%02d.%06u ", tm.tm_hour, tm.tm_min, tm.tm_sec,
                   static_cast<unsigned>(tv_usec));
}

}  // namespace umi::tools
