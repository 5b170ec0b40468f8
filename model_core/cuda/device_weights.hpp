#pragma once
// The model's weights on the device in the activation type T, in one allocation (and 4-bit
// projections in a second one), with the projections that read the same input fused:
// qkv = [q_proj; k_proj; v_proj] and gate_up = [gate_proj; up_proj] (rows stacked, PyTorch's
// [out, in] layout kept), and their biases stacked the same way.
// Filled either from a ModelDef's tensors — stored bytes go from the mapped file through a
// bounded pinned staging buffer to the device and are converted there (bf16 -> bf16 is a copy),
// fp32 tensors through an fp32 staging buffer, 4-bit ones packed; no host fp32 copy of the model
// is made — or, for benchmarks, with synthetic values generated on the device (uniform with std
// 0.02 as transformers' initializer range; norm weights 1).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model_core/config.hpp"
#include "model_core/cuda/dequant.hpp"
#include "model_core/cuda/device_buffer.hpp"
#include "model_core/model_def/model_def.hpp"

namespace rb::cuda {

// A projection weight [rows, cols] as its GEMM reads it. Full precision: `dense` points at the whole
// (stacked) matrix. When any stacked part is 4-bit, `dense` is null and `parts` (in row order) are
// assembled into a reused T buffer right before the GEMM: 4-bit parts dequantized, full-precision
// parts copied (GGUF files mix, e.g. Q4_K q/k with a Q6_K v).
template <typename T>
struct DeviceMatrix {
  const T* dense = nullptr;
  struct Part {
    int64_t rows = 0;
    const T* dense = nullptr;  // full-precision part, or null when 4-bit
    QuantView quant;           // 4-bit part
  };
  std::vector<Part> parts;
  int64_t rows = 0, cols = 0;
  bool packed() const { return dense == nullptr; }
};

template <typename T>
struct DeviceLayer {
  const T* input_norm = nullptr;  // [hidden]
  DeviceMatrix<T> qkv;            // [(heads + 2 kv_heads) * head_dim, hidden]
  const T* qkv_bias = nullptr;    // [(heads + 2 kv_heads) * head_dim] or nullptr
  const T* q_norm = nullptr;      // [head_dim] or nullptr (Qwen3, Gemma-3)
  const T* k_norm = nullptr;      // [head_dim] or nullptr
  DeviceMatrix<T> o;              // [hidden, heads * head_dim]
  const T* o_bias = nullptr;      // [hidden] or nullptr
  const T* post_attn_norm = nullptr;  // [hidden] or nullptr: the attention output's norm (Gemma-3)
  const T* post_norm = nullptr;   // [hidden]: the MLP input's norm
  const T* post_mlp_norm = nullptr;   // [hidden] or nullptr: the MLP output's norm (Gemma-3)
  DeviceMatrix<T> gate_up;        // [2 * intermediate, hidden]
  const T* gate_up_bias = nullptr;  // [2 * intermediate] or nullptr
  DeviceMatrix<T> down;           // [hidden, intermediate]
  const T* down_bias = nullptr;   // [hidden] or nullptr
};

template <typename T>
struct DeviceWeights {
  DeviceBuffer<T> storage;        // every full-precision tensor
  DeviceBuffer<uint8_t> packed;   // every 4-bit tensor: codes, fp32 parameters, g_idx
  const T* embed = nullptr;       // [vocab, hidden]
  const T* lm_head = nullptr;     // [vocab, hidden]; == embed when tied
  const T* final_norm = nullptr;  // [hidden]
  std::vector<DeviceLayer<T>> layers;
  int64_t max_packed_elems = 0;   // largest 4-bit matrix (qkv, o or gate_up) in elements
  int64_t max_packed_down_elems = 0;  // largest 4-bit down projection (its own buffer: see the MLP loop)
  std::size_t bytes() const { return storage.bytes() + packed.bytes(); }
};

// Synthetic 4-bit projections for benchmarks: random codes, with scales that keep weights at the
// magnitude random_weights gives (std about 0.02).
struct RandomQuant {
  bool nf4 = true;          // NF4 code book, blocks of 64; else int4 symmetric (zero 8)
  int64_t group_size = 64;
};

// Bytes the device weights take: of `def` (4-bit tensors at their packed size) when given, else of
// random weights of this config (4-bit projections when `rq` is given).
std::size_t device_weight_bytes(const ModelConfig& c, std::size_t elem_size, const ModelDef* def = nullptr,
                                const RandomQuant* rq = nullptr);

// Host bytes the upload reads per tensor part (the pinned staging buffers hold 2 x this).
inline constexpr std::size_t kUploadChunkBytes = std::size_t{64} << 20;

template <typename T>
DeviceWeights<T> upload_weights(const ModelDef& def, cudaStream_t stream);

template <typename T>
DeviceWeights<T> random_weights(const ModelConfig& c, uint64_t seed, cudaStream_t stream, const RandomQuant* rq = nullptr);

}  // namespace rb::cuda
