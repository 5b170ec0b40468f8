#pragma once
// A RoPE method maps (the model's rotary settings, its parameters, the sequence length where it
// matters) to the numbers the model applies. The model asks for a RopeSchedule per window length
// and never branches on method names.
//
// Application (identical to transformers' LlamaRotaryEmbedding + apply_rotary_pos_emb):
//   freq[t][i] = float(inv_freq[i]) * float(positions[t])      (fp32 product)
//   cos[t][i] = cos(freq[t][i]) * attention_scaling, sin likewise (fp32)
//   rotate-half pairs (i, i + rotary_dim/2) of q and k;
//   q additionally multiplied by query_scale[t] when present (Qwen-1 LogN),
//   q rows of band i by q_band_scale[i], k by k_band_scale[i] when present.
// rotary_dim = 2 * inv_freq.size(); dims beyond it pass through unrotated.
// Methods, formulas, parameters and numerics: docs/ROPE_METHODS.md.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace rb::rope {

// What a method needs to know about the model.
struct RopeModelInfo {
  int64_t head_dim = 0;                    // attention head dim
  double partial_rotary_factor = 1.0;      // rotary_dim = head_dim * partial_rotary_factor
  double rope_theta = 10000.0;             // the model's base
  int64_t max_position_embeddings = 2048;  // the model config's value
};

struct RopeSchedule {
  std::vector<float> inv_freq;      // rotary_dim/2, stored in fp32 as transformers stores them
  float attention_scaling = 1.0f;   // multiplies cos and sin
  std::vector<float> positions;     // one per token of the window: p' (identity: 0,1,...,L-1)
  std::vector<float> query_scale;   // empty, or one per token
  std::vector<float> q_band_scale;  // empty, or rotary_dim/2
  std::vector<float> k_band_scale;  // empty, or rotary_dim/2
};

// The schedules of one window: one per RoPE of the model, in the order of the model's layer types
// with their own RoPE (Gemma-3: full_attention, sliding_attention); one schedule for a model with
// one RoPE for every layer, which a RopeSchedule converts to.
struct RopeSchedules {
  std::vector<RopeSchedule> by_type;
  RopeSchedules(RopeSchedule s) { by_type.push_back(std::move(s)); }  // NOLINT(google-explicit-constructor)
  explicit RopeSchedules(std::vector<RopeSchedule> v) : by_type(std::move(v)) {}
  // The window's length (every schedule has one position per token).
  int64_t length() const { return by_type.empty() ? 0 : static_cast<int64_t>(by_type.front().positions.size()); }
};

// Whether every schedule of `shorter` is the first shorter.length() positions of `longer`'s, bit
// for bit (frequencies, scalings, band scales, and per-token positions and query scales). Then a
// window of shorter.length() tokens padded at its end and scored under `longer` gets, at its own
// positions, what `shorter` gives them: causal attention lets no position see a later one. A
// method whose schedule depends on the window's length (dynamic NTK past the original length,
// LongRoPE's long factors) fails this for lengths on either side of its switch.
bool is_prefix_of(const RopeSchedules& shorter, const RopeSchedules& longer);

class RopeMethod {
 public:
  virtual ~RopeMethod() = default;
  virtual std::string name() const = 0;            // "default", "yarn", "compress+yarn", ...
  virtual nlohmann::json config() const = 0;       // fully resolved parameters (defaults filled in)
  // Schedule for a window of `seq_len` (>= 1) tokens at positions 0..seq_len-1. Depends on seq_len only
  // (no history; for dynamic/longrope what a fresh transformers rotary embedding gives). Thread-safe.
  virtual RopeSchedule schedule(int64_t seq_len) const = 0;
};

// Builds a method from Hugging Face style JSON ({"rope_type": "yarn", "factor": 4, ...}; the older
// "type" key; transformers 5's rope_parameters with rope_theta inside; null or {} = default).
// Validates everything; throws rb::InputError naming `source`, the parameter and what is allowed.
std::unique_ptr<RopeMethod> make_rope_method(const nlohmann::json& rope, const RopeModelInfo& info,
                                             const std::string& source = "rope");

// Names of all methods, for help text and "did you mean" (the order of docs/ROPE_METHODS.md).
std::vector<std::string> method_names();

}  // namespace rb::rope
