#pragma once
// What both CPU forwards (the fast one and the naive reference) need before computing anything:
// the decoder's weights resolved once, with their shapes checked, and each window and RoPE
// schedule checked against the model.
#include <cstdint>
#include <span>
#include <vector>

#include "model_core/model.hpp"
#include "rope_methods/rope_method.hpp"

namespace rb::cpu {

struct DecoderLayer {
  LayerWeights w;
  // Biases LayerWeights does not carry: transformers' LlamaAttention gives o_proj a bias when
  // attention_bias is set (Qwen2 never does), LlamaMLP gives gate/up/down one when mlp_bias is set.
  const HostTensor* o_bias = nullptr;
  const HostTensor* gate_bias = nullptr;
  const HostTensor* up_bias = nullptr;
  const HostTensor* down_bias = nullptr;
};

struct DecoderWeights {
  const HostTensor* embed = nullptr;       // [vocab, hidden]
  const HostTensor* final_norm = nullptr;  // [hidden]
  const HostTensor* lm_head = nullptr;     // [vocab, hidden] (the embedding when tied)
  std::vector<DecoderLayer> layers;
};

// Resolves every tensor the forward reads and checks its element count against the config;
// throws rb::InputError naming the tensor.
DecoderWeights resolve_decoder_weights(const Model& model);

// The schedule fits the model: 1 <= inv_freq.size() <= head_dim/2 (rotary_dim = 2 * inv_freq.size(),
// dims beyond it pass through unrotated), band scales empty or one per inv_freq entry, query_scale
// empty or one per position, at least one position. Throws rb::Error.
void check_schedule(const ModelConfig& c, const rope::RopeSchedule& s);

// The window has as many tokens as the schedule has positions and every id is in [0, vocab).
// Throws rb::Error for a length mismatch, rb::InputError naming the position and id otherwise.
void check_window(const ModelConfig& c, std::span<const int32_t> tokens, size_t window_index,
                  const rope::RopeSchedule& s);

}  // namespace rb::cpu
