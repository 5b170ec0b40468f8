#pragma once
// cuBLAS for the backend's projections: every Linear is y = x W^T with row-major x [rows, in],
// W [out, in] (PyTorch's layout) and y [rows, out], T inputs, fp32 accumulation
// (CUBLAS_COMPUTE_32F), T or fp32 output.
#include <cstddef>
#include <cstdint>

#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace rb::cuda {

class Blas {
 public:
  // The handle enqueues on `stream` and uses a workspace of `workspace_bytes` it owns.
  explicit Blas(cudaStream_t stream, std::size_t workspace_bytes = std::size_t{32} << 20);
  ~Blas();
  Blas(const Blas&) = delete;
  Blas& operator=(const Blas&) = delete;

  // y[r * ldy + o] = beta * y + sum_i x[r * ldx + i] * w[o * ldw + i]. X and W of type T
  // (__nv_bfloat16 or __half); Y of type T or float.
  template <typename T, typename Y>
  void linear(const T* x, int64_t ldx, const T* w, int64_t ldw, Y* y, int64_t ldy, int64_t rows, int64_t in,
              int64_t out, float beta = 0.0f) const;

  cublasHandle_t handle() const { return handle_; }

 private:
  cublasHandle_t handle_ = nullptr;
  void* workspace_ = nullptr;
};

}  // namespace rb::cuda
