#pragma once
// The model hyper-parameters ropebatch needs, read from a Hugging Face config.json or from GGUF
// metadata. Llama, Mistral and Qwen2 share one decoder: RMSNorm, RoPE (rotate-half), GQA
// attention, SwiGLU MLP; Qwen2 adds a bias on q/k/v.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace rb {

struct ModelConfig {
  std::string architecture;       // "LlamaForCausalLM", "Qwen2ForCausalLM", "MistralForCausalLM"
  std::string model_type;         // "llama", "qwen2", "mistral"
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
};

// Parses DIR/config.json; throws InputError naming the file and field on any problem.
ModelConfig load_hf_config(const std::filesystem::path& config_json);
// Same, from an already parsed object (`source` names it in messages).
ModelConfig parse_hf_config(const nlohmann::json& j, const std::string& source);
// Checks internal consistency (divisibility, positivity); throws InputError.
void validate_config(const ModelConfig& c);

}  // namespace rb
