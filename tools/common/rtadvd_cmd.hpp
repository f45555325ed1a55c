#pragma once
// rtadvd command line and rtadvd.conf (kame-cli.md §15).
//   rtadvd [-c configfile] [-dDfmRs] interface ...
// rtadvd.conf is termcap(5): entries `name|alias:cap:cap:...` over lines
// joined by a trailing backslash, capabilities `key#number`, `key="string"`,
// bare booleans, `key@` (cancelled) and `tc=entry` (take the capabilities of
// another entry, its own first). An interface without an entry (or without a
// file) is advertised with rtadvd's defaults and, with no `addr`, the
// interface's global prefixes.
#include <boost/json.hpp>

#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "stack/base/result.hpp"
#include "stack/control/rtadv.hpp"
#include "tools/common/tool_env.hpp"

namespace umi::tools {

// The KAME kit's default configuration file (<prefix>/v6/etc).
inline constexpr std::string_view rtadvd_default_conf = "/usr/local/v6/etc/rtadvd.conf";

struct rtadvd_cmd {
  std::string config = std::string(rtadvd_default_conf);
  unsigned debug = 0;            // -d 1, -D 2
  bool foreground = false;       // -f
  bool static_prefixes = false;  // -s
  bool renumbering = false;      // -R (accepted, not supported)
  std::vector<std::string> interfaces;
};

std::string rtadvd_usage();
result<rtadvd_cmd, cmd_error> parse_rtadvd(const std::vector<std::string>& args);

// A parsed termcap file: entry name (every alias) -> its raw capability
// fields in order.
class termcap_file {
 public:
  // Parses the text; an error names the line.
  static result<termcap_file, std::string> parse(std::string_view text);
  // The capabilities of `name` with tc= expanded, or nothing when there is no
  // such entry. An error for a tc= loop or a tc= naming no entry.
  result<std::optional<std::vector<std::string>>, std::string> entry(const std::string& name) const;

 private:
  std::map<std::string, std::vector<std::string>> entries_;
};

// The capabilities of one entry, looked up as termcap does: the first
// occurrence of a key decides; `key@` cancels it.
class termcap_entry {
 public:
  explicit termcap_entry(std::vector<std::string> caps) : caps_(std::move(caps)) {}
  bool has(std::string_view key) const;
  std::optional<std::string> str(std::string_view key) const;  // key=value, quotes removed
  // key#number (decimal, 0-prefixed octal or 0x hex); error text on a bad number.
  result<std::optional<std::uint64_t>, std::string> num(std::string_view key) const;
  bool flag(std::string_view key) const;  // bare key

 private:
  const std::string* find(std::string_view key) const;
  std::vector<std::string> caps_;
};

// rtadvd's getconfig(): one interface's configuration from its entry (none:
// defaults). `info` collects rtadvd's LOG_INFO lines.
result<node::rtadv_config, std::string> rtadvd_getconfig(const std::string& ifname,
                                                         const std::optional<termcap_entry>& e,
                                                         std::vector<std::string>& info);

// The SIGUSR1 dump (KAME's /var/run/rtadvd.dump) of an rtadvd_status reply,
// with times as ctime() of `now` plus or minus the daemon's offsets.
std::string format_rtadvd_dump(const boost::json::object& status, std::time_t now);

// The rtadvd_start request's description of one interface.
boost::json::object rtadv_config_json(const node::rtadv_config& c);

}  // namespace umi::tools
