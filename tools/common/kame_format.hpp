#pragma once
// Formatting helpers shared by the KAME shims: printf into std::string, the
// KAME sec2str, BSD `%b` interface flags, the `%x:%x:...` MAC form, scoped
// address text and small accessors for the daemon's JSON.
#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace umi::tools {

// snprintf into a std::string.
std::string strprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// ndp's sec2str (kame-cli.md §1.2): "%dd", "%dh", "%dm" once a larger unit is
// non-zero, then always "%ds": 29d23h59m57s, 4m2s, 38s, 0s.
std::string sec2str(long long seconds);

// BSD printb of the IFF_* word: "flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>";
// "flags=0" when no bit is set.
std::string iff_flags_string(unsigned flags);

// "02:00:00:00:00:01" -> "2:0:0:0:0:1" (BSD ether_ntoa / ndp ether_str). Text that
// is not a MAC address is returned unchanged.
std::string bsd_mac(std::string_view mac);

// An address as getnameinfo(NI_WITHSCOPEID) prints it: "fe80::1%de0" when the
// scope id is non-zero (link-local, link-scope multicast), else the bare address.
std::string scoped_addr(std::string_view addr, std::string_view ifname, std::int64_t scopeid);

// A host argument split at '%': address text and zone ("" when absent).
struct host_arg {
  std::string addr;  // numeric IPv6 text, as typed
  std::string zone;  // interface name after '%', or ""
  std::string numeric() const { return zone.empty() ? addr : addr + "%" + zone; }
};
// Numeric IPv6 with optional %zone; names are resolved with getaddrinfo
// (AF_INET6). On failure `error` holds gai_strerror text.
std::optional<host_arg> resolve_host(std::string_view text, std::string& error);

// Tolerant JSON accessors: a missing key or a value of another type yields
// the default (the daemon may omit fields; printers must not throw).
std::int64_t json_int(const boost::json::object& o, std::string_view key, std::int64_t def = 0);
std::optional<std::int64_t> json_opt_int(const boost::json::object& o, std::string_view key);
std::string json_str(const boost::json::object& o, std::string_view key, std::string_view def = "");
bool json_bool(const boost::json::object& o, std::string_view key, bool def = false);
const boost::json::array& json_array(const boost::json::object& o, std::string_view key);
const boost::json::object& json_object(const boost::json::object& o, std::string_view key);
const boost::json::object& as_object(const boost::json::value& v);

// Serialised JSON followed by a newline (the tools' --json output).
std::string json_line(const boost::json::value& v);

}  // namespace umi::tools
