#pragma once
// Time is injected: protocol logic never reads a clock itself. The daemon
// passes a monotonic clock; tests pass manual_clock and advance it.
#include <chrono>
#include <cstdint>

namespace umi {

using duration = std::chrono::nanoseconds;
using time_point = std::chrono::time_point<std::chrono::steady_clock, duration>;

class clock_source {
 public:
  virtual ~clock_source() = default;
  virtual time_point now() const noexcept = 0;
};

class steady_clock_source final : public clock_source {
 public:
  time_point now() const noexcept override {
    return std::chrono::time_point_cast<duration>(std::chrono::steady_clock::now());
  }
};

class manual_clock final : public clock_source {
 public:
  time_point now() const noexcept override { return t_; }
  void advance(duration d) noexcept { t_ += d; }

 private:
  time_point t_{std::chrono::seconds(1000)};
};

}  // namespace umi
