#include "tools/common/route_print.hpp"

#include <array>

#include "stack/base/addr.hpp"
#include "tools/common/inet_addr.hpp"
#include "tools/common/kame_format.hpp"

namespace umi::tools {

namespace {

// routeflags[] of route.c, bit 1..24.
constexpr std::array<std::string_view, 24> rtf_names{
    "UP",        "GATEWAY",      "HOST",    "REJECT",   "DYNAMIC",   "MODIFIED",
    "DONE",      "MASK_PRESENT", "CLONING", "XRESOLVE", "LLINFO",    "STATIC",
    "BLACKHOLE", "b016",         "PROTO2",  "PROTO1",   "PRCLONING", "WASCLONED",
    "PROTO3",    "CHAINDELETE",  "PINNED",  "LOCAL",    "BROADCAST", "MULTICAST"};
// ifnetflags[] of route.c (RTM_IFINFO).
constexpr std::array<std::string_view, 16> iff_names{
    "UP",       "BROADCAST", "DEBUG",   "LOOPBACK", "PTP",   "b6",    "RUNNING", "NOARP",
    "PPROMISC", "ALLMULTI",  "OACTIVE", "SIMPLEX",  "LINK0", "LINK1", "LINK2",   "MULTICAST"};

constexpr unsigned rtf_gateway = 0x2;
constexpr unsigned rtf_host = 0x4;
constexpr unsigned rtf_done = 0x40;

// netstat's letters (route.c bits[]) -> RTF_* bits.
unsigned rtf_bits(std::string_view letters) {
  unsigned bits = 0;
  for (char ch : letters) {
    switch (ch) {
      case 'U':
        bits |= 0x1;
        break;
      case 'G':
        bits |= 0x2;
        break;
      case 'H':
        bits |= 0x4;
        break;
      case 'R':
        bits |= 0x8;
        break;
      case 'D':
        bits |= 0x10;
        break;
      case 'M':
        bits |= 0x20;
        break;
      case 'd':
        bits |= 0x40;
        break;
      case 'C':
        bits |= 0x100;
        break;
      case 'X':
        bits |= 0x200;
        break;
      case 'L':
        bits |= 0x400;
        break;
      case 'S':
        bits |= 0x800;
        break;
      case 'B':
        bits |= 0x1000;
        break;
      case '2':
        bits |= 0x4000;
        break;
      case '1':
        bits |= 0x8000;
        break;
      case 'c':
        bits |= 0x10000;
        break;
      case 'W':
        bits |= 0x20000;
        break;
      case '3':
        bits |= 0x40000;
        break;
      case 'b':
        bits |= 0x400000;
        break;
      default:
        break;
    }
  }
  return bits;
}

template <std::size_t N>
std::string bprintf(unsigned bits, const std::array<std::string_view, N>& names) {
  std::string s;
  for (std::size_t i = 0; i < N; ++i) {
    if ((bits & (1u << i)) == 0) continue;
    s += s.empty() ? '<' : ',';
    s += names[i];
  }
  if (!s.empty()) s += '>';
  return s;
}

bool is_inet(const boost::json::object& r) {
  return json_str(r, "family") == "inet";
}

// route.c routename() of an address: inet "default" for 0.0.0.0.
std::string routename(const boost::json::object& r, const std::string& addr) {
  if (is_inet(r)) return addr == "0.0.0.0" ? "default" : addr;
  return addr;
}

// sbin/route netname(): inet drops zero trailing bytes, no mask suffix.
std::string route_netname(const boost::json::object& r) {
  std::string dest = route_dest_addr(r);
  if (!is_inet(r)) return dest;
  auto a = parse_ip4(dest);
  if (!a) return dest;
  if (*a == 0) return "default";
  std::string full = ip4_netname(*a, 0);
  return full;
}

std::string mask_text(const boost::json::object& r) {
  auto plen = static_cast<unsigned>(json_int(r, "prefixlen"));
  if (is_inet(r)) return plen == 0 ? "default" : ip4_to_string(ip4_mask(plen));
  return ip6_mask_string(plen);
}

// Bytes of a sockaddr in a routing message, rounded to sizeof(long) (i386).
int sa_space(int len) {
  return len > 0 ? 1 + ((len - 1) | 3) : 4;
}
int mask_len(const boost::json::object& r) {
  auto plen = static_cast<int>(json_int(r, "prefixlen"));
  int off = is_inet(r) ? 4 : 8;  // offset of sin_addr / sin6_addr
  return plen == 0 ? 0 : off + (plen + 7) / 8;
}

constexpr int rt_msghdr_len = 92;  // FreeBSD 3, i386
constexpr int ifa_msghdr_len = 20;
constexpr int if_msghdr_len = 96;
constexpr int sockaddr_dl_len = 20;

std::string msgtype_text(std::string_view type) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> types{{
      {"RTM_ADD", "RTM_ADD: Add Route"},
      {"RTM_DELETE", "RTM_DELETE: Delete Route"},
      {"RTM_CHANGE", "RTM_CHANGE: Change Metrics or flags"},
      {"RTM_NEWADDR", "RTM_NEWADDR: address being added to iface"},
      {"RTM_DELADDR", "RTM_DELADDR: address being removed from iface"},
      {"RTM_IFINFO", "RTM_IFINFO: iface status change"},
  }};
  for (const auto& [k, v] : types)
    if (k == type) return std::string(v);
  return std::string(type);
}

}  // namespace

if_index_map index_interfaces(const boost::json::value& result) {
  if_index_map m;
  for (const auto& i : json_array(as_object(result), "interfaces"))
    if (i.is_object()) m[json_str(i.get_object(), "name")] = json_int(i.get_object(), "index");
  return m;
}

std::string route_error_text(const control_error& e) {
  if (e.code == "ESRCH") return "not in table";
  if (e.code == "EBUSY") return "entry in use";
  if (e.code == "ENOBUFS") return "routing table overflow";
  return bsd_strerror(e.code, e.message);
}

std::string route_write_error(const control_error& e) {
  return "writing to routing socket: " + bsd_strerror(e.code, e.message);
}

std::string format_route_change(std::string_view verb, bool host, std::string_view dest,
                                std::string_view gateway, std::string_view error) {
  std::string s = std::string(verb) + (host ? " host " : " net ") + std::string(dest);
  if (!gateway.empty()) s += ": gateway " + std::string(gateway);
  if (!error.empty()) s += ": " + std::string(error);
  s += '\n';
  return s;
}

std::string route_flag_names(std::string_view letters, bool done) {
  return bprintf(rtf_bits(letters) | (done ? rtf_done : 0), rtf_names);
}

std::string route_dest_addr(const boost::json::object& r) {
  std::string dest = json_str(r, "dest");
  if (is_inet(r) || dest.find('%') != std::string::npos) return dest;
  auto a = ip6_addr::parse(dest);
  std::string ifname = json_str(r, "ifname");
  if (a && a->is_link_scope() && !ifname.empty()) dest += "%" + ifname;
  return dest;
}

std::string route_gateway_text(const boost::json::object& r, const if_index_map& ifindex) {
  const auto* g = r.if_contains("gateway");
  if (g != nullptr && g->is_string() && !g->get_string().empty())
    return std::string(g->get_string());
  auto it = ifindex.find(json_str(r, "ifname"));
  return strprintf("link#%lld", static_cast<long long>(it == ifindex.end() ? 0 : it->second));
}

std::string format_route_get(const boost::json::value& result, std::string_view route_to) {
  const auto& res = as_object(result);
  const auto& r = json_object(res, "route");
  unsigned bits = rtf_bits(json_str(r, "flags")) | rtf_done;
  std::string s = "   route to: " + std::string(route_to) + "\n";
  s += "destination: " + routename(r, route_dest_addr(r)) + "\n";
  if ((bits & rtf_host) == 0) s += "       mask: " + mask_text(r) + "\n";
  if ((bits & rtf_gateway) != 0) s += "    gateway: " + json_str(r, "gateway") + "\n";
  std::string ifname = json_str(res, "interface", json_str(r, "ifname"));
  if (!ifname.empty()) s += "  interface: " + ifname + "\n";
  s += "      flags: " + bprintf(bits, rtf_names);
  s += "\n recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire\n";
  for (int i = 0; i < 6; ++i) s += strprintf("%8ld%c ", 0L, ' ');
  s += strprintf("%8lld%c ", static_cast<long long>(json_int(r, "mtu")), ' ');
  s += strprintf("%8lld%c\n", static_cast<long long>(json_int(r, "expire")), ' ');
  return s;
}

std::string format_flush_line(const boost::json::object& r, const if_index_map& ifindex) {
  bool host = (rtf_bits(json_str(r, "flags")) & rtf_host) != 0;
  std::string dest = host ? routename(r, route_dest_addr(r)) : route_netname(r);
  // A bare {family, dest, prefixlen} entry (no gateway key) leaves the column blank.
  std::string gw = r.contains("gateway") ? route_gateway_text(r, ifindex) : std::string();
  return strprintf("%-20.20s ", dest.c_str()) + strprintf("%-20.20s ", gw.c_str()) + "done\n";
}

std::string format_route_message(const boost::json::object& data, std::time_t now,
                                 const if_index_map& ifindex) {
  std::string type = json_str(data, "type");
  const auto& r = json_object(data, "route");
  unsigned bits = rtf_bits(json_str(r, "flags"));
  std::string ifname = json_str(r, "ifname");
  int addr_len = is_inet(r) ? 16 : 28;
  std::string body;
  int len = 0;
  if (type == "RTM_IFINFO") {
    auto it = ifindex.find(ifname);
    long long index = json_int(data, "index", it == ifindex.end() ? 0 : it->second);
    len = if_msghdr_len + sockaddr_dl_len;
    body = strprintf("if# %lld, flags:", index) +
           bprintf(static_cast<unsigned>(json_int(data, "if_flags")), iff_names) +
           "\nsockaddrs: <IFP>\n " + ifname + "\n";
  } else if (type == "RTM_NEWADDR" || type == "RTM_DELADDR") {
    len = ifa_msghdr_len + sa_space(mask_len(r)) + sa_space(sockaddr_dl_len) + sa_space(addr_len);
    body = "metric 0, flags:" + bprintf(bits, rtf_names) + "\nsockaddrs: <NETMASK,IFP,IFA>\n " +
           mask_text(r) + " " + ifname + " " + routename(r, route_dest_addr(r)) + "\n";
  } else {
    bits |= rtf_done;
    bool host = (bits & rtf_host) != 0;
    const auto* g = r.if_contains("gateway");
    bool link_gw = g == nullptr || !g->is_string() || g->get_string().empty();
    len = rt_msghdr_len + sa_space(addr_len) + sa_space(link_gw ? sockaddr_dl_len : addr_len) +
          (host ? 0 : sa_space(mask_len(r)));
    body = "pid: 0, seq 0, errno 0, flags:" + bprintf(bits, rtf_names) + "\nlocks:  inits: " +
           "\nsockaddrs: " + (host ? "<DST,GATEWAY>" : "<DST,GATEWAY,NETMASK>") + "\n " +
           routename(r, route_dest_addr(r)) + " " + route_gateway_text(r, ifindex) +
           (host ? "" : " " + mask_text(r)) + "\n";
  }
  char when[64] = "";
  std::tm tm{};
  localtime_r(&now, &tm);
  std::strftime(when, sizeof when, "%a %b %e %H:%M:%S %Y\n", &tm);
  return strprintf("got message of size %d on %s", len, when) + msgtype_text(type) +
         strprintf(": len %d, ", len) + body;
}

}  // namespace umi::tools
