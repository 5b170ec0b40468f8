#pragma once
// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014;
// the constants of Vigna's reference splitmix64.c): a tiny portable PRNG, so passkey prompts are
// the same on every platform and compiler.
#include <cstdint>

namespace rb::data {

// The output function: a bijective 64-bit mix.
constexpr std::uint64_t splitmix64_mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

class SplitMix64 {
 public:
  explicit constexpr SplitMix64(std::uint64_t seed) : state_(seed) {}
  constexpr std::uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    return splitmix64_mix(state_);
  }
  // Uniform in [0, bound) by rejection (no modulo bias); bound >= 1.
  constexpr std::uint64_t below(std::uint64_t bound) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;  // a multiple of bound
    for (;;) {
      const std::uint64_t x = next();
      if (x < limit) return x % bound;
    }
  }

 private:
  std::uint64_t state_;
};

}  // namespace rb::data
