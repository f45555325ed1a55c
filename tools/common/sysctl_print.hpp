#pragma once
// sysctl printers (FreeBSD sysctl(8)): "name: value", "-n" value only, "-N"
// name only; writes "name: old -> new" ("old -> new" with -n). Input is the
// `sysctl_get` values ({"name", "value", "type", "writable"}) and the
// `sysctl_set` result ({"name", "old", "new"}).
#include <boost/json.hpp>

#include <string>
#include <string_view>

namespace umi::tools {

struct sysctl_view {
  bool numeric = false;     // -n
  bool names_only = false;  // -N
};

// A value as sysctl shows it: integers in decimal, strings as they are.
std::string sysctl_value_text(const boost::json::value& v);
std::string format_sysctl_value(const boost::json::object& entry, const sysctl_view& view);
// Every entry of a `sysctl_get` result.
std::string format_sysctl_values(const boost::json::value& result, const sysctl_view& view);
std::string format_sysctl_set(const boost::json::value& result, std::string_view name,
                              const sysctl_view& view);

}  // namespace umi::tools
