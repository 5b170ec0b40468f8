#pragma once
// NCCL_CHECK for tensor-parallel code: a failing NCCL call throws rb::Error with file:line, the
// call and NCCL's error string (kept apart from cuda_check.hpp so only NCCL users include nccl.h).
#include <string>

#include <nccl.h>

#include "common/error.hpp"

#define NCCL_CHECK(call)                                                                             \
  do {                                                                                               \
    ncclResult_t rb_nccl_res_ = (call);                                                              \
    if (rb_nccl_res_ != ncclSuccess)                                                                 \
      throw ::rb::Error(std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": " + #call + ": " + \
                        ncclGetErrorString(rb_nccl_res_));                                           \
  } while (0)
