#pragma once
// The softmax of one row of attention scores, the inner loop of the CPU backend's attention.
#include <cstdint>

namespace rb::cpu {

// exp(x) for x <= 0 as Cephes' expf (cephes/single/expf.c: n = round(x log2 e), r = x - n ln 2 in
// two parts, a degree-7 polynomial, times 2^n), written so that the compiler vectorizes it:
// within 2 ulp of std::exp on [-87, 0], and 0 below -87 (where std::exp is below 2^-125).
float exp_nonpositive(float x);

// row[j] = exp(row[j] - max) for j in [lo, hi) and 0 outside [lo, hi) up to n; returns the sum of
// the exps (the caller divides by it). Runs on AVX-512 or AVX2 where the CPU has them.
float exp_row_unnormalized(float* row, int64_t lo, int64_t hi, int64_t n);

// The maximum of row[lo, hi) (-inf when empty).
float row_max(const float* row, int64_t lo, int64_t hi);

// row[j] = exp(row[j] - mx) for j in [lo, hi) (mx >= each of them) and 0 outside [lo, hi) up to n;
// returns their sum. exp_row_unnormalized is this with mx = row_max(row, lo, hi).
float exp_row_shifted(float* row, int64_t lo, int64_t hi, int64_t n, float mx);

// sum_j exp(row[j] - mx) over j in [0, n), each term exp_nonpositive (row[j] <= mx), summed in
// double: the log-softmax denominator of the LM head.
double sum_exp_shifted(const float* row, int64_t n, float mx);

}  // namespace rb::cpu
