#pragma once
// The model hyper-parameters ropebatch needs, read from a Hugging Face config.json or from GGUF
// metadata. Every family shares one decoder (model_core/decoder): RMSNorm, RoPE (rotate-half), GQA
// attention, a gated MLP; the fields below say where a family differs (Qwen2's q/k/v bias,
// Qwen3's q/k norms, sliding windows, Gemma-3's scaled embeddings, (1 + w) norms, sandwich norms,
// GeGLU, attention scale and RoPE per layer type).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>
#include <string>

#include <nlohmann/json.hpp>

namespace rb {

// The gated MLP's activation: act(gate) * up.
enum class Activation {
  Silu,      // LlamaMLP, hidden_act "silu"
  GeluTanh,  // Gemma3MLP, hidden_act "gelu_pytorch_tanh": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
};

// The RoPE of one layer type of a model with RoPE per layer type (Gemma-3: full_attention layers
// with rope_theta 1e6 and the checkpoint's scaling, sliding_attention layers with 1e4).
struct LayerTypeRope {
  std::string layer_type;      // "full_attention", "sliding_attention"
  double rope_theta = 10000.0;
  nlohmann::json rope_scaling;  // as ModelConfig::rope_scaling: null for plain RoPE
};

// The most layers a configuration may declare: a bound on what is allocated per layer before any
// tensor is read (a corrupt num_hidden_layers or block_count of 2^40 is an error, not a hang).
inline constexpr int64_t kMaxLayers = 100000;

struct ModelConfig {
  std::string architecture;       // "LlamaForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM", "MistralForCausalLM"
  std::string model_type;         // "llama", "qwen2", "qwen3", "mistral"
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;           // hidden_size / num_heads unless config.json says otherwise
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  double partial_rotary_factor = 1.0;
  int64_t max_position_embeddings = 2048;
  bool tie_word_embeddings = false;
  bool attention_bias = false;    // bias on q_proj/k_proj/v_proj (Qwen2: always; Llama: attention_bias)
  bool mlp_bias = false;
  bool qk_norm = false;           // Qwen3: per-head RMSNorm of q and k (q_norm, k_norm) before RoPE
  // Sliding-window attention: a sliding layer lets a query at position q see keys q-W < k <= q
  // (transformers' sliding_window_overlay), W = sliding_window; 0: no layer slides. Which layers:
  // those flagged in sliding_layers (from transformers 5's layer_types) when it is given, else
  // layers >= sliding_from_layer (Mistral: all; Qwen2/Qwen3: max_window_layers).
  int64_t sliding_window = 0;
  int64_t sliding_from_layer = 0;
  std::vector<bool> sliding_layers;
  // Gemma-3 (Gemma3TextModel): embeddings times embedding_scale (sqrt(hidden_size),
  // Gemma3TextScaledWordEmbedding); every RMSNorm weight w applied as (norm_weight_offset + w)
  // (Gemma3RMSNorm: 1 + w; 0 for every other family and for GGUF files, whose converter stored
  // 1 + w); sandwich_norms: post_attention_layernorm and post_feedforward_layernorm normalize each
  // block's output before the residual add, pre_feedforward_layernorm is the MLP's input norm;
  // scores scaled by query_pre_attn_scalar^-0.5 instead of head_dim^-0.5 when it is set.
  Activation hidden_act = Activation::Silu;
  double embedding_scale = 1.0;
  float norm_weight_offset = 0.0f;
  bool sandwich_norms = false;
  double query_pre_attn_scalar = 0.0;
  // RoPE per layer type, sorted by type as Gemma3RotaryEmbedding sorts them; empty for a model
  // with one RoPE for every layer (rope_theta and rope_scaling above). When set, rope_theta and
  // rope_scaling are the full_attention entry's (what --rope without a layer type replaces).
  std::vector<LayerTypeRope> rope_by_layer_type;
  // Every layer takes its own schedule (schedule i for layer i): what a probe of one layer's RoPE
  // needs (Q-ROAR's interpolation pressure, harness/qroar_diagnostics.hpp). Never set by a config file.
  bool rope_schedule_per_layer = false;
  std::optional<int64_t> bos_token_id;
  std::optional<int64_t> eos_token_id;
  // The checkpoint's own RoPE settings, normalized to one JSON object in Hugging Face's spelling
  // (`rope_type` key; null when the checkpoint uses plain RoPE). Accepts transformers 4's
  // `rope_scaling` and transformers 5's `rope_parameters` (rope_theta may sit inside the latter).
  nlohmann::json rope_scaling;
  // config.json's `quantization_config` as published (GPTQ, AWQ); null when the checkpoint is not
  // pre-quantized. model_core/loaders/prequantized.hpp reads it.
  nlohmann::json quantization_config;
  std::string source;             // file the config came from, for messages

  int64_t rotary_dim() const { return static_cast<int64_t>(head_dim * partial_rotary_factor); }
  // The softmax scale of the attention scores (Gemma3Attention.scaling, else head_dim**-0.5).
  double attention_scale() const;
  // "sliding_attention" or "full_attention".
  const char* layer_type(int64_t layer) const { return window_of(layer) > 0 ? "sliding_attention" : "full_attention"; }
  // How many RoPE schedules a window needs: one per layer with rope_schedule_per_layer, else one
  // per entry of rope_by_layer_type, else one.
  int64_t rope_schedule_count() const {
    if (rope_schedule_per_layer) return num_layers;
    return rope_by_layer_type.empty() ? 1 : static_cast<int64_t>(rope_by_layer_type.size());
  }
  // The schedule a layer applies: the layer itself with rope_schedule_per_layer, else the index of
  // its type in rope_by_layer_type (0 with one RoPE).
  int64_t rope_index(int64_t layer) const;
  // How many layers slide (without walking num_layers, which a bad config may make huge).
  int64_t sliding_layer_count() const {
    if (sliding_window == 0) return 0;
    if (!sliding_layers.empty()) {
      int64_t n = 0;
      for (bool s : sliding_layers) n += s ? 1 : 0;
      return n;
    }
    return num_layers > sliding_from_layer ? num_layers - sliding_from_layer : 0;
  }
  // The attention window of a layer (0: full causal attention).
  int64_t window_of(int64_t layer) const {
    if (sliding_window == 0) return 0;
    if (!sliding_layers.empty())
      return layer >= 0 && layer < static_cast<int64_t>(sliding_layers.size()) && sliding_layers[static_cast<size_t>(layer)]
                 ? sliding_window : 0;
    return layer >= sliding_from_layer ? sliding_window : 0;
  }
};

// Parses DIR/config.json; throws InputError naming the file and field on any problem.
ModelConfig load_hf_config(const std::filesystem::path& config_json);
// Same, from an already parsed object (`source` names it in messages).
ModelConfig parse_hf_config(const nlohmann::json& j, const std::string& source);
// Checks internal consistency (divisibility, positivity); throws InputError.
void validate_config(const ModelConfig& c);

}  // namespace rb
