#include "tools/common/netstat_print.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <utility>
#include <vector>

#include "stack/control/stats.hpp"
#include "tools/common/kame_format.hpp"

namespace umi::tools {

namespace {

unsigned long long counter(const boost::json::object& o, std::string_view key) {
  auto v = json_opt_int(o, key);
  if (const auto* raw = o.if_contains(key); raw != nullptr && raw->is_uint64())
    return raw->get_uint64();
  return v && *v > 0 ? static_cast<unsigned long long>(*v) : 0;
}

// The table text is a printf format with one %llu; substitute it directly
// rather than passing a non-literal format to printf.
std::string counter_line(std::string_view text, unsigned long long value) {
  std::string s = "\t";
  auto pos = text.find("%llu");
  if (pos == std::string_view::npos) {
    s += text;
  } else {
    s += text.substr(0, pos);
    s += std::to_string(value);
    s += text.substr(pos + 4);
  }
  s += '\n';
  return s;
}

// "\t<title>:\n" then "\t\t%s: %llu\n" per non-zero bucket, ascending by
// number; nothing at all when every bucket is zero (KAME's `first` logic).
template <class NameFn>
std::string histogram(const boost::json::object& hist, std::string_view title, NameFn name) {
  std::vector<std::pair<unsigned, unsigned long long>> rows;
  for (const auto& kv : hist) {
    std::string_view k = kv.key();
    unsigned n = 0;
    auto [p, ec] = std::from_chars(k.data(), k.data() + k.size(), n);
    if (ec != std::errc{} || p != k.data() + k.size() || n > 255) continue;
    unsigned long long v = counter(hist, k);
    if (v != 0) rows.emplace_back(n, v);
  }
  if (rows.empty()) return "";
  std::sort(rows.begin(), rows.end());
  std::string s = strprintf("\t%.*s:\n", static_cast<int>(title.size()), title.data());
  for (const auto& [n, v] : rows) {
    std::string_view nm = name(n);
    std::string label = nm.empty() ? strprintf("#%u", n) : std::string(nm);
    s += strprintf("\t\t%s: %llu\n", label.c_str(), v);
  }
  return s;
}

template <class Table>
std::string counters(const Table& table, const boost::json::object& values, bool skip_zero,
                     std::string_view hist_after, const std::string& hist_text,
                     std::string_view hist2_after = "", const std::string& hist2_text = "") {
  std::string s;
  bool placed = false, placed2 = false;
  for (const auto& d : table) {
    unsigned long long v = counter(values, d.name);
    if (v != 0 || !skip_zero) s += counter_line(d.text, v);
    if (d.name == hist_after) {
      s += hist_text;
      placed = true;
    }
    if (!hist2_after.empty() && d.name == hist2_after) {
      s += hist2_text;
      placed2 = true;
    }
  }
  if (!placed) s += hist_text;
  if (!placed2) s += hist2_text;
  return s;
}

auto ip6_name = [](unsigned n) { return stats::ip6_proto_name(n); };
auto icmp6_name = [](unsigned n) { return stats::icmp6_type_name(n); };

}  // namespace

std::string format_ip6_stats(const boost::json::object& st, bool skip_zero) {
  std::string in = histogram(json_object(st, "ip6_in_hist"), "Input histogram", ip6_name);
  return "ip6:\n" + counters(stats::ip6_desc, json_object(st, "ip6"), skip_zero, "notmember", in);
}

std::string format_icmp6_stats(const boost::json::object& st, bool skip_zero) {
  std::string out = histogram(json_object(st, "icmp6_out_hist"), "Output histogram", icmp6_name);
  std::string in = histogram(json_object(st, "icmp6_in_hist"), "Input histogram", icmp6_name);
  return "icmp6:\n" + counters(stats::icmp6_desc, json_object(st, "icmp6"), skip_zero, "toofreq",
                               out, "badlen", in);
}

std::string format_drop_stats(const boost::json::object& st, bool skip_zero) {
  std::string s = "drops by reason:\n";
  for (const auto& d : json_array(st, "drops")) {
    if (!d.is_object()) continue;
    const auto& o = d.get_object();
    unsigned long long n = counter(o, "count");
    if (n == 0 && skip_zero) continue;
    s += strprintf("\t%llu %s (%s: %s)\n", n, json_str(o, "description").c_str(),
                   json_str(o, "stage").c_str(), json_str(o, "reason").c_str());
  }
  return s;
}

std::string format_stats(const boost::json::value& result, const netstat_view& view) {
  const auto& st = as_object(result);
  std::string s;
  if (view.ip) s += format_ip_stats(st, view.skip_zero);
  if (view.icmp) s += format_icmp_stats(st, view.skip_zero);
  if (view.ip6) s += format_ip6_stats(st, view.skip_zero);
  if (view.icmp6) s += format_icmp6_stats(st, view.skip_zero);
  if (view.drops) s += format_drop_stats(st, view.skip_zero);
  return s;
}

}  // namespace umi::tools
