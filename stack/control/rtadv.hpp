#pragma once
// The router side of Neighbor Discovery (RFC 4861 §6.2): what KAME's rtadvd
// did from user space, run in the control thread. Per advertising interface:
// periodic unsolicited RAs with the §6.2.4 jitter, delayed and rate-limited
// replies to RSs (§6.2.6), final RAs with router lifetime 0 when stopped
// (§6.2.5), and the §6.2.7 consistency checks against other routers' RAs,
// logged with rtadvd's wording. EAL-free: clock, randomness, transmission and
// the interface table are injected, so tests drive it with a manual clock.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "stack/base/addr.hpp"
#include "stack/base/bytes.hpp"
#include "stack/base/clock.hpp"
#include "stack/base/rng.hpp"
#include "stack/wire/ra_build.hpp"

namespace umi::node {

struct interface;

// RFC 4861 §10 router constants, as rtadvd.h names them.
namespace rtadv_const {
inline constexpr unsigned max_initial_rtr_advert_interval = 16;  // seconds
inline constexpr unsigned max_initial_rtr_advertisements = 3;
inline constexpr unsigned max_final_rtr_advertisements = 3;
inline constexpr unsigned min_delay_between_ras = 3;   // seconds
inline constexpr unsigned max_ra_delay_time_ms = 500;  // reply to an RS within 0..0.5 s
inline constexpr unsigned min_maxinterval = 4, max_maxinterval = 1800;
inline constexpr unsigned min_mininterval = 3;
inline constexpr unsigned max_router_lifetime = 9000;
inline constexpr unsigned max_reachable_time = 3600000;  // ms
inline constexpr unsigned min_link_mtu = 1280;
inline constexpr std::uint32_t def_vltime = 2592000, def_pltime = 604800;
inline constexpr auto withdrawn_prefix_hold = std::chrono::hours(2);
}  // namespace rtadv_const

// One interface's advertising parameters: rtadvd.conf's capabilities with
// rtadvd's defaults.
struct rtadv_config {
  std::string ifname;
  unsigned maxinterval = 600;
  unsigned mininterval = 200;  // maxinterval / 3 unless given
  unsigned chlim = 64;
  unsigned raflags = 0;  // 0x80 M, 0x40 O
  unsigned rltime = 1800;
  std::uint32_t rtime = 0;    // reachable time, ms
  std::uint32_t retrans = 0;  // retrans timer, ms
  unsigned mtu = 0;           // 0: no MTU option
  bool nolladdr = false;      // no source link-layer address option
  // nullopt: the interface's global prefixes, with the default lifetimes and
  // L and A set, as KAME rtadvd takes them from the routing table.
  std::optional<std::vector<wire::ra_prefix>> prefixes;
};

// rtadvd's getconfig() checks of one interface's values; the message is
// rtadvd's ("<getconfig> maxinterval (2) on de0 is invalid (...)").
// link_mtu 0: not known (the tool checks before asking the daemon).
std::optional<std::string> validate_rtadv_config(const rtadv_config& c, unsigned link_mtu = 0);

struct rtadv_counters {
  std::uint64_t ra_out = 0;
  std::uint64_t rs_in = 0;
  std::uint64_t ra_in = 0;
  std::uint64_t ra_inconsistent = 0;
  std::uint64_t rs_bad = 0;
};

struct rtadv_env {
  const clock_source* clock = nullptr;
  rng* random = nullptr;
  // The interface with that index (nullptr when gone).
  std::function<const interface*(unsigned ifindex)> iface;
  // Send an RA (checksum left zero) to ff02::1 from the interface's
  // link-local address with hop limit 255.
  std::function<void(unsigned ifindex, std::vector<std::uint8_t> ra)> send;
  // Join (true) or leave the all-routers group ff02::2 on the interface.
  std::function<void(unsigned ifindex, bool join)> membership;
  // net.inet6.ip6.forwarding: a node that stopped forwarding advertises
  // router lifetime 0 (RFC 4861 §6.2.5).
  std::function<bool()> is_router;
  std::function<void(const std::string&)> log;
};

class router_advertiser {
 public:
  explicit router_advertiser(rtadv_env env) : env_(std::move(env)) {}

  struct iface_state {
    unsigned ifindex = 0;
    rtadv_config cfg;
    bool static_prefixes = false;  // -s: prefixes fixed at start
    time_point next_ra{};
    unsigned initial_sent = 0;
    std::optional<time_point> last_multicast;
    std::optional<time_point> rs_reply_at;
    unsigned final_left = 0;  // > 0: stopping, final RAs still to send
    // Following the interface (no configured prefixes, no -s): what the last
    // RA carried, and prefixes since removed, advertised with zero lifetimes
    // until the time given (two hours, as KAME rtadvd).
    std::vector<wire::ra_prefix> followed;
    std::vector<std::pair<wire::ra_prefix, time_point>> withdrawn;
    rtadv_counters counters;
  };

  // Starts advertising (§6.2.2: the first RA after a random delay of at most
  // MAX_INITIAL_RTR_ADVERT_INTERVAL). Returns an error message.
  std::optional<std::string> start(unsigned ifindex, rtadv_config cfg, bool static_prefixes);
  // Sends the first final RA now and the rest MIN_DELAY_BETWEEN_RAS apart
  // (KAME's die()); false when the interface was not advertising.
  bool stop(unsigned ifindex);
  bool advertising(unsigned ifindex) const;
  // Forgets an interface without final RAs (a start that failed half-way).
  void cancel(unsigned ifindex);

  void tick();
  // A Router Solicitation / Advertisement heard on an interface, ICMPv6
  // message from its type on (checksum already verified).
  void rs_input(unsigned ifindex, const ip6_addr& src, std::uint8_t hlim, bytes msg);
  void ra_input(unsigned ifindex, const ip6_addr& src, std::uint8_t hlim, bytes msg);

  // The RA an interface sends now (router lifetime 0 when stopping).
  wire::ra_repr make_ra(const iface_state& s) const;
  // The delay until the next unsolicited RA after `initial_sent` of them
  // (§6.2.4): uniform in [mininterval, maxinterval], at most 16 s for the
  // first MAX_INITIAL_RTR_ADVERTISEMENTS.
  static duration next_interval(const rtadv_config& c, unsigned initial_sent, rng& r);

  const std::map<unsigned, iface_state>& interfaces() const { return ifs_; }
  // Counts over every interface ever advertised on (netstat -s).
  const rtadv_counters& totals() const { return totals_; }
  // Log lines also go here with their syslog(3) priority (LOG_INFO 6,
  // LOG_NOTICE 5, LOG_WARNING 4); the control service streams them to rtadvd.
  std::function<void(const std::string&, int priority)> on_log;

 private:
  std::vector<wire::ra_prefix> interface_prefixes(unsigned ifindex) const;
  void send_ra(iface_state& s);
  void follow_prefixes(iface_state& s);
  static constexpr int log_warning = 4, log_notice = 5, log_info = 6;
  void log(const std::string& m, int priority = log_notice) const {
    if (env_.log) env_.log(m);
    if (on_log) on_log(m, priority);
  }
  time_point now() const { return env_.clock->now(); }

  rtadv_env env_;
  std::map<unsigned, iface_state> ifs_;
  rtadv_counters totals_;
};

}  // namespace umi::node
