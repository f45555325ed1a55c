#pragma once
// ping6 printers and the per-run bookkeeping (kame-cli.md §7; the guide's
// reply form wins: the length counts the 40-byte IPv6 header and addresses
// carry no %zone):
//   PING6(56=40+8+8 bytes) fe80::5254:ff:feda:cb7d --> ff02::1
//   56 bytes from fe80::5254:ff:feda:cb7d, icmp_seq=0 hlim=64 time=0.25 ms
//   56 bytes from fe80::2a0:c9ff:fe84:ed6c, icmp_seq=0 hlim=64 time=1.333 ms(DUP!)
//
//   --- ff02::1 ping6 statistics ---
//   1 packets transmitted, 1 packets received, +4 duplicates, 0% packet loss
//   round-trip min/avg/max = 0.250/1.239/1.615 ms
#include <boost/json.hpp>

#include <bitset>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/common/ping6_cmd.hpp"

namespace umi::tools {

struct ping6_stats {
  long transmitted = 0;
  long received = 0;
  long repeats = 0;  // duplicates
  bool timing = false;
  double tmin = 999999999.0;  // ms
  double tmax = 0.0;
  double tsum = 0.0;
};

std::string format_ping6_header(int datalen, std::string_view src, std::string_view dst);
// "PATTERN: 0x%02x..." (printed by -p unless -q).
std::string format_pattern(const std::vector<std::uint8_t>& pattern);
// One echo reply line; rtt_ms absent when the data is too short to carry a
// timestamp. `wrong` is the "\nwrong data byte ..." text or "".
std::string format_echo_reply(long bytes, std::string_view from, unsigned seq, long hlim,
                              std::string_view dst, std::optional<double> rtt_ms, bool dup,
                              std::string_view wrong);
// "%d bytes from %s: " + the pr_icmph text of an ICMPv6 error (ping6 -v).
std::string format_icmp6_error(long bytes, std::string_view from, unsigned type, unsigned code,
                               std::uint32_t param);
std::string format_ping6_summary(const ping6_stats& st, std::string_view host);

// Node information replies (ping6 -w/-W/-a/-t; KAME ping6 pr_pack,
// pr_nodeaddr, pr_suptypes): "%d bytes from %s: " + the decoded data, e.g.
//   72 bytes from fe80::5254:ff:feda:cb7d: fto.kame.net.
//   96 bytes from fe80::1: \n  fe80::1(TTL=infty)\n  2001:db8::1(TTL=infty)\n\n
//   64 bytes from fe80::1: NodeInfo Supported Qtypes 0-4
std::string format_ni_reply(long bytes, std::string_view from, unsigned code, unsigned qtype,
                            unsigned flags, const std::vector<std::uint8_t>& data, bool verbose);
// ICMPv6 length of the query ping6 sends (16, or 32 with an IPv6 subject).
int ni_query_len(const ping6_cmd& cmd);

// One ping6 run without I/O: builds request payloads, matches echo replies
// (duplicates, timing, data check) and renders the lines to print. Times are
// microseconds of a monotonic clock.
class ping6_run_state {
 public:
  explicit ping6_run_state(const ping6_cmd& cmd);

  // ICMPv6 echo data for the next request sent at now_us: 8-byte timestamp
  // (tv_sec, tv_usec, big-endian) when datalen >= 8, then the fill (KAME:
  // byte i holds i, or the -p pattern repeated).
  std::vector<std::uint8_t> payload(std::int64_t now_us) const;
  // Records a transmission; returns its sequence number.
  std::uint16_t on_sent();
  // echo_reply event data -> the line to print ("" with -q).
  std::string on_echo_reply(const boost::json::object& data, std::int64_t now_us);
  // ni_reply event data -> the lines to print ("" with -q). Duplicates are
  // counted as for echo replies but, as in KAME, not marked.
  std::string on_ni_reply(const boost::json::object& data);
  // icmp6_error event data -> the line to print (only with -v).
  std::string on_icmp6_error(const boost::json::object& data) const;
  // Last reply data as seen by on_echo_reply: RTT (ms) and duplicate flag.
  std::optional<double> last_rtt() const { return last_rtt_; }
  bool last_dup() const { return last_dup_; }

  const ping6_stats& stats() const { return st_; }
  bool all_received() const { return cmd_.count != 0 && st_.received >= cmd_.count; }
  bool all_sent() const { return cmd_.count != 0 && st_.transmitted >= cmd_.count; }

 private:
  std::uint8_t fill_byte(std::size_t offset) const;
  // KAME's duplicate table: sets last_dup_ and fixes the counts.
  void record_reply(unsigned seq);

  const ping6_cmd& cmd_;
  ping6_stats st_;
  std::unique_ptr<std::bitset<65536>> received_seq_;  // KAME's duplicate table
  std::optional<double> last_rtt_;
  bool last_dup_ = false;
};

std::string to_hex(const std::vector<std::uint8_t>& bytes);
std::vector<std::uint8_t> from_hex(std::string_view hex);

}  // namespace umi::tools
