#include "tools/common/sysctl_print.hpp"

#include "tools/common/kame_format.hpp"

namespace umi::tools {

std::string sysctl_value_text(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_bool()) return v.get_bool() ? "1" : "0";
  if (v.is_double()) return strprintf("%g", v.get_double());
  if (v.is_null()) return "";
  return boost::json::serialize(v);
}

std::string format_sysctl_value(const boost::json::object& e, const sysctl_view& view) {
  std::string name = json_str(e, "name");
  if (view.names_only) return name + "\n";
  const auto* v = e.if_contains("value");
  std::string value = v != nullptr ? sysctl_value_text(*v) : "";
  return (view.numeric ? value : name + ": " + value) + "\n";
}

std::string format_sysctl_values(const boost::json::value& result, const sysctl_view& view) {
  std::string s;
  for (const auto& e : json_array(as_object(result), "values"))
    if (e.is_object()) s += format_sysctl_value(e.get_object(), view);
  return s;
}

std::string format_sysctl_set(const boost::json::value& result, std::string_view name,
                              const sysctl_view& view) {
  const auto& o = as_object(result);
  std::string n = json_str(o, "name", name);
  const auto* old_v = o.if_contains("old");
  const auto* new_v = o.if_contains("new");
  std::string s = view.numeric ? "" : n + ": ";
  s += (old_v ? sysctl_value_text(*old_v) : "") + " -> " + (new_v ? sysctl_value_text(*new_v) : "");
  return s + "\n";
}

}  // namespace umi::tools
