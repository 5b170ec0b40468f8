#include "model_core/cpu/softmax_row.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>

namespace rb::cpu {

namespace {

inline float exp_nonpositive_inline(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: x + kRound - kRound rounds to an integer
  // Below -87 the result is 0: the value computed there is masked off, not branched around (a
  // clamp of x made GCC 12 give up vectorizing the AVX2 and default loops: "control flow in loop").
  const uint32_t keep = x < -87.0f ? 0u : 0xffffffffu;
  const float shifted = x * kLog2e + kRound;
  const float n = shifted - kRound;
  const int32_t exponent = std::bit_cast<int32_t>(shifted) - std::bit_cast<int32_t>(kRound);
  const float r = (x - n * kLn2Hi) - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r * r + r + 1.0f;
  const float two_n = std::bit_cast<float>(static_cast<uint32_t>(exponent + 127) << 23);
  return std::bit_cast<float>(std::bit_cast<uint32_t>(e * two_n) & keep);
}

}  // namespace

float exp_nonpositive(float x) { return exp_nonpositive_inline(x); }

__attribute__((target_clones("avx512f", "avx2", "default"))) float row_max(const float* row, int64_t lo, int64_t hi) {
  float mx = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : mx)
  for (int64_t j = lo; j < hi; ++j) mx = std::max(mx, row[j]);
  return mx;
}

__attribute__((target_clones("avx512f", "avx2", "default"))) float exp_row_shifted(float* row, int64_t lo, int64_t hi,
                                                                                  int64_t n, float mx) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = lo; j < hi; ++j) {
    const float e = exp_nonpositive_inline(row[j] - mx);
    row[j] = e;
    sum += e;
  }
  std::fill(row, row + lo, 0.0f);
  std::fill(row + hi, row + n, 0.0f);
  return sum;
}

float exp_row_unnormalized(float* row, int64_t lo, int64_t hi, int64_t n) {
  return exp_row_shifted(row, lo, hi, n, row_max(row, lo, hi));
}

__attribute__((target_clones("avx512f", "avx2", "default"))) double sum_exp_shifted(const float* row, int64_t n,
                                                                                    float mx) {
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < n; ++j) sum += static_cast<double>(exp_nonpositive_inline(row[j] - mx));
  return sum;
}

}  // namespace rb::cpu
