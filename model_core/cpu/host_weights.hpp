#pragma once
// The weights of a ModelDef as the CPU ops read them: fp32 values, or 4-bit projections kept
// packed. Tensors the checkpoint stores as F16/BF16/F32 bytes are converted to fp32 here, one
// tensor at a time, exactly (the CPU backend computes in fp32).
#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "model_core/model_def/model_def.hpp"

namespace rb::cpu {

class HostWeights {
 public:
  explicit HostWeights(const ModelDef& def);
  HostWeights(const HostWeights&) = delete;
  HostWeights& operator=(const HostWeights&) = delete;

  // nullptr for a tensor the model does not have (an absent bias).
  const HostTensor* global(TensorRole r) const { return globals_[static_cast<size_t>(r)]; }
  const HostTensor* at(int64_t layer, TensorRole r) const {
    return layers_[static_cast<size_t>(layer)][static_cast<size_t>(r)];
  }
  const float* values(int64_t layer, TensorRole r) const;  // fp32 data of a full-precision tensor

 private:
  const HostTensor* prepare(const HostTensor* t);
  std::array<const HostTensor*, kTensorRoles> globals_{};
  std::vector<std::array<const HostTensor*, kTensorRoles>> layers_;
  std::deque<HostTensor> converted_;
  std::map<const HostTensor*, const HostTensor*> by_source_;
};

}  // namespace rb::cpu
