#pragma once
// The neighbour cache and its NUD state machine (RFC 4861 §7.3, App. C).
// Pure logic: time comes in as `now`, packets go out through the `actions`
// the caller supplies. One cache per node, keyed by (interface, address).
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "stack/base/addr.hpp"
#include "stack/base/clock.hpp"
#include "stack/base/rng.hpp"

namespace umi::nd {

enum class nud_state : std::uint8_t { incomplete, reachable, stale, delay, probe };

char state_letter(nud_state s) noexcept;       // KAME ndp: I R S D P
const char* state_name(nud_state s) noexcept;  // "incomplete", ...

// RFC 4861 §10 protocol constants (and KAME's defaults).
struct nd_params {
  unsigned max_multicast_solicit = 3;
  unsigned max_unicast_solicit = 3;
  duration retrans_timer = std::chrono::seconds(1);
  duration base_reachable_time = std::chrono::seconds(30);
  duration delay_first_probe = std::chrono::seconds(5);
  duration stale_gc = std::chrono::hours(24);
  duration temp_static_lifetime = std::chrono::minutes(20);
  std::size_t max_entries = 1024;
  std::size_t max_queue = 3;  // packets held per INCOMPLETE entry
};

struct neighbor {
  unsigned ifindex = 0;
  ip6_addr addr;
  std::optional<mac_addr> lladdr;
  nud_state state = nud_state::incomplete;
  bool router = false;
  bool is_static = false;  // ndp -s
  bool permanent = false;  // static without `temp`
  time_point expire{};     // state timer (or deletion time for temp statics)
  unsigned probes = 0;
  std::deque<std::vector<std::uint8_t>> held;  // IPv6 packets awaiting resolution
};

// What the cache asks its owner to do.
struct nd_actions {
  // Send an NS for `target` on `ifindex`; unicast to `dst_mac` when given
  // (NUD probe), else to the solicited-node group.
  std::function<void(unsigned ifindex, const ip6_addr& target, std::optional<mac_addr> dst_mac)>
      send_ns;
  // Transmit a held IPv6 packet now that the neighbour's MAC is known.
  std::function<void(unsigned ifindex, const mac_addr& dst, std::vector<std::uint8_t> pkt)>
      send_held;
  // Resolution failed: the held packets are given back (for ICMPv6 address
  // unreachable, RFC 4861 §7.2.2).
  std::function<void(unsigned ifindex, std::vector<std::uint8_t> pkt)> unreachable;
};

struct nd_counters {
  std::uint64_t cache_full = 0;   // new entries refused: no evictable entry
  std::uint64_t queue_drops = 0;  // held packets dropped (queue overflow)
  std::uint64_t resolve_failed = 0;
};

class neighbor_cache {
 public:
  using key = std::pair<unsigned, ip6_addr>;

  neighbor_cache(nd_params params, rng& r, nd_actions actions)
      : params_(params), rng_(r), act_(std::move(actions)) {}

  enum class resolve_result : std::uint8_t { send, queued, dropped };
  // Output path: the MAC to use for `addr`, or the packet is held (and an NS
  // sent) until resolution completes. `out_mac` is set when `send`.
  resolve_result resolve(unsigned ifindex, const ip6_addr& addr, std::vector<std::uint8_t>* pkt,
                         time_point now, mac_addr& out_mac);

  // RFC 4861 §7.2.3: an NS (or RS/RA/redirect) carrying a source link-layer
  // address from `addr`.
  void on_lladdr_learned(unsigned ifindex, const ip6_addr& addr, const mac_addr& mac,
                         time_point now, bool is_router_msg = false);
  // RFC 4861 §7.2.5: a valid NA.
  void on_advert(unsigned ifindex, const ip6_addr& target, std::optional<mac_addr> tlla,
                 bool router, bool solicited, bool override_flag, time_point now);
  // Upper-layer reachability confirmation (§7.3.1), e.g. an echo reply.
  void confirm(unsigned ifindex, const ip6_addr& addr, time_point now);

  // Timers: call at least every retrans interval.
  void tick(time_point now);

  // ndp -s / -d / -c.
  bool set_static(unsigned ifindex, const ip6_addr& addr, const mac_addr& mac, bool temp,
                  time_point now);
  bool remove(unsigned ifindex, const ip6_addr& addr);
  std::vector<neighbor> flush();           // every non-static entry, returned
  void flush_interface(unsigned ifindex);  // interface went down

  const neighbor* find(unsigned ifindex, const ip6_addr& addr) const;
  const std::map<key, neighbor>& entries() const { return entries_; }
  const nd_counters& counters() const { return counters_; }
  duration reachable_time() const { return reachable_time_; }
  // Bumped whenever a resolved link-layer address appears, changes or goes
  // away: the workers' copy of resolved neighbours is rebuilt then.
  std::uint64_t generation() const { return gen_; }
  void set_params(const nd_params& p) { params_ = p; }

 private:
  neighbor* insert(unsigned ifindex, const ip6_addr& addr, time_point now);
  void enter(neighbor& n, nud_state s, time_point now);
  void release_held(neighbor& n);
  duration random_reachable();

  nd_params params_;
  rng& rng_;
  nd_actions act_;
  std::map<key, neighbor> entries_;
  nd_counters counters_;
  duration reachable_time_ = std::chrono::seconds(30);
  std::uint64_t gen_ = 0;
};

}  // namespace umi::nd
