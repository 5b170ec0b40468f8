#pragma once
// The GPU suites' global fixture: a suite fails at once, with the reason, where no CUDA device is.
#include <stdexcept>
#include <string>

#include "model_core/cuda/cuda_backend.hpp"

namespace rbtest {

struct RequireDevice {
  RequireDevice() {
    std::string why;
    if (!rb::cuda_device_available(&why)) throw std::runtime_error("the GPU tests need a CUDA device: " + why);
  }
};

}  // namespace rbtest
