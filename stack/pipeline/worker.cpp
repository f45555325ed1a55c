#include "stack/pipeline/worker.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>

#include <utility>

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

void worker::input(rte_mbuf* m, const dataplane_table& t) noexcept {
  const std::uint16_t port = m->port;
  if (port >= t.ports.size() || !t.ports[port].present) {
    drop(m, drop::port_down);
    return;
  }
  // Frames we parse must be contiguous; the vdevs we use deliver single-segment
  // mbufs for MTU-sized frames.
  const mut_bytes frame(rte_pktmbuf_mtod(m, std::uint8_t*), rte_pktmbuf_data_len(m));
  const auto v = ip6::classify(t, t.ports[port], frame);
  if (v.is_ip6) {
    counters_.ip6[static_cast<std::size_t>(stats::ip6::total)].inc();
    if (frame.size() > 14 + 6) counters_.ip6_in_hist[frame[14 + 6]].inc();
  } else if (v.is_ip4) {
    counters_.ip[static_cast<std::size_t>(stats::ip::total)].inc();
  }
  using act = ip6::forward_verdict::action;
  switch (v.act) {
    case act::drop:
      drop(m, v.reason);
      return;
    case act::transmit:
      counters_.forwarded.inc();
      if (v.is_ip4) {
        counters_.ip[static_cast<std::size_t>(stats::ip::forward)].inc();
        if (v.nh < counters_.nexthop4_use.size()) counters_.nexthop4_use[v.nh].inc();
      } else {
        counters_.ip6[static_cast<std::size_t>(stats::ip6::forward)].inc();
        if (v.nh < counters_.nexthop_use.size()) counters_.nexthop_use[v.nh].inc();
      }
      m->port = v.out_port;
      tx_enqueue(m);
      return;
    case act::punt:
      break;
  }
  *RTE_MBUF_DYNFIELD(m, shared_.punt_meta_offset, std::uint32_t*) = encode_punt({v.punt, v.nh});
  if (rte_ring_sp_enqueue(punt_, m) != 0) {
    drop(m, drop::punt_ring_full);
    return;
  }
  counters_.punted.inc();
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
      for (std::uint16_t i = 0; i < n; ++i) {
        if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
        input(pkts[i], *t);
      }
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
