#include "tools/common/ifconfig_print.hpp"

#include <array>

#include "tools/common/inet_addr.hpp"
#include "tools/common/kame_format.hpp"

namespace umi::tools {

namespace {

constexpr unsigned iff_up = 0x1;
constexpr unsigned iff_broadcast = 0x2;

// Lifetime text of ifconfig -L: seconds left, "infty" for null (infinite).
std::string lifetime_text(const boost::json::object& a, std::string_view key) {
  auto v = json_opt_int(a, key);
  if (!v) return "infty";
  return strprintf("%lld", static_cast<long long>(*v < 0 ? 0 : *v));
}

bool has_flag(const boost::json::object& a, std::string_view flag) {
  for (const auto& f : json_array(a, "flags"))
    if (f.is_string() && f.get_string() == flag) return true;
  return false;
}

bool selected(const boost::json::object& iface, const ifconfig_view& view) {
  bool up = (static_cast<unsigned>(json_int(iface, "flags")) & iff_up) != 0;
  if (view.only_up && !up) return false;
  if (view.only_down && up) return false;
  return true;
}

}  // namespace

std::string format_inet6_line(const boost::json::object& a, std::string_view ifname,
                              bool lifetimes) {
  std::int64_t scopeid = json_int(a, "scopeid");
  std::string s = "\tinet6 " + scoped_addr(json_str(a, "addr"), ifname, scopeid);
  s += strprintf(" prefixlen %lld", static_cast<long long>(json_int(a, "prefixlen")));
  // IN6_IFF_* in KAME's print order; `autoconf` (an address formed from a
  // router advertisement) came with the 2001 ifconfig.
  static constexpr std::array<std::string_view, 6> order{"anycast",  "tentative",  "duplicated",
                                                         "detached", "deprecated", "autoconf"};
  for (auto f : order) {
    if (has_flag(a, f)) {
      s += ' ';
      s += f;
    }
  }
  if (scopeid != 0) s += strprintf(" scopeid 0x%llx", static_cast<unsigned long long>(scopeid));
  if (lifetimes)
    s += " pltime " + lifetime_text(a, "pltime") + " vltime " + lifetime_text(a, "vltime");
  s += '\n';
  return s;
}

std::string format_inet_line(const boost::json::object& a, unsigned iff_flags) {
  auto plen = static_cast<unsigned>(json_int(a, "prefixlen"));
  std::string s = "\tinet " + json_str(a, "addr") + " ";
  s += strprintf("netmask 0x%x ", ip4_mask(plen));
  std::string brd = json_str(a, "broadcast");
  if ((iff_flags & iff_broadcast) != 0 && !brd.empty() && brd != "0.0.0.0") s += "broadcast " + brd;
  s += '\n';
  return s;
}

std::string format_interface(const boost::json::object& iface, const ifconfig_view& view) {
  std::string name = json_str(iface, "name");
  std::string s = name + ": " + iff_flags_string(static_cast<unsigned>(json_int(iface, "flags")));
  if (auto mtu = json_int(iface, "mtu"); mtu != 0)
    s += strprintf(" mtu %lld", static_cast<long long>(mtu));
  s += '\n';
  bool one_family = view.inet6_only || view.inet_only;
  if (!one_family) {
    if (auto ether = json_str(iface, "ether"); !ether.empty())
      s += "\tether " + bsd_mac(ether) + "\n";
  }
  auto iff = static_cast<unsigned>(json_int(iface, "flags"));
  if (!view.inet6_only)
    for (const auto& a : json_array(iface, "inet"))
      if (a.is_object()) s += format_inet_line(a.get_object(), iff);
  if (!view.inet_only)
    for (const auto& a : json_array(iface, "inet6"))
      if (a.is_object()) s += format_inet6_line(a.get_object(), name, view.lifetimes);
  if (!one_family) {
    std::string media = json_str(iface, "media");
    std::string status = json_str(iface, "status");
    if (!media.empty()) {
      s += "\tmedia: " + media;
      if (!status.empty()) s += " status: " + status;
      s += '\n';
    } else if (!status.empty()) {
      s += "\tstatus: " + status + "\n";
    }
  }
  return s;
}

std::string format_interfaces(const boost::json::value& result, const ifconfig_view& view) {
  std::string s;
  for (const auto& i : json_array(as_object(result), "interfaces"))
    if (i.is_object() && selected(i.get_object(), view))
      s += format_interface(i.get_object(), view);
  return s;
}

std::string format_interface_names(const boost::json::value& result, const ifconfig_view& view) {
  std::string s;
  for (const auto& i : json_array(as_object(result), "interfaces")) {
    if (!i.is_object() || !selected(i.get_object(), view)) continue;
    if (!s.empty()) s += ' ';
    s += json_str(i.get_object(), "name");
  }
  s += '\n';
  return s;
}

}  // namespace umi::tools
