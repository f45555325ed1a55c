#pragma once
// A minimal quiescent-state-based reclaimer for the FIB concurrency tests: the
// same contract the daemon implements with DPDK's rte_rcu_qsbr, small enough to
// check by reading. One writer thread (retire, reclaim) and one reader thread
// (quiescent, offline).
//
// Memory retired with token t may be freed once the reader has reported a
// quiescent state after observing epoch >= t. The writer bumps the epoch after
// unlinking the memory (release), the reader reads the epoch (acquire) before
// reporting, so every lookup after that report sees the new table, and every
// lookup before it finished before the report (release) that the writer reads
// (acquire) before freeing.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <utility>

#include "stack/fib/types.hpp"

namespace umi::test {

class qsbr_reclaimer final : public fib::reclaimer {
 public:
  void retire(std::function<void()> free_fn) override {
    const std::uint64_t token = epoch_.fetch_add(1, std::memory_order_acq_rel) + 1;
    pending_.emplace_back(token, std::move(free_fn));
    ++retired_;
  }

  // Writer: frees everything the reader can no longer reach.
  void reclaim() {
    const std::uint64_t seen = reader_seen_.load(std::memory_order_acquire);
    while (!pending_.empty() && pending_.front().first <= seen) {
      pending_.front().second();
      pending_.pop_front();
      ++freed_;
    }
  }

  // Reader: called between lookups, when it holds no pointer into the table.
  void quiescent() noexcept {
    reader_seen_.store(epoch_.load(std::memory_order_acquire), std::memory_order_release);
  }
  // Reader: it will not look anything up again.
  void offline() noexcept {
    reader_seen_.store(std::numeric_limits<std::uint64_t>::max(), std::memory_order_release);
  }

  std::size_t pending() const noexcept { return pending_.size(); }
  std::size_t retired() const noexcept { return retired_; }
  std::size_t freed() const noexcept { return freed_; }

  ~qsbr_reclaimer() override {
    for (auto& [token, free_fn] : pending_) free_fn();
  }

 private:
  std::atomic<std::uint64_t> epoch_{0};
  std::atomic<std::uint64_t> reader_seen_{0};
  std::deque<std::pair<std::uint64_t, std::function<void()>>> pending_;
  std::size_t retired_ = 0;
  std::size_t freed_ = 0;
};

}  // namespace umi::test
