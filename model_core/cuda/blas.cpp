// Row-major y = x W^T through column-major cuBLAS: y^T (out x rows) = op_T(W: in x out) * x^T.
#include "model_core/cuda/blas.hpp"

#include <climits>
#include <string>
#include <type_traits>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "model_core/cuda/cuda_check.hpp"

namespace rb::cuda {

namespace {
template <typename T>
constexpr cudaDataType_t data_type() {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return CUDA_R_16BF;
  else if constexpr (std::is_same_v<T, __half>) return CUDA_R_16F;
  else return CUDA_R_32F;
}

int as_int(int64_t v, const char* what) {
  if (v < 0 || v > INT_MAX) throw Error(std::string("cuBLAS: ") + what + " = " + std::to_string(v) + " exceeds int");
  return static_cast<int>(v);
}
}  // namespace

Blas::Blas(cudaStream_t stream, std::size_t workspace_bytes) {
  CUBLAS_CHECK(cublasCreate(&handle_));
  try {
    CUBLAS_CHECK(cublasSetStream(handle_, stream));
    if (workspace_bytes > 0) {
      CUDA_CHECK(cudaMalloc(&workspace_, workspace_bytes));
      CUBLAS_CHECK(cublasSetWorkspace(handle_, workspace_, workspace_bytes));
    }
  } catch (...) {
    if (workspace_) cudaFree(workspace_);
    cublasDestroy(handle_);
    throw;
  }
}

Blas::~Blas() {
  if (handle_) cublasDestroy(handle_);
  if (workspace_) cudaFree(workspace_);
}

template <typename T, typename Y>
void Blas::linear(const T* x, int64_t ldx, const T* w, int64_t ldw, Y* y, int64_t ldy, int64_t rows, int64_t in,
                  int64_t out, float beta) const {
  if (rows <= 0 || out <= 0) return;
  const float alpha = 1.0f;
  CUBLAS_CHECK(cublasGemmEx(handle_, CUBLAS_OP_T, CUBLAS_OP_N, as_int(out, "out_features"), as_int(rows, "rows"),
                            as_int(in, "in_features"), &alpha, w, data_type<T>(), as_int(ldw, "ldw"), x,
                            data_type<T>(), as_int(ldx, "ldx"), &beta, y, data_type<Y>(), as_int(ldy, "ldy"),
                            CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

template void Blas::linear<__nv_bfloat16, __nv_bfloat16>(const __nv_bfloat16*, int64_t, const __nv_bfloat16*, int64_t,
                                                         __nv_bfloat16*, int64_t, int64_t, int64_t, int64_t,
                                                         float) const;
template void Blas::linear<__nv_bfloat16, float>(const __nv_bfloat16*, int64_t, const __nv_bfloat16*, int64_t, float*,
                                                 int64_t, int64_t, int64_t, int64_t, float) const;
template void Blas::linear<__half, __half>(const __half*, int64_t, const __half*, int64_t, __half*, int64_t, int64_t,
                                           int64_t, int64_t, float) const;
template void Blas::linear<__half, float>(const __half*, int64_t, const __half*, int64_t, float*, int64_t, int64_t,
                                          int64_t, int64_t, float) const;

}  // namespace rb::cuda
