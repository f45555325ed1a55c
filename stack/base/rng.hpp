#pragma once
// Randomness is injected (DAD nonces, timer jitter). Tests seed it.
#include <cstdint>
#include <random>

namespace umi {

class rng {
 public:
  explicit rng(std::uint64_t seed) : gen_(seed) {}
  std::uint64_t next() { return gen_(); }
  // Uniform in [lo, hi].
  std::uint64_t uniform(std::uint64_t lo, std::uint64_t hi) {
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(gen_);
  }

 private:
  std::mt19937_64 gen_;
};

}  // namespace umi
