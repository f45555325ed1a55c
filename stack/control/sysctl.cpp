#include "stack/control/sysctl.hpp"

#include <charconv>

#include "stack/wire/nodeinfo.hpp"

namespace umi::control {
namespace {
unexpected<sysctl_error> fail(sysctl_errc c, std::string m) {
  return unexpected{sysctl_error{c, std::move(m)}};
}
}  // namespace

sysctl_registry::sysctl_registry() {
  auto knob = [this](std::string name, std::int64_t v, std::int64_t lo, std::int64_t hi,
                     std::string desc, bool writable = true) {
    add({std::move(name), v, writable, lo, hi, std::move(desc)});
  };
  // net.inet6.ip6 (KAME defaults)
  knob("net.inet6.ip6.forwarding", 0, 0, 1, "act as a router: forward IPv6 between interfaces");
  knob("net.inet6.ip6.redirect", 1, 0, 1, "send ICMPv6 redirects");
  knob("net.inet6.ip6.hlim", 64, 1, 255, "default hop limit of packets we originate");
  knob("net.inet6.ip6.maxfragpackets", 200, 0, 100000, "fragments held for reassembly");
  knob("net.inet6.ip6.accept_rtadv", 0, 0, 1, "process router advertisements (hosts)");
  knob("net.inet6.ip6.keepfaith", 0, 0, 1, "FAITH translator (unsupported, kept for KAME)");
  knob("net.inet6.ip6.log_interval", 5, 0, 3600, "minimum seconds between log messages");
  knob("net.inet6.ip6.hdrnestlimit", 15, 1, 255, "maximum extension headers walked");
  knob("net.inet6.ip6.dad_count", 1, 0, 10, "DAD probes per address");
  knob("net.inet6.ip6.auto_flowlabel", 1, 0, 1, "set flow labels on outgoing packets");
  knob("net.inet6.ip6.defmcasthlim", 1, 1, 255, "default multicast hop limit");
  knob("net.inet6.ip6.use_deprecated", 1, 0, 1, "allow deprecated addresses as sources");
  knob("net.inet6.ip6.rr_prune", 5, 0, 86400, "router renumbering prefix prune interval");
  knob("net.inet6.ip6.mtu", 1500, 1280, 65535, "default link MTU", false);
  knob("net.inet6.ip6.v6only", 1, 0, 1, "IPv6 sockets do not accept IPv4");
  knob("net.inet6.ip6.auto_linklocal", 1, 0, 1, "assign link-local addresses automatically");
  add({"net.inet6.ip6.kame_version", std::string("umigame 0.1.0"), false, 0, 0,
       "implementation version"});
  // net.inet6.icmp6
  knob("net.inet6.icmp6.rediraccept", 1, 0, 1, "accept ICMPv6 redirects (hosts)");
  knob("net.inet6.icmp6.redirtimeout", 600, 0, 86400, "lifetime of routes learned by redirect");
  knob("net.inet6.icmp6.nd6_prune", 1, 1, 3600, "neighbour cache walk interval");
  knob("net.inet6.icmp6.nd6_delay", 5, 1, 3600, "DELAY_FIRST_PROBE_TIME");
  knob("net.inet6.icmp6.nd6_umaxtries", 3, 1, 100, "MAX_UNICAST_SOLICIT");
  knob("net.inet6.icmp6.nd6_mmaxtries", 3, 1, 100, "MAX_MULTICAST_SOLICIT");
  knob("net.inet6.icmp6.nd6_useloopback", 1, 0, 1, "use loopback for local addresses");
  knob("net.inet6.icmp6.nodeinfo", 3, 0, 15,
       "node information replies: 1 names, 2 addresses, 8 to global-scope queriers");
  knob("net.inet6.icmp6.errppslimit", 100, 0, 1000000, "ICMPv6 errors per second (0: no limit)");
  knob("net.inet6.icmp6.nd6_maxnudhint", 0, 0, 1000, "upper-layer reachability hints honoured");
  knob("net.inet6.icmp6.nd6_maxqueuelen", 3, 1, 64, "packets held per unresolved neighbour");
  // net.inet.ip / net.inet.icmp
  knob("net.inet.ip.forwarding", 0, 0, 1, "act as a router: forward IPv4 between interfaces");
  knob("net.inet.ip.redirect", 1, 0, 1, "send ICMP redirects");
  knob("net.inet.ip.ttl", 64, 1, 255, "default TTL of packets we originate");
  knob("net.inet.ip.maxfragpackets", 200, 0, 100000, "fragmented datagrams held for reassembly");
  knob("net.inet.icmp.icmplim", 200, 0, 1000000, "ICMP errors per second (0: no limit)");
  knob("net.inet.icmp.bmcastecho", 0, 0, 1, "answer broadcast and multicast echo");
  add({"kern.hostname", std::string("umigame"), true, 0, 0, "the node's name"});
}

result<std::vector<const sysctl_entry*>, sysctl_error> sysctl_registry::get(
    const std::string& name) const {
  if (auto it = entries_.find(name); it != entries_.end())
    return std::vector<const sysctl_entry*>{&it->second};
  std::vector<const sysctl_entry*> out;
  const std::string pfx = name + ".";
  for (auto it = entries_.lower_bound(pfx); it != entries_.end() && it->first.rfind(pfx, 0) == 0;
       ++it)
    out.push_back(&it->second);
  if (out.empty()) return fail(sysctl_errc::unknown, "unknown oid '" + name + "'");
  return out;
}

std::vector<const sysctl_entry*> sysctl_registry::all() const {
  std::vector<const sysctl_entry*> out;
  for (const auto& [k, v] : entries_) out.push_back(&v);
  return out;
}

result<std::variant<std::int64_t, std::string>, sysctl_error> sysctl_registry::set(
    const std::string& name, const std::string& value) {
  auto it = entries_.find(name);
  if (it == entries_.end()) return fail(sysctl_errc::unknown, "unknown oid '" + name + "'");
  sysctl_entry& e = it->second;
  if (!e.writable) return fail(sysctl_errc::read_only, "oid '" + name + "' is read only");
  auto old = e.value;
  if (std::holds_alternative<std::string>(e.value)) {
    if (value.empty() || value.size() > 255) return fail(sysctl_errc::invalid, "Invalid argument");
    // The node's name goes on the wire in node information replies (RFC 4620 §3).
    if (name == "kern.hostname" && !wire::encode_dns_name(value))
      return fail(sysctl_errc::invalid, "Invalid argument");
    e.value = value;
  } else {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc{} || p != value.data() + value.size())
      return fail(sysctl_errc::invalid, "Invalid argument");
    if ((e.min != 0 || e.max != 0) && (v < e.min || v > e.max))
      return fail(sysctl_errc::invalid, "Invalid argument");
    e.value = v;
  }
  if (on_change) on_change(name);
  return old;
}

std::int64_t sysctl_registry::integer(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end() || !std::holds_alternative<std::int64_t>(it->second.value)) return 0;
  return std::get<std::int64_t>(it->second.value);
}

std::string sysctl_registry::string(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end() || !std::holds_alternative<std::string>(it->second.value)) return {};
  return std::get<std::string>(it->second.value);
}

}  // namespace umi::control
