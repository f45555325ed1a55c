#pragma once
// Host-side state of stateless autoconfiguration (RFC 4861 §6.3, RFC 4862):
// the default router list, the per-interface parameters an RA sets, the
// bounds of what an RA flood can make us hold, and the router solicitor
// behind rtsol/rtsold. The node owns one `ra_host`; node_ra.cpp drives it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stack/base/addr.hpp"
#include "stack/base/clock.hpp"

namespace umi::node {

// Bounds (documented in stack/control/README.md). RAs beyond them are still
// processed for what fits; each refusal is counted.
inline constexpr std::size_t max_default_routers = 16;  // per node
inline constexpr std::size_t max_ra_prefixes = 64;      // RA-learned prefixes per node
inline constexpr std::size_t max_prefix_advertisers = 8;

// RFC 4861 §6.3.7 and §10.
inline constexpr auto max_rtr_solicitation_delay = std::chrono::seconds(1);
inline constexpr auto rtr_solicitation_interval = std::chrono::seconds(4);
inline constexpr unsigned max_rtr_solicitations = 3;
// RFC 4862 §5.5.3 (e): the two-hour rule.
inline constexpr auto two_hours = std::chrono::hours(2);

struct default_router {
  unsigned ifindex = 0;
  ip6_addr addr;  // link-local
  time_point expire{};
  bool managed = false;  // M
  bool other = false;    // O
};

// What RAs told us about a link (ndp -i); unset fields keep the defaults.
struct ra_ifinfo {
  unsigned ifindex = 0;
  std::optional<unsigned> linkmtu;  // the MTU option (the interface MTU stays)
  std::optional<std::uint8_t> curhlim;
  std::optional<std::uint32_t> basereachable_ms;
  std::optional<std::uint32_t> retrans_ms;
};

// One rtsol/rtsold run (KAME rtsold.c's per-interface state machine).
enum class rtsol_state : std::uint8_t { idle = 0, delay = 1, probe = 2, down = 3 };

struct rtsol_if {
  unsigned ifindex = 0;
  rtsol_state state = rtsol_state::down;
  unsigned probes = 0;               // RSs sent in this round
  unsigned racnt = 0;                // RAs received
  unsigned dadcount = 0;             // retries while the interface is not ready
  std::optional<time_point> expire;  // nullopt: no timer
  bool active = false;               // link status last seen
  bool probe_routers = false;        // -m: NS the default routers before the next RS
};

struct rtsol_run {
  std::uint64_t id = 0;
  bool mobile = false;  // -m
  bool once = false;    // -1 (rtsol)
  int debug = 0;        // -d 1, -D 2
  bool done = false;    // once: every interface answered or gave up
  std::vector<rtsol_if> ifs;
};

// syslog priorities rtsold logs with.
inline constexpr int log_err = 3, log_notice = 5, log_info = 6, log_debug = 7;

struct rtsol_log_event {
  std::uint64_t run = 0;
  int priority = log_debug;
  std::string func;  // KAME's __FUNCTION__ in "<func> msg" syslog lines
  std::string message;
};

// RA counters for `netstat -s` live in stats::icmp6; these are the lists.
struct ra_host {
  std::vector<default_router> routers;
  std::vector<ra_ifinfo> ifinfo;
  std::vector<rtsol_run> runs;
  std::uint64_t next_run = 1;
};

}  // namespace umi::node
