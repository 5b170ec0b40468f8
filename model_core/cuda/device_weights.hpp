#pragma once
// The model's weights on the device in the activation type T, in one allocation, with the
// projections that read the same input fused: qkv = [q_proj; k_proj; v_proj] and
// gate_up = [gate_proj; up_proj] (rows stacked, PyTorch's [out, in] layout kept).
// Filled either from the fp32 host tensors (round-to-nearest-even) or, for benchmarks, with
// synthetic values generated on the device (uniform with std 0.02 as transformers' initializer
// range; norm weights 1).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model_core/config.hpp"
#include "model_core/cuda/device_buffer.hpp"
#include "model_core/weights.hpp"

namespace rb::cuda {

template <typename T>
struct DeviceLayer {
  const T* input_norm = nullptr;  // [hidden]
  const T* qkv = nullptr;         // [(heads + 2 kv_heads) * head_dim, hidden]
  const T* qkv_bias = nullptr;    // [(heads + 2 kv_heads) * head_dim] or nullptr
  const T* o = nullptr;           // [hidden, heads * head_dim]
  const T* post_norm = nullptr;   // [hidden]
  const T* gate_up = nullptr;     // [2 * intermediate, hidden]
  const T* down = nullptr;        // [hidden, intermediate]
};

template <typename T>
struct DeviceWeights {
  DeviceBuffer<T> storage;
  const T* embed = nullptr;       // [vocab, hidden]
  const T* lm_head = nullptr;     // [vocab, hidden]; == embed when tied
  const T* final_norm = nullptr;  // [hidden]
  std::vector<DeviceLayer<T>> layers;
  std::size_t bytes() const { return storage.bytes(); }
};

// Bytes the device weights of this config take (for the memory check before uploading).
std::size_t device_weight_bytes(const ModelConfig& c, std::size_t elem_size);

template <typename T>
DeviceWeights<T> upload_weights(const ModelConfig& c, const ModelWeights& w, cudaStream_t stream);

template <typename T>
DeviceWeights<T> random_weights(const ModelConfig& c, uint64_t seed, cudaStream_t stream);

}  // namespace rb::cuda
