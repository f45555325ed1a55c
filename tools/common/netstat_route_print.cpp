#include "tools/common/netstat_route_print.hpp"

#include "stack/base/addr.hpp"
#include "tools/common/inet_addr.hpp"
#include "tools/common/kame_format.hpp"

namespace umi::tools {

namespace {

int wid_dst(const netstat_route_view& v) {
  return v.long_format ? 39 : (v.numeric ? 33 : 18);
}
int wid_gw(const netstat_route_view& v) {
  return v.long_format ? 31 : (v.numeric ? 29 : 18);
}

// p_sockaddr()'s column: "%-*s " with -n, else "%-*.*s ".
std::string column(const std::string& text, int width, bool numeric) {
  return numeric ? strprintf("%-*s ", width, text.c_str())
                 : strprintf("%-*.*s ", width, width, text.c_str());
}

bool has_flag(const boost::json::object& r, char letter) {
  return json_str(r, "flags").find(letter) != std::string::npos;
}

// p_sockaddr() of the destination: "default", a host address, or the network
// (inet: netname() with "/len" for non-classful masks; inet6: "/len" with -n).
std::string dest_text(const boost::json::object& r, const netstat_route_view& v) {
  auto plen = static_cast<unsigned>(json_int(r, "prefixlen"));
  std::string dest = route_dest_addr(r);
  if (json_str(r, "family") == "inet") {
    auto a = parse_ip4(dest);
    if (!a) return dest;
    if (*a == 0) return "default";
    if (has_flag(r, 'H')) return ip4_to_string(*a);
    return ip4_netname(*a, plen);
  }
  if (has_flag(r, 'H')) return dest;
  auto pct = dest.find('%');
  auto a = ip6_addr::parse(std::string_view(dest).substr(0, pct));
  if (plen == 0 && a && a->is_unspecified()) return "default";
  if (v.numeric) dest += strprintf("/%u", plen);
  return dest;
}

std::string gateway_text(const boost::json::object& r, const if_index_map& ifindex) {
  std::string g = route_gateway_text(r, ifindex);
  if (json_str(r, "family") == "inet" && g == "0.0.0.0") return "default";
  return g;
}

unsigned long long counter(const boost::json::object& o, std::string_view key) {
  if (const auto* raw = o.if_contains(key); raw != nullptr && raw->is_uint64())
    return raw->get_uint64();
  auto v = json_opt_int(o, key);
  return v && *v > 0 ? static_cast<unsigned long long>(*v) : 0;
}

}  // namespace

std::string format_route_table_header(const netstat_route_view& v) {
  int d = wid_dst(v), g = wid_gw(v);
  if (v.long_format)
    return strprintf("%-*.*s %-*.*s %-6.6s  %6.6s%8.8s%6s  %8.8s %6s\n", d, d, "Destination", g, g,
                     "Gateway", "Flags", "Refs", "Use", "Mtu", "Netif", "Expire");
  return strprintf("%-*.*s %-*.*s %-6.6s  %8.8s %6s\n", d, d, "Destination", g, g, "Gateway",
                   "Flags", "Netif", "Expire");
}

std::string format_route_row(const boost::json::object& r, const if_index_map& ifindex,
                             const netstat_route_view& v) {
  std::string s = column(dest_text(r, v), wid_dst(v), v.numeric);
  s += column(gateway_text(r, ifindex), wid_gw(v), v.numeric);
  s += strprintf("%-6.6s ", json_str(r, "flags").c_str());
  if (v.long_format) {
    s += strprintf("%6lld %8lld", static_cast<long long>(json_int(r, "refs")),
                   static_cast<long long>(json_int(r, "use")));
    long long mtu = json_int(r, "mtu");
    s += mtu != 0 ? strprintf("%6llu ", static_cast<unsigned long long>(mtu))
                  : strprintf("%6s ", "");
  }
  s += strprintf("%8.8s", json_str(r, "ifname").c_str());
  if (auto expire = json_opt_int(r, "expire"); expire && *expire > 0)
    s += strprintf(" %6d", static_cast<int>(*expire));
  s += '\n';
  return s;
}

std::string format_routing_tables(const boost::json::value& routes, const if_index_map& ifindex,
                                  const netstat_route_view& v) {
  std::string s = "Routing tables\n";
  // rt_tables[] order: AF_INET (2) before AF_INET6 (28).
  for (std::string_view family : {std::string_view("inet"), std::string_view("inet6")}) {
    if (!v.family.empty() && v.family != family) continue;
    s += family == "inet" ? "\nInternet:\n" : "\nInternet6:\n";
    s += format_route_table_header(v);
    for (const auto& r : json_array(as_object(routes), "routes")) {
      if (!r.is_object()) continue;
      const auto& o = r.get_object();
      if (json_str(o, "family", "inet6") != family) continue;
      if (!v.all && (json_bool(o, "cloned") || json_str(o, "kind") == "cloned")) continue;
      s += format_route_row(o, ifindex, v);
    }
  }
  return s;
}

std::string format_interface_table(const boost::json::value& interfaces,
                                   const boost::json::value& stats, const netstat_if_view& v) {
  std::string s = strprintf("%-5.5s %-5.5s %-13.13s %-15.15s %8.8s %5.5s", "Name", "Mtu", "Network",
                            "Address", "Ipkts", "Ierrs");
  s += strprintf(" %8.8s %5.5s", "Opkts", "Oerrs");
  s += strprintf(" %5s", "Coll");
  s += '\n';
  const auto& ports = json_array(as_object(stats), "ports");
  for (const auto& iv : json_array(as_object(interfaces), "interfaces")) {
    if (!iv.is_object()) continue;
    const auto& i = iv.get_object();
    std::string name = json_str(i, "name");
    if (!v.interface.empty() && name != v.interface) continue;
    boost::json::object port;
    for (const auto& p : ports)
      if (p.is_object() && json_str(p.get_object(), "name") == name) port = p.get_object();
    std::string counters =
        strprintf("%8llu %5llu ", counter(port, "rx_packets"), counter(port, "rx_errors")) +
        strprintf("%8llu %5llu ", counter(port, "tx_packets"), counter(port, "tx_errors")) +
        strprintf("%5llu", counter(port, "collisions")) + "\n";
    std::string shown = name;
    if ((json_int(i, "flags") & 0x1) == 0) shown += '*';
    std::string lead = strprintf("%-5.5s %-5llu ", shown.c_str(),
                                 static_cast<unsigned long long>(json_int(i, "mtu")));
    // <Link#N> and the MAC as "%02x." bytes, padded to 30 columns.
    std::string link =
        strprintf("%-11.11s ",
                  strprintf("<Link#%lld>", static_cast<long long>(json_int(i, "index"))).c_str());
    if (auto mac = mac_addr::parse(json_str(i, "ether"))) {
      for (std::size_t k = 0; k < mac->b.size(); ++k)
        link += strprintf("%02x%c", mac->b[k], k + 1 < mac->b.size() ? '.' : ' ');
    }
    if (link.size() < 30) link.append(30 - link.size(), ' ');
    s += lead + link + counters;
    for (const auto& a : json_array(i, "inet")) {
      if (!a.is_object()) continue;
      auto addr = parse_ip4(json_str(a.get_object(), "addr"));
      if (!addr) continue;
      auto plen = static_cast<unsigned>(json_int(a.get_object(), "prefixlen"));
      std::string net = ip4_netname(*addr & ip4_mask(plen), plen);
      s += lead + strprintf("%-13.13s ", net.c_str()) +
           strprintf("%-15.15s ", ip4_to_string(*addr).c_str()) + counters;
    }
    for (const auto& a : json_array(i, "inet6")) {
      if (!a.is_object()) continue;
      std::string addr = json_str(a.get_object(), "addr");
      auto plen = static_cast<unsigned>(json_int(a.get_object(), "prefixlen"));
      std::string net = ip6_prefix_string(addr, plen);
      if (v.numeric) net += strprintf("/%u", plen);
      s += lead + strprintf("%-11.11s ", net.c_str()) + strprintf("%-17.17s ", addr.c_str()) +
           counters;
    }
  }
  return s;
}

}  // namespace umi::tools
