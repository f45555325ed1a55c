#include "stack/pipeline/worker.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>

#include <cstring>
#include <new>
#include <utility>

#include "stack/ip4/input.hpp"
#include "stack/ip6/input.hpp"

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

namespace {
// Routes above which a burst's lookups go through lookup_bulk.
constexpr std::size_t bulk_lookup_min = 4096;

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
}  // namespace

void worker::input_burst(rte_mbuf** pkts, unsigned n, const dataplane_table& t) noexcept {
  using act = ip6::forward_verdict::action;
  std::array<ip6::input_verdict, burst_size> v;
  std::array<fib::nexthop_id, burst_size> nh;
  std::array<const std::uint8_t*, burst_size> key6;
  std::array<std::uint8_t, burst_size> idx6;
  std::array<std::uint32_t, burst_size> key4;
  std::array<std::uint8_t, burst_size> idx4;
  unsigned n6 = 0;
  unsigned n4 = 0;
  // Frames we parse must be contiguous; the vdevs we use deliver single-segment
  // mbufs for MTU-sized frames.
  auto frame_of = [](rte_mbuf* m) {
    return mut_bytes(rte_pktmbuf_mtod(m, std::uint8_t*), rte_pktmbuf_data_len(m));
  };
  for (unsigned i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
    const std::uint16_t port = m->port;
    if (port >= t.ports.size() || !t.ports[port].present) {
      v[i] = ip6::input_verdict{};
      v[i].reason = drop::port_down;
      continue;
    }
    const mut_bytes frame = frame_of(m);
    // Constructed in place (placement new from a prvalue: no temporary): the verdict is returned
    // through memory (see input_verdict::pad_), and copying it after a call stalls on the callee's
    // narrower stores.
    ::new (static_cast<void*>(&v[i]))
        ip6::input_verdict(ip6::classify_head(t, t.ports[port], frame));
    if (v[i].act != act::lookup) continue;
    if (v[i].is_ip4) {
      key4[n4] = ip6::dst4_of(frame);
      idx4[n4++] = static_cast<std::uint8_t>(i);
    } else {
      key6[n6] = ip6::dst6_of(frame);
      idx6[n6++] = static_cast<std::uint8_t>(i);
    }
  }
  // Interleaved lookups hide the cache misses of a large table; a small one
  // stays in cache, and one lookup at a time costs fewer instructions.
  const bool bulk6 = n6 > 1 && t.fib6->size() > bulk_lookup_min;
  const bool bulk4 = n4 > 1 && t.fib4 != nullptr && t.fib4->size() > bulk_lookup_min;
  if (bulk6) {
    std::array<fib::nexthop_id, burst_size> out;
    t.fib6->lookup_bulk(key6.data(), out.data(), n6);
    for (unsigned j = 0; j < n6; ++j) nh[idx6[j]] = out[j];
  } else {
    for (unsigned j = 0; j < n6; ++j) {
      ip6_addr a;
      std::memcpy(a.b.data(), key6[j], 16);
      nh[idx6[j]] = t.fib6->lookup(a);
    }
  }
  if (bulk4) {
    std::array<fib::nexthop_id, burst_size> out;
    t.fib4->lookup_bulk(key4.data(), out.data(), n4);
    for (unsigned j = 0; j < n4; ++j) nh[idx4[j]] = out[j];
  } else {
    for (unsigned j = 0; j < n4; ++j)
      nh[idx4[j]] = t.fib4 != nullptr ? t.fib4->lookup(key4[j]) : fib::no_route;
  }

  std::uint64_t ip6_total = 0;
  std::uint64_t ip_total = 0;
  std::uint64_t fwd6 = 0;
  std::uint64_t fwd4 = 0;
  std::uint64_t punted = 0;
  {
    run_tally hist(counters_.ip6_in_hist);
    run_tally use6(counters_.nexthop_use);
    run_tally use4(counters_.nexthop4_use);
    for (unsigned i = 0; i < n; ++i) {
      rte_mbuf* m = pkts[i];
      ip6::input_verdict& r = v[i];
      const mut_bytes frame = frame_of(m);
      if (r.act == act::lookup)
        ::new (static_cast<void*>(&r))
            ip6::input_verdict(ip6::classify_tail(t, t.ports[m->port], frame, r.is_ip4, nh[i]));
      if (r.is_ip6) {
        ++ip6_total;
        if (frame.size() > 14 + 6) hist.add(frame[14 + 6]);
      } else if (r.is_ip4) {
        ++ip_total;
      }
      switch (r.act) {
        case act::drop:
        case act::lookup:  // not reached: classify_tail always decides
          drop(m, r.reason);
          continue;
        case act::transmit:
          if (r.is_ip4) {
            ++fwd4;
            use4.add(r.nh);
          } else {
            ++fwd6;
            use6.add(r.nh);
          }
          m->port = r.out_port;
          tx_enqueue(m);
          continue;
        case act::punt:
          break;
      }
      *RTE_MBUF_DYNFIELD(m, shared_.punt_meta_offset, std::uint32_t*) = encode_punt({r.punt, r.nh});
      if (rte_ring_sp_enqueue(punt_, m) != 0) {
        drop(m, drop::punt_ring_full);
        continue;
      }
      ++punted;
    }
  }
  if (ip6_total != 0) counters_.ip6[static_cast<std::size_t>(stats::ip6::total)].inc(ip6_total);
  if (ip_total != 0) counters_.ip[static_cast<std::size_t>(stats::ip::total)].inc(ip_total);
  if (fwd6 != 0) counters_.ip6[static_cast<std::size_t>(stats::ip6::forward)].inc(fwd6);
  if (fwd4 != 0) counters_.ip[static_cast<std::size_t>(stats::ip::forward)].inc(fwd4);
  if (fwd6 + fwd4 != 0) counters_.forwarded.inc(fwd6 + fwd4);
  if (punted != 0) counters_.punted.inc(punted);
}

int register_punt_meta() {
  static const rte_mbuf_dynfield desc = {"umigame_punt_meta", sizeof(std::uint32_t),
                                         alignof(std::uint32_t), 0};
  return rte_mbuf_dynfield_register(&desc);
}

void worker::tx_enqueue(rte_mbuf* m) noexcept {
  const std::uint16_t port = m->port;
  if (port >= max_ports || port >= txq_.size()) {
    drop(m, drop::tx_full);
    return;
  }
  txbuf_[port][txlen_[port]++] = m;
  if (txlen_[port] == burst_size) tx_flush();
}

void worker::tx_flush() noexcept {
  for (std::uint16_t p = 0; p < txq_.size() && p < max_ports; ++p) {
    const std::uint16_t n = txlen_[p];
    if (n == 0) continue;
    const std::uint16_t sent = rte_eth_tx_burst(p, txq_[p], txbuf_[p].data(), n);
    counters_.tx_packets[p].inc(sent);
    for (std::uint16_t i = sent; i < n; ++i) drop(txbuf_[p][i], drop::tx_full);
    txlen_[p] = 0;
  }
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
      input_burst(pkts.data(), n, *t);
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
