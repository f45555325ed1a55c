#include "tools/common/arp_print.hpp"

#include "tools/common/kame_format.hpp"

namespace umi::tools {

namespace {
// The entries of an `arp` result (the NEIGH list, under "neighbors").
const boost::json::array& entries(const boost::json::value& result) {
  const auto& o = as_object(result);
  if (o.if_contains("neighbors")) return json_array(o, "neighbors");
  return json_array(o, "arp");
}
}  // namespace

std::string format_arp_entry(const boost::json::object& e, std::string_view name) {
  std::string s =
      (name.empty() ? std::string("?") : std::string(name)) + " (" + json_str(e, "addr") + ") at ";
  std::string ll = json_str(e, "lladdr");
  s += ll.empty() ? "(incomplete)" : bsd_mac(ll);
  if (auto ifname = json_str(e, "ifname"); !ifname.empty()) s += " on " + ifname;
  auto expire = json_opt_int(e, "expire");
  if (!expire)
    s += " permanent";
  else if (*expire > 0)
    s += strprintf(" expires in %d seconds", static_cast<int>(*expire));
  else
    s += " expired";
  if (json_bool(e, "proxy")) s += " published (proxy only)";
  s += " [ethernet]\n";
  return s;
}

std::string format_arp_entries(const boost::json::value& result,
                               const std::function<std::string(const std::string&)>& name_of) {
  std::string s;
  for (const auto& e : entries(result)) {
    if (!e.is_object()) continue;
    const auto& o = e.get_object();
    s += format_arp_entry(o, name_of ? name_of(json_str(o, "addr")) : std::string());
  }
  return s;
}

std::string format_arp_deleted(std::string_view host, std::string_view addr) {
  return std::string(host) + " (" + std::string(addr) + ") deleted\n";
}

std::string format_arp_no_entry(std::string_view host, std::string_view addr) {
  return std::string(host) + " (" + std::string(addr) + ") -- no entry\n";
}

}  // namespace umi::tools
