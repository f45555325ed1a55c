#include "stack/pipeline/worker.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>

#include <cstring>
#include <new>
#include <span>
#include <utility>

#include "stack/ip4/input.hpp"
#include "stack/ip6/input.hpp"
#include "stack/pipeline/fastpath.hpp"

namespace umi::pipeline {

worker::worker(unsigned id, worker_shared shared, std::vector<rx_assignment> rx,
               std::vector<std::uint16_t> tx_queue_by_port, rte_ring* punt, rte_ring* inject)
    : id_(id),
      shared_(shared),
      rx_(std::move(rx)),
      txq_(std::move(tx_queue_by_port)),
      punt_(punt),
      inject_(inject) {}

void worker::drop(rte_mbuf* m, enum drop reason) noexcept {
  const auto& d = drop_table[static_cast<std::size_t>(reason)];
  counters_.drops[static_cast<std::size_t>(reason)].inc();
  if (d.ip6_stat >= 0) counters_.ip6[static_cast<std::size_t>(d.ip6_stat)].inc();
  if (d.ip_stat >= 0) counters_.ip[static_cast<std::size_t>(d.ip_stat)].inc();
  rte_pktmbuf_free(m);
}

namespace detail {
// Adds runs of equal keys to one counter of an array: a burst of one flow
// costs one counter update instead of one per packet.
template <std::size_t N>
class run_tally {
 public:
  explicit run_tally(std::array<counter, N>& a) noexcept : a_(a) {}
  ~run_tally() { flush(); }
  run_tally(const run_tally&) = delete;
  run_tally& operator=(const run_tally&) = delete;
  void add(std::size_t key) noexcept {
    if (key != key_) {
      flush();
      key_ = key;
    }
    ++n_;
  }
  void flush() noexcept {
    if (n_ != 0 && key_ < N) a_[key_].inc(n_);
    n_ = 0;
  }

 private:
  std::array<counter, N>& a_;
  std::size_t key_ = N;
  std::uint64_t n_ = 0;
};
}  // namespace detail

[[gnu::always_inline]] inline void worker::tx_enqueue(rte_mbuf* m) noexcept {
  const std::uint16_t port = m->port;
  if (port >= max_ports || port >= txq_.size()) {
    drop(m, drop::tx_full);
    return;
  }
  txbuf_[port][txlen_[port]++] = m;
  if (txlen_[port] == burst_size) tx_flush_port(port);
}

// Per-burst sums of the counters both paths add to, written once at the end.
struct burst_counts {
  explicit burst_counts(worker_counters& c) noexcept
      : hist(c.ip6_in_hist), use6(c.nexthop_use), use4(c.nexthop4_use) {}
  detail::run_tally<256> hist;
  detail::run_tally<4096> use6;
  detail::run_tally<4096> use4;
  std::uint64_t ip6_total = 0;
  std::uint64_t ip_total = 0;
  std::uint64_t fwd6 = 0;
  std::uint64_t fwd4 = 0;
  std::uint64_t punted = 0;
};

void worker::input_burst(rte_mbuf** pkts, unsigned n, std::uint16_t rx_port,
                         const dataplane_table& t) noexcept {
  // IPv6 frames held for stages 2 and 3, in arrival order; fast[] marks those
  // the fast path's filter took.
  std::array<rte_mbuf*, burst_size> held;
  std::array<std::uint8_t*, burst_size> frame;
  std::array<bool, burst_size> fast;
  std::array<fib::nexthop_id, burst_size> nh;
  unsigned nheld = 0;
  unsigned n6 = 0;  // fast IPv6 frames held
  unsigned n4 = 0;  // IPv4 frames the fast path forwarded
  const fast_port* fp = rx_port < t.fast_ports.size() && t.fast_ports[rx_port].usable
                            ? &t.fast_ports[rx_port]
                            : nullptr;
  const fib::fib6* fib6 = fp != nullptr && t.forwarding6 ? t.fib6 : nullptr;
  const fib::fib4* fib4 = fp != nullptr && t.forwarding4 ? t.fib4 : nullptr;
  burst_counts c(counters_);
  // The fast path's own tallies: locals whose address is never taken, so the
  // compiler keeps them in registers (c goes to slow_input by reference).
  detail::run_tally<256> hist(counters_.ip6_in_hist);
  detail::run_tally<4096> use6(counters_.nexthop_use);
  detail::run_tally<4096> use4(counters_.nexthop4_use);
  const std::span<const fast_adj> adj6(t.adj6);
  const std::span<const fast_adj> adj4(t.adj4);
  const std::uint32_t in_ifindex = fp != nullptr ? fp->ifindex : 0;
  const std::uint32_t excl6 = fast::excluded_ifindex(in_ifindex, t.redirects6);
  const std::uint32_t excl4 = fast::excluded_ifindex(in_ifindex, t.redirects4);
  // Forwarded frames go straight into their egress port's TX buffer, whose
  // fill level is held here while consecutive frames leave by the same port.
  std::uint16_t qport = max_ports;  // none open
  rte_mbuf** qbuf = nullptr;
  unsigned qlen = 0;
  const auto close_queue = [&] {
    if (qport < max_ports) txlen_[qport] = static_cast<std::uint16_t>(qlen);
    qport = max_ports;
  };
  const auto queue = [&](std::uint16_t port, rte_mbuf* m) {
    if (port != qport) {
      close_queue();
      if (port >= max_ports || port >= txq_.size()) {
        drop(m, drop::tx_full);
        return;
      }
      qport = port;
      qbuf = txbuf_[port].data();
      qlen = txlen_[port];
    }
    qbuf[qlen++] = m;
    if (qlen == burst_size) {
      txlen_[qport] = static_cast<std::uint16_t>(qlen);
      tx_flush_port(qport);
      qlen = 0;
    }
  };
  const auto hold = [&](rte_mbuf* m, std::uint8_t* f, bool take) {
    held[nheld] = m;
    frame[nheld] = f;
    fast[nheld++] = take;
    n6 += take;
  };
  // Stage 1, in arrival order: the fast path's filter; IPv4 frames it takes
  // are looked up, rewritten and queued right here (their walks are short: 18
  // bits direct, then at most three nodes), every other frame except IPv6 is
  // classified in full. IPv6 frames are held, so that they keep their order
  // among themselves while their lookups wait for stage 2. Frames we parse
  // must be contiguous; the vdevs we use deliver single-segment mbufs for
  // MTU-sized frames.
  for (unsigned i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
    std::uint8_t* f = rte_pktmbuf_mtod(m, std::uint8_t*);
    const std::uint32_t len = rte_pktmbuf_data_len(m);
    if (fp != nullptr) {
      const std::uint16_t type = fast::ether_type(*fp, f, len);
      if (type == fast::ether_ip6) {
        hold(m, f, fib6 != nullptr && fast::accept6(*fp, f, len));
        continue;
      }
      const std::uint32_t total4 =
          type == fast::ether_ip4 && fib4 != nullptr ? fast::accept4(*fp, f, len) : 0;
      if (total4 != 0) {
        const fib::nexthop_id id = fib4->lookup(load_be32(f + 14 + 16));
        if (const fast_adj* a = fast::finish4(adj4, id, f, total4, excl4)) {
          use4.add(id);
          ++n4;
          queue(a->port, m);
          continue;
        }
      }
    }
    if (len >= 14 && fast::load16(f + 12) == fast::ether_ip6) {  // not for the fast path
      hold(m, f, false);
      continue;
    }
    close_queue();  // classify queues through tx_enqueue, after what came before
    slow_input(m, mut_bytes(f, len), t, c);
  }
  // Stage 2: the burst's IPv6 lookups, one at a time in a tight loop: the
  // walks are independent and close together in the instruction stream, so
  // the CPU overlaps their dependent loads. Walking each frame right after its
  // filter (fewer instructions) was no faster in alternating bench runs, and
  // one pass per frame (fewest) fell to 0.64x the 16-route rate with 1M
  // routes.
  if (n6 != 0) {
    for (unsigned i = 0; i < nheld; ++i)
      if (fast[i]) nh[i] = fib6->lookup(frame[i] + 14 + 24);
  }
  // Stage 3, in arrival order: rewrite and queue the held frames their next
  // hop lets through; the rest (and any next hop the fast path cannot use)
  // are classified in full.
  for (unsigned i = 0; i < nheld; ++i) {
    rte_mbuf* m = held[i];
    std::uint8_t* f = frame[i];
    if (fast[i]) {
      const fib::nexthop_id id = nh[i];
      if (const fast_adj* a = fast::finish6(adj6, id, f, rte_pktmbuf_data_len(m), excl6)) {
        hist.add(f[14 + 6]);
        use6.add(id);
        queue(a->port, m);
        continue;
      }
      --n6;  // classify counts it
    }
    close_queue();
    slow_input(m, mut_bytes(f, rte_pktmbuf_data_len(m)), t, c);
  }
  close_queue();
  c.ip6_total += n6;
  c.fwd6 += n6;
  c.ip_total += n4;
  c.fwd4 += n4;
  c.hist.flush();
  c.use6.flush();
  c.use4.flush();
  if (c.ip6_total != 0) counters_.ip6[static_cast<std::size_t>(stats::ip6::total)].inc(c.ip6_total);
  if (c.ip_total != 0) counters_.ip[static_cast<std::size_t>(stats::ip::total)].inc(c.ip_total);
  if (c.fwd6 != 0) counters_.ip6[static_cast<std::size_t>(stats::ip6::forward)].inc(c.fwd6);
  if (c.fwd4 != 0) counters_.ip[static_cast<std::size_t>(stats::ip::forward)].inc(c.fwd4);
  if (c.fwd6 + c.fwd4 != 0) counters_.forwarded.inc(c.fwd6 + c.fwd4);
  if (c.punted != 0) counters_.punted.inc(c.punted);
}

// ether-input to completion for one frame the fast path did not take.
void worker::slow_input(rte_mbuf* m, mut_bytes frame, const dataplane_table& t,
                        burst_counts& c) noexcept {
  using act = ip6::forward_verdict::action;
  const std::uint16_t port = m->port;
  if (port >= t.ports.size() || !t.ports[port].present) {
    drop(m, drop::port_down);
    return;
  }
  const ip6::input_verdict r = ip6::classify(t, t.ports[port], frame);
  if (r.is_ip6) {
    ++c.ip6_total;
    if (frame.size() > 14 + 6) c.hist.add(frame[14 + 6]);
  } else if (r.is_ip4) {
    ++c.ip_total;
  }
  switch (r.act) {
    case act::drop:
    case act::lookup:  // not reached: classify always decides
      drop(m, r.reason);
      return;
    case act::transmit:
      if (r.is_ip4) {
        ++c.fwd4;
        c.use4.add(r.nh);
      } else {
        ++c.fwd6;
        c.use6.add(r.nh);
      }
      m->port = r.out_port;
      tx_enqueue(m);
      return;
    case act::punt:
      break;
  }
  *RTE_MBUF_DYNFIELD(m, shared_.punt_meta_offset, std::uint32_t*) = encode_punt({r.punt, r.nh});
  if (rte_ring_sp_enqueue(punt_, m) != 0) {
    drop(m, drop::punt_ring_full);
    return;
  }
  ++c.punted;
}

int register_punt_meta() {
  static const rte_mbuf_dynfield desc = {"umigame_punt_meta", sizeof(std::uint32_t),
                                         alignof(std::uint32_t), 0};
  return rte_mbuf_dynfield_register(&desc);
}

void worker::tx_flush_port(std::uint16_t p) noexcept {
  const std::uint16_t n = txlen_[p];
  if (n == 0) return;
  const std::uint16_t sent = rte_eth_tx_burst(p, txq_[p], txbuf_[p].data(), n);
  counters_.tx_packets[p].inc(sent);
  for (std::uint16_t i = sent; i < n; ++i) drop(txbuf_[p][i], drop::tx_full);
  txlen_[p] = 0;
}

void worker::tx_flush() noexcept {
  for (std::uint16_t p = 0; p < txq_.size() && p < max_ports; ++p) tx_flush_port(p);
}

// Idle back-off: spin with pause for a while, then sleep in growing steps up
// to 1 ms, telling RCU we are offline while asleep so table publication never
// waits on a sleeping worker.
void worker::backoff(unsigned& idle_loops) noexcept {
  if (shared_.idle == idle_policy::poll) return;
  ++idle_loops;
  if (idle_loops < 256) {
    rte_pause();
    return;
  }
  const unsigned us = idle_loops < 1024 ? 10 : idle_loops < 4096 ? 100 : 1000;
  rte_rcu_qsbr_thread_offline(shared_.qsbr, id_);
  rte_delay_us_sleep(us);
  rte_rcu_qsbr_thread_online(shared_.qsbr, id_);
}

int worker::run() noexcept {
  rte_rcu_qsbr_thread_register(shared_.qsbr, id_);
  rte_rcu_qsbr_thread_online(shared_.qsbr, id_);
  std::array<rte_mbuf*, burst_size> pkts{};
  unsigned idle_loops = 0;
  while (!shared_.stop->load(std::memory_order_relaxed)) {
    rte_rcu_qsbr_quiescent(shared_.qsbr, id_);
    const dataplane_table* t = shared_.table->load(std::memory_order_acquire);
    unsigned work = 0;
    for (const auto& a : rx_) {
      const std::uint16_t n = rte_eth_rx_burst(a.port, a.queue, pkts.data(), burst_size);
      if (n == 0) continue;
      counters_.rx_packets[a.port < max_ports ? a.port : 0].inc(n);
      work += n;
      input_burst(pkts.data(), n, a.port, *t);
    }
    const unsigned n = rte_ring_sc_dequeue_burst(inject_, reinterpret_cast<void**>(pkts.data()),
                                                 burst_size, nullptr);
    for (unsigned i = 0; i < n; ++i) tx_enqueue(pkts[i]);
    work += n;
    tx_flush();
    counters_.loops.inc();
    if (work == 0) {
      backoff(idle_loops);
    } else {
      idle_loops = 0;
    }
  }
  rte_rcu_qsbr_thread_offline(shared_.qsbr, id_);
  rte_rcu_qsbr_thread_unregister(shared_.qsbr, id_);
  return 0;
}

int worker_main(void* arg) {
  return static_cast<worker*>(arg)->run();
}

}  // namespace umi::pipeline
