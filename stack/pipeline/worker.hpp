#pragma once
// A poll-mode worker: owns some (port, RX queue) pairs and one TX queue on
// every port, runs ether-input/ip6-input to completion on each burst, punts
// local traffic to the control thread over its punt ring, and transmits what
// the control thread injects through its inject ring. No locks, no
// allocation, no syscalls on the packet path; idle workers back off.
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

#include "stack/base/bytes.hpp"
#include "stack/base/counter.hpp"
#include "stack/control/stats.hpp"
#include "stack/pipeline/drops.hpp"
#include "stack/pipeline/table.hpp"

namespace umi::pipeline {

inline constexpr unsigned burst_size = 32;
inline constexpr unsigned max_ports = 32;

struct rx_assignment {
  std::uint16_t port;
  std::uint16_t queue;
};

// Counters one worker writes and the control thread sums.
struct alignas(64) worker_counters {
  std::array<counter, static_cast<std::size_t>(stats::ip6::count_)> ip6;
  std::array<counter, static_cast<std::size_t>(stats::ip::count_)> ip;
  std::array<counter, static_cast<std::size_t>(drop::count_)> drops;
  std::array<counter, 256> ip6_in_hist;  // next header of packets reaching ip6-input
  std::array<counter, max_ports> rx_packets;
  std::array<counter, max_ports> tx_packets;
  std::array<counter, 4096> nexthop_use;   // packets forwarded per next hop (netstat -r "Use")
  std::array<counter, 4096> nexthop4_use;  // the same for IPv4 next hops
  counter forwarded;
  counter punted;
  counter loops;  // progress: the watchdog checks this advances
};

struct burst_counts;  // worker.cpp

enum class idle_policy : std::uint8_t { adaptive, poll };

struct worker_shared {
  std::atomic<const dataplane_table*>* table = nullptr;
  rte_rcu_qsbr* qsbr = nullptr;
  std::atomic<bool>* stop = nullptr;
  idle_policy idle = idle_policy::adaptive;
  int punt_meta_offset = -1;  // mbuf dynfield carrying punt_meta
};

// What a worker tells the control thread about a punted packet: why, and the
// next hop it was looked up to (forwarding exceptions).
struct punt_meta {
  punt_reason reason;
  std::uint32_t nexthop;  // fib::no_route when none (an IPv4 next hop for IPv4 packets)
};
inline std::uint32_t encode_punt(const punt_meta& m) noexcept {
  return static_cast<std::uint32_t>(m.reason) | ((m.nexthop & 0xffffffu) << 8);
}
inline punt_meta decode_punt(std::uint32_t v) noexcept {
  const std::uint32_t nh = v >> 8;
  return {static_cast<punt_reason>(v & 0xff), nh == 0xffffffu ? 0xffffffffu : nh};
}
// Registers the dynfield once per process (after EAL init); -1 on failure.
int register_punt_meta();

class worker {
 public:
  worker(unsigned id, worker_shared shared, std::vector<rx_assignment> rx,
         std::vector<std::uint16_t> tx_queue_by_port, rte_ring* punt, rte_ring* inject);

  // The lcore entry point: polls until *stop is set.
  int run() noexcept;

  unsigned id() const noexcept { return id_; }
  const worker_counters& counters() const noexcept { return counters_; }

 private:
  // ether-input to completion for one burst received on `rx_port`: the fast
  // path's filter (fastpath.hpp) over every frame, the FIB lookups of those it
  // took (one at a time), then in arrival order the rewrite and TX queueing of
  // those their next hop lets through, and ip6::classify for the rest;
  // counters are added once per burst.
  void input_burst(rte_mbuf** pkts, unsigned n, std::uint16_t rx_port,
                   const dataplane_table& t) noexcept;
  void slow_input(rte_mbuf* m, mut_bytes frame, const dataplane_table& t, burst_counts& c) noexcept;
  void drop(rte_mbuf* m, enum drop reason) noexcept;
  void tx_enqueue(rte_mbuf* m) noexcept;
  void tx_flush() noexcept;
  void tx_flush_port(std::uint16_t port) noexcept;
  void backoff(unsigned& idle_loops) noexcept;

  unsigned id_;
  worker_shared shared_;
  std::vector<rx_assignment> rx_;
  std::vector<std::uint16_t> txq_;  // TX queue of this worker on each port
  rte_ring* punt_;
  rte_ring* inject_;
  std::array<std::array<rte_mbuf*, burst_size>, max_ports> txbuf_{};
  std::array<std::uint16_t, max_ports> txlen_{};
  worker_counters counters_;
};

// Launch shim for rte_eal_remote_launch.
int worker_main(void* arg);

}  // namespace umi::pipeline
