// netstat -s for IPv4: FreeBSD 3 usr.bin/netstat/inet.c ip_stats() and
// icmp_stats(), wording and plurals exactly as printed there.
#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/common/kame_format.hpp"
#include "tools/common/netstat_print.hpp"

namespace umi::tools {

namespace {

struct inet_stat {
  std::string_view name;  // ips_<name> / icps_<name>
  std::string_view fmt;   // "%lu" for the value, "%s" for plural()
  bool extra = false;     // umigame's own counter: printed only when the reply has it
};

// clang-format off
constexpr std::array ip_before_forward{
    inet_stat{"total", "\t%lu total packet%s received\n"},
    inet_stat{"badsum", "\t%lu bad header checksum%s\n"},
    inet_stat{"toosmall", "\t%lu with size smaller than minimum\n"},
    inet_stat{"tooshort", "\t%lu with data size < data length\n"},
    inet_stat{"toolong", "\t%lu with ip length > max ip packet size\n"},
    inet_stat{"badhlen", "\t%lu with header length < data size\n"},
    inet_stat{"badlen", "\t%lu with data length < header length\n"},
    inet_stat{"badoptions", "\t%lu with bad options\n"},
    inet_stat{"badvers", "\t%lu with incorrect version number\n"},
    inet_stat{"fragments", "\t%lu fragment%s received\n"},
    inet_stat{"fragdropped", "\t%lu fragment%s dropped (dup or out of space)\n"},
    inet_stat{"fragtimeout", "\t%lu fragment%s dropped after timeout\n"},
    inet_stat{"reassembled", "\t%lu packet%s reassembled ok\n"},
    inet_stat{"delivered", "\t%lu packet%s for this host\n"},
    inet_stat{"noproto", "\t%lu packet%s for unknown/unsupported protocol\n"},
    inet_stat{"forward", "\t%lu packet%s forwarded"},
    inet_stat{"fastforward", " (%lu packet%s fast forwarded)"},
};
constexpr std::array ip_after_forward{
    inet_stat{"cantforward", "\t%lu packet%s not forwardable\n"},
    inet_stat{"notmember", "\t%lu packet%s received for unknown multicast group\n"},
    inet_stat{"redirectsent", "\t%lu redirect%s sent\n"},
    inet_stat{"localout", "\t%lu packet%s sent from this host\n"},
    inet_stat{"rawout", "\t%lu packet%s sent with fabricated ip header\n"},
    inet_stat{"odropped", "\t%lu output packet%s dropped due to no bufs, etc.\n"},
    inet_stat{"noroute", "\t%lu output packet%s discarded due to no route\n"},
    inet_stat{"fragmented", "\t%lu output datagram%s fragmented\n"},
    inet_stat{"ofragments", "\t%lu fragment%s created\n"},
    inet_stat{"cantfrag", "\t%lu datagram%s that can't be fragmented\n"},
    inet_stat{"nogif", "\t%lu tunneling packet%s that can't find gif\n"},
    inet_stat{"badsrc", "\t%lu packet%s with an invalid source address\n", true},
};
constexpr std::array icmp_head{
    inet_stat{"error", "\t%lu call%s to icmp_error\n"},
    inet_stat{"oldicmp", "\t%lu error%s not generated 'cuz old message was icmp\n"},
    inet_stat{"toofreq", "\t%lu error%s not generated because of rate limitation\n", true},
};
constexpr std::array icmp_middle{
    inet_stat{"badcode", "\t%lu message%s with bad code fields\n"},
    inet_stat{"tooshort", "\t%lu message%s < minimum length\n"},
    inet_stat{"checksum", "\t%lu bad checksum%s\n"},
    inet_stat{"badlen", "\t%lu message%s with bad length\n"},
    inet_stat{"bmcastecho", "\t%lu multicast echo requests ignored\n"},
    inet_stat{"bmcasttstamp", "\t%lu multicast timestamp requests ignored\n"},
};
constexpr std::array icmp_tail{
    inet_stat{"reflect", "\t%lu message response%s generated\n"},
    inet_stat{"arp_badlen", "\t%lu ARP packet%s with bad length or format\n", true},
    inet_stat{"arp_conflict", "\t%lu ARP packet%s claiming one of our addresses\n", true},
    inet_stat{"arp_cache_full", "\t%lu ARP entr%s refused because the cache is full\n", true},
};
// icmpnames[] of inet.c, ICMP types 0..18.
constexpr std::array<std::string_view, 19> icmp_names{
    "echo reply", "#1", "#2", "destination unreachable", "source quench", "routing redirect",
    "#6", "#7", "echo", "router advertisement", "router solicitation", "time exceeded",
    "parameter problem", "time stamp", "time stamp reply", "information request",
    "information request reply", "address mask request", "address mask reply"};
// clang-format on

unsigned long long value_of(const boost::json::object& o, std::string_view key) {
  if (const auto* raw = o.if_contains(key); raw != nullptr && raw->is_uint64())
    return raw->get_uint64();
  auto v = json_opt_int(o, key);
  return v && *v > 0 ? static_cast<unsigned long long>(*v) : 0;
}

// printf(m, value, plural(value)) without a non-literal format ("entr%s":
// plurals() of igmp's "quer%s" style, y/ies).
std::string render(std::string_view fmt, unsigned long long v) {
  std::string s;
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt.compare(i, 3, "%lu") == 0) {
      s += std::to_string(v);
      i += 2;
    } else if (fmt.compare(i, 2, "%s") == 0) {
      bool y = i >= 4 && fmt.compare(i - 4, 4, "entr") == 0;
      s += y ? (v != 1 ? "ies" : "y") : (v != 1 ? "s" : "");
      i += 1;
    } else {
      s += fmt[i];
    }
  }
  return s;
}

template <class Table>
std::string lines(const Table& t, const boost::json::object& o, bool skip_zero) {
  std::string s;
  for (const auto& d : t) {
    if (d.extra && !o.contains(d.name)) continue;
    unsigned long long v = value_of(o, d.name);
    if (v != 0 || !skip_zero) s += render(d.fmt, v);
  }
  return s;
}

std::string icmp_histogram(const boost::json::object& hist, std::string_view title) {
  std::vector<std::pair<unsigned, unsigned long long>> rows;
  for (const auto& kv : hist) {
    std::string_view k = kv.key();
    unsigned n = 0;
    auto [p, ec] = std::from_chars(k.data(), k.data() + k.size(), n);
    if (ec != std::errc{} || p != k.data() + k.size() || n >= icmp_names.size()) continue;
    if (auto v = value_of(hist, k); v != 0) rows.emplace_back(n, v);
  }
  if (rows.empty()) return "";
  std::sort(rows.begin(), rows.end());
  std::string s = "\t" + std::string(title) + ":\n";
  for (const auto& [n, v] : rows) s += strprintf("\t\t%s: %llu\n", icmp_names[n].data(), v);
  return s;
}

}  // namespace

std::string format_ip_stats(const boost::json::object& st, bool skip_zero) {
  const auto* ip = st.if_contains("ip");
  if (ip == nullptr || !ip->is_object()) return "";
  const auto& o = ip->get_object();
  std::string s = "ip:\n" + lines(ip_before_forward, o, skip_zero);
  if (value_of(o, "forward") != 0 || !skip_zero) s += '\n';
  return s + lines(ip_after_forward, o, skip_zero);
}

std::string format_icmp_stats(const boost::json::object& st, bool skip_zero) {
  const auto* icmp = st.if_contains("icmp");
  if (icmp == nullptr || !icmp->is_object()) return "";
  const auto& o = icmp->get_object();
  std::string s = "icmp:\n" + lines(icmp_head, o, skip_zero);
  s += icmp_histogram(json_object(st, "icmp_out_hist"), "Output histogram");
  s += lines(icmp_middle, o, skip_zero);
  s += icmp_histogram(json_object(st, "icmp_in_hist"), "Input histogram");
  s += lines(icmp_tail, o, skip_zero);
  s += strprintf("\tICMP address mask responses are %sabled\n",
                 value_of(o, "maskrepl") != 0 ? "en" : "dis");
  return s;
}

}  // namespace umi::tools
