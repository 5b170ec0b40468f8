#pragma once
// Error checks for every CUDA runtime, cuBLAS and NCCL call: a failure throws rb::Error with the
// file:line of the call, the call itself and the library's own error string.
#include <string>

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "common/error.hpp"

namespace rb::cuda {

[[noreturn]] inline void throw_cuda(cudaError_t e, const char* call, const char* file, int line) {
  throw Error(std::string(file) + ":" + std::to_string(line) + ": " + call + ": " + cudaGetErrorName(e) + ": " +
              cudaGetErrorString(e));
}

[[noreturn]] inline void throw_cublas(cublasStatus_t s, const char* call, const char* file, int line) {
  throw Error(std::string(file) + ":" + std::to_string(line) + ": " + call + ": " + cublasGetStatusName(s) + ": " +
              cublasGetStatusString(s));
}

}  // namespace rb::cuda

#define CUDA_CHECK(call)                                                        \
  do {                                                                          \
    cudaError_t rb_cuda_err_ = (call);                                          \
    if (rb_cuda_err_ != cudaSuccess) ::rb::cuda::throw_cuda(rb_cuda_err_, #call, __FILE__, __LINE__); \
  } while (0)

#define CUBLAS_CHECK(call)                                                      \
  do {                                                                          \
    cublasStatus_t rb_cublas_st_ = (call);                                      \
    if (rb_cublas_st_ != CUBLAS_STATUS_SUCCESS)                                 \
      ::rb::cuda::throw_cublas(rb_cublas_st_, #call, __FILE__, __LINE__);       \
  } while (0)

// A kernel launch: checks the launch itself (bad configuration); execution errors surface at the
// next synchronizing call, which is checked too.
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())
