#include "model_core/loaders/gguf_arch.hpp"

#include <cmath>
#include <optional>
#include <regex>

#include "common/error.hpp"

namespace rb {
namespace {

// gguf-py MODEL_TENSORS names -> transformers' (tensor_mapping.py), as most architectures store them.
constexpr GgufTensorPart kSharedParts[] = {
    {"attn_norm", "input_layernorm"},      {"attn_q", "self_attn.q_proj"},  {"attn_k", "self_attn.k_proj"},
    {"attn_v", "self_attn.v_proj"},        {"attn_output", "self_attn.o_proj"},
    {"ffn_norm", "post_attention_layernorm"}, {"ffn_gate", "mlp.gate_proj"}, {"ffn_up", "mlp.up_proj"},
    {"ffn_down", "mlp.down_proj"},         {"attn_q_norm", "self_attn.q_norm"}, {"attn_k_norm", "self_attn.k_norm"},
};
// Phi3MiniModel keeps the fused projections: attn_qkv = [q; k; v], ffn_up = [gate; up]
// (llama.cpp's phi3 graph splits them; so does the phi3 family table on load).
constexpr GgufTensorPart kPhi3Parts[] = {{"attn_qkv", "self_attn.qkv_proj"}, {"ffn_up", "mlp.gate_up_proj"}};
// Gemma-3's four norms per block: ffn_norm is the MLP's input norm (pre_feedforward_layernorm),
// post_attention_norm and post_ffw_norm normalize the attention and MLP outputs.
constexpr GgufTensorPart kGemma3Parts[] = {{"ffn_norm", "pre_feedforward_layernorm"},
                                           {"post_attention_norm", "post_attention_layernorm"},
                                           {"post_ffw_norm", "post_feedforward_layernorm"}};

void configure_none(const GgufFile&, const std::string&, ModelConfig&) {}

void configure_qwen2(const GgufFile&, const std::string&, ModelConfig& c) { c.attention_bias = true; }

void configure_qwen3(const GgufFile&, const std::string&, ModelConfig& c) { c.qk_norm = true; }

std::vector<double> factor_values(const GgufFile& f, const char* name) {
  const HostTensor t = f.read_tensor(name);
  return std::vector<double>(t.data.begin(), t.data.end());
}

// Phi3MiniModel.set_gguf_parameters / generate_extra_tensors (convert_hf_to_gguf.py):
//  - attention.sliding_window: Phi3Model's window on every layer; 0 for models without one;
//  - LongRoPE: rope_factors_long / rope_factors_short (rotary dims / 2 each),
//    rope.scaling.original_context_length and rope.scaling.attn_factor, the converter's
//    sqrt(1 + ln(s) / ln(N)), which transformers computes alike.
void configure_phi3(const GgufFile& f, const std::string& a, ModelConfig& c) {
  const std::string file = f.path().string();
  if (auto w = gguf_optional_int(f, a + ".attention.sliding_window")) {
    if (*w < 0) throw InputError(file, a + ".attention.sliding_window", "must be 0 (none) or a positive number of tokens");
    c.sliding_window = *w;
  }
  const bool has_long = f.find_tensor("rope_factors_long.weight") != nullptr;
  const bool has_short = f.find_tensor("rope_factors_short.weight") != nullptr;
  if (!has_long && !has_short) return;
  if (has_long != has_short)
    throw InputError(file, has_long ? "rope_factors_short.weight" : "rope_factors_long.weight",
                     "missing: LongRoPE needs both the long and the short factors");
  const std::string orig_key = a + ".rope.scaling.original_context_length";
  if (!f.has(orig_key)) throw InputError(file, orig_key, "missing: LongRoPE needs the original context length");
  nlohmann::json scaling = {{"rope_type", "longrope"},
                            {"long_factor", factor_values(f, "rope_factors_long.weight")},
                            {"short_factor", factor_values(f, "rope_factors_short.weight")},
                            {"original_max_position_embeddings", f.get_int(orig_key)}};
  if (f.has(a + ".rope.scaling.attn_factor")) scaling["attention_factor"] = f.get_float(a + ".rope.scaling.attn_factor");
  c.rope_scaling = std::move(scaling);
}

// Gemma3Model (convert_hf_to_gguf.py) and LLM_ARCH_GEMMA3 (llama-model.cpp):
//  - every *norm.weight is stored as 1 + w, so the norms apply the stored weight as it is;
//  - embeddings scaled by sqrt(n_embd), GeGLU (tanh GELU), q/k norms, post-block norms;
//  - attention scale 1/sqrt(head_dim), except the 62-layer 27B's 1/sqrt(n_embd / n_head)
//    (its query_pre_attn_scalar 168);
//  - sliding layers: attention.sliding_window_pattern when given (a count n: every n-th layer
//    full; or one bool per layer, true = sliding), else llama.cpp's pattern of 6;
//  - RoPE: the full layers rope.freq_base with the file's scaling (Gemma-3 4B+: linear 8), the
//    sliding layers rope.freq_base_swa, else llama.cpp's fixed 1e4, unscaled.
void configure_gemma3(const GgufFile& f, const std::string& a, ModelConfig& c) {
  const std::string file = f.path().string();
  c.hidden_act = Activation::GeluTanh;
  c.qk_norm = true;
  c.sandwich_norms = true;
  c.embedding_scale = std::sqrt(static_cast<double>(c.hidden_size));
  c.norm_weight_offset = 0.0f;
  c.query_pre_attn_scalar = c.num_layers == 62 ? static_cast<double>(c.hidden_size / c.num_heads)
                                               : static_cast<double>(c.head_dim);
  if (!(c.query_pre_attn_scalar > 0))
    throw InputError(file, a + ".attention.key_length", "must be positive (Gemma-3 scales attention by 1/sqrt(head_dim))");
  if (!f.has(a + ".rope.freq_base")) c.rope_theta = 1e6;  // Gemma3TextConfig's default
  if (c.partial_rotary_factor != 1.0)
    throw InputError(file, a + ".rope.dimension_count", "Gemma-3 rotates the whole head (key_length)");

  if (c.num_layers < 1 || c.num_layers > kMaxLayers)
    throw InputError(file, a + ".block_count", "must be between 1 and " + std::to_string(kMaxLayers) + " but is " +
                                                  std::to_string(c.num_layers));
  const std::string window_key = a + ".attention.sliding_window";
  c.sliding_window = f.get_int(window_key);
  if (c.sliding_window < 1) throw InputError(file, window_key, "must be a positive number of tokens");
  const std::string pattern_key = a + ".attention.sliding_window_pattern";
  c.sliding_layers.assign(static_cast<size_t>(c.num_layers), false);
  if (f.has(pattern_key) && f.metadata().at(pattern_key).is_array()) {
    const nlohmann::json& flags = f.metadata().at(pattern_key);
    if (static_cast<int64_t>(flags.size()) != c.num_layers)
      throw InputError(file, pattern_key, "has " + std::to_string(flags.size()) + " entries for block_count " +
                                              std::to_string(c.num_layers));
    for (size_t i = 0; i < flags.size(); ++i) {
      if (!flags[i].is_boolean()) throw InputError(file, pattern_key + "[" + std::to_string(i) + "]", "expected a bool");
      c.sliding_layers[i] = flags[i].get<bool>();
    }
  } else {
    const int64_t n = f.has(pattern_key) ? f.get_int(pattern_key) : 6;
    if (n < 1) throw InputError(file, pattern_key, "must be at least 1 but is " + std::to_string(n));
    for (int64_t i = 0; i < c.num_layers; ++i) c.sliding_layers[static_cast<size_t>(i)] = (i + 1) % n != 0;
  }
  const double local_theta = f.has(a + ".rope.freq_base_swa") ? f.get_float(a + ".rope.freq_base_swa") : 1e4;
  c.rope_by_layer_type = {{"full_attention", c.rope_theta, c.rope_scaling}, {"sliding_attention", local_theta, nullptr}};
}

constexpr GgufArch kArchs[] = {
    {"llama", "LlamaForCausalLM", "llama", true, {}, configure_none},
    {"qwen2", "Qwen2ForCausalLM", "qwen2", false, {}, configure_qwen2},
    {"qwen3", "Qwen3ForCausalLM", "qwen3", false, {}, configure_qwen3},
    {"phi3", "Phi3ForCausalLM", "phi3", false, kPhi3Parts, configure_phi3},
    {"gemma3", "Gemma3ForCausalLM", "gemma3_text", false, kGemma3Parts, configure_gemma3},
};

}  // namespace

std::optional<int64_t> gguf_optional_int(const GgufFile& f, const std::string& key) {
  return f.has(key) ? std::optional<int64_t>(f.get_int(key)) : std::nullopt;
}

const GgufArch& gguf_arch(const GgufFile& f) {
  const std::string arch = f.get_string("general.architecture");
  std::string names;
  for (const GgufArch& a : kArchs) {
    if (arch == a.gguf_name) return a;
    names += (names.empty() ? "" : ", ") + std::string(a.gguf_name);
  }
  throw InputError(f.path().string(), "general.architecture", "unsupported architecture '" + arch + "'; supported: " + names);
}

std::string gguf_hf_tensor_name(const GgufArch& arch, const std::string& name) {
  if (name == "token_embd.weight") return "model.embed_tokens.weight";
  if (name == "output_norm.weight") return "model.norm.weight";
  if (name == "output.weight") return "lm_head.weight";
  static const std::regex block(R"(blk\.(\d+)\.([a-z_]+)\.(weight|bias))");
  std::smatch m;
  if (!std::regex_match(name, m, block)) return "";
  const auto hf = [&](const char* part) { return "model.layers." + m[1].str() + "." + part + "." + m[3].str(); };
  for (const GgufTensorPart& p : arch.parts)
    if (m[2] == p.gguf) return hf(p.hf);
  for (const GgufTensorPart& p : kSharedParts)
    if (m[2] == p.gguf) return hf(p.hf);
  return "";
}

nlohmann::json gguf_rope_scaling(const GgufFile& f, const std::string& a, int64_t context_length) {
  const std::string file = f.path().string();
  std::string type = f.has(a + ".rope.scaling.type") ? f.get_string(a + ".rope.scaling.type") : "";
  std::optional<double> factor;
  if (f.has(a + ".rope.scaling.factor")) factor = f.get_float(a + ".rope.scaling.factor");
  if (type.empty() && f.has(a + ".rope.scale_linear")) {  // older llama.cpp files
    type = "linear";
    factor = f.get_float(a + ".rope.scale_linear");
  }
  if (type.empty() || type == "none") return nullptr;
  if (type != "linear" && type != "yarn")
    throw InputError(file, a + ".rope.scaling.type", "unsupported RoPE scaling type '" + type + "' (linear, yarn)");
  if (!factor) throw InputError(file, a + ".rope.scaling.factor", "missing for RoPE scaling type '" + type + "'");
  nlohmann::json j = {{"rope_type", type}, {"factor", *factor}};
  if (type == "yarn") {
    // Absent, transformers' standardize_rope_params falls back to max_position_embeddings.
    const auto n = gguf_optional_int(f, a + ".rope.scaling.original_context_length");
    j["original_max_position_embeddings"] = n ? *n : context_length;
    if (f.has(a + ".rope.scaling.yarn_beta_fast")) j["beta_fast"] = f.get_float(a + ".rope.scaling.yarn_beta_fast");
    if (f.has(a + ".rope.scaling.yarn_beta_slow")) j["beta_slow"] = f.get_float(a + ".rope.scaling.yarn_beta_slow");
  }
  return j;
}

}  // namespace rb
