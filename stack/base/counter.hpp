#pragma once
// Per-thread counters read by the control thread. A counter is written by one
// thread only; loads and stores are relaxed atomics so that the reader sees
// torn-free values without any locked instruction on the writer's side.
#include <atomic>
#include <cstdint>

namespace umi {

class counter {
 public:
  void inc(std::uint64_t n = 1) noexcept {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

}  // namespace umi
