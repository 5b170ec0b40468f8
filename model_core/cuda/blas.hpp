#pragma once
// cuBLAS for the backend's projections: every Linear is y = x W^T with row-major x [rows, in],
// W [out, in] (PyTorch's layout) and y [rows, out], T inputs, fp32 accumulation
// (CUBLAS_COMPUTE_32F), T or fp32 output.
//
// How the GEMM algorithm is chosen (GemmChoice, RB_CUDA_GEMM in cuda_options.hpp):
//   Cublas: cublasGemmEx with CUBLAS_GEMM_DEFAULT, cuBLAS's own choice (what torch's matmul runs);
//   Lt:     cuBLASLt's first heuristic candidate for the shape, its layouts and alignments;
//   Tuned:  the fastest of cuBLASLt's first kTunedCandidates candidates, timed on the first
//           call of each shape (beta = 0 only; other calls take the heuristic's first).
// Every choice is made once per shape and kept for the Blas's lifetime. Different algorithms may
// round differently (summation order within fp32 accumulation), so Tuned's results can differ in
// the last bits between processes; Cublas and Lt are deterministic for a device and library.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace rb::cuda {

enum class GemmChoice { Cublas, Lt, Tuned };

class Blas {
 public:
  static constexpr int kTunedCandidates = 8;

  // The handle enqueues on `stream` and uses a workspace of `workspace_bytes` it owns.
  // log_plans: each shape's plan (describe_plans' line) goes to stderr when it is made.
  explicit Blas(cudaStream_t stream, std::size_t workspace_bytes = std::size_t{32} << 20,
                GemmChoice choice = GemmChoice::Cublas, bool log_plans = false);
  ~Blas();
  Blas(const Blas&) = delete;
  Blas& operator=(const Blas&) = delete;

  // y[r * ldy + o] = beta * y + sum_i x[r * ldx + i] * w[o * ldw + i]. X and W of type T
  // (__nv_bfloat16 or __half); Y of type T or float.
  template <typename T, typename Y>
  void linear(const T* x, int64_t ldx, const T* w, int64_t ldw, Y* y, int64_t ldy, int64_t rows, int64_t in,
              int64_t out, float beta = 0.0f) const;

  cublasHandle_t handle() const { return handle_; }
  GemmChoice choice() const { return choice_; }
  // One line per shape planned so far (m n k, the algorithm's id, tile and stages, and for Tuned the
  // time of the chosen and of the heuristic's first candidate).
  std::string describe_plans() const;

  struct LtPlan;  // cuBLASLt descriptors and the chosen algorithm of one shape (blas.cpp)
  struct LtKey {
    int m, n, k, lda, ldb, ldc;
    int a_type, c_type;
    int align_a, align_b, align_c;  // bytes, powers of two up to 256
    bool beta_zero;
    auto operator<=>(const LtKey&) const = default;
  };

 private:
  void lt_matmul(const void* w, const void* x, void* y, const LtKey& key, float beta) const;
  const LtPlan& lt_plan(const void* w, const void* x, void* y, const LtKey& key) const;

  cublasHandle_t handle_ = nullptr;
  cublasLtHandle_t lt_ = nullptr;
  cudaStream_t stream_ = nullptr;
  void* workspace_ = nullptr;
  std::size_t workspace_bytes_ = 0;
  GemmChoice choice_ = GemmChoice::Cublas;
  bool log_plans_ = false;
  mutable std::map<LtKey, std::unique_ptr<LtPlan>> plans_;
};

std::string to_string(GemmChoice c);

}  // namespace rb::cuda
