// The tensor tables of the supported families, as transformers' modeling files create the
// parameters: LlamaModel/MistralModel (modeling_llama.py, modeling_mistral.py) and Qwen2Model
// (modeling_qwen2.py), Qwen3Model (modeling_qwen3.py), Phi3Model (modeling_phi3.py) and
// Gemma3TextModel (modeling_gemma3.py). A Linear weight is [out_features, in_features].
#include "model_core/model_def/tensor_table.hpp"

#include "common/error.hpp"

namespace rb {
namespace {

using Shape = std::vector<int64_t>;
using R = TensorRole;

int64_t q_width(const ModelConfig& c) { return c.num_heads * c.head_dim; }
int64_t kv_width(const ModelConfig& c) { return c.num_kv_heads * c.head_dim; }

Shape vocab_by_hidden(const ModelConfig& c) { return {c.vocab_size, c.hidden_size}; }
Shape hidden(const ModelConfig& c) { return {c.hidden_size}; }
Shape q_weight(const ModelConfig& c) { return {q_width(c), c.hidden_size}; }
Shape kv_weight(const ModelConfig& c) { return {kv_width(c), c.hidden_size}; }
Shape o_weight(const ModelConfig& c) { return {c.hidden_size, q_width(c)}; }
Shape q_bias(const ModelConfig& c) { return {q_width(c)}; }
Shape kv_bias(const ModelConfig& c) { return {kv_width(c)}; }
Shape ff_weight(const ModelConfig& c) { return {c.intermediate_size, c.hidden_size}; }
Shape down_weight(const ModelConfig& c) { return {c.hidden_size, c.intermediate_size}; }
Shape ff_bias(const ModelConfig& c) { return {c.intermediate_size}; }
Shape head(const ModelConfig& c) { return {c.head_dim}; }

Presence required(const ModelConfig&) { return Presence::Required; }
Presence absent(const ModelConfig&) { return Presence::Absent; }
// tie_word_embeddings: transformers shares the embedding matrix and ignores any lm_head.weight.
Presence untied(const ModelConfig& c) { return c.tie_word_embeddings ? Presence::Ignored : Presence::Required; }
Presence with_attention_bias(const ModelConfig& c) { return c.attention_bias ? Presence::Required : Presence::Absent; }
// LlamaAttention gives o_proj a bias with attention_bias; read when present (checkpoints converted
// from q/k/v-bias-only models omit it, and transformers would initialize it to random values).
Presence o_bias_with_attention_bias(const ModelConfig& c) {
  return c.attention_bias ? Presence::Optional : Presence::Absent;
}
Presence with_mlp_bias(const ModelConfig& c) { return c.mlp_bias ? Presence::Required : Presence::Absent; }
Presence with_qk_norm(const ModelConfig& c) { return c.qk_norm ? Presence::Required : Presence::Absent; }

// The decoder every family shares; a family changes presence rules (and, later, adds roles).
std::vector<TensorSpec> decoder_tensors(Presence (*qkv_bias)(const ModelConfig&), Presence (*o_bias)(const ModelConfig&),
                                        Presence (*mlp_bias)(const ModelConfig&)) {
  const Split col = Split::ColumnSplit, row = Split::RowSplit, rep = Split::Replicated;
  const SplitUnit feat = SplitUnit::Feature, qh = SplitUnit::QueryHead, kvh = SplitUnit::KvHead;
  return {
      {R::TokenEmbedding, "model.embed_tokens.weight", vocab_by_hidden, required, rep},
      {R::FinalNorm, "model.norm.weight", hidden, required, rep},
      {R::LmHead, "lm_head.weight", vocab_by_hidden, untied, Split::VocabSplit, feat, false, "tie_word_embeddings"},
      {R::AttnNorm, "model.layers.{L}.input_layernorm.weight", hidden, required, rep},
      {R::Q, "model.layers.{L}.self_attn.q_proj.weight", q_weight, required, col, qh, true},
      {R::K, "model.layers.{L}.self_attn.k_proj.weight", kv_weight, required, col, kvh, true},
      {R::V, "model.layers.{L}.self_attn.v_proj.weight", kv_weight, required, col, kvh, true},
      {R::O, "model.layers.{L}.self_attn.o_proj.weight", o_weight, required, row, qh, true},
      {R::QBias, "model.layers.{L}.self_attn.q_proj.bias", q_bias, qkv_bias, col, qh, false, "attention_bias"},
      {R::KBias, "model.layers.{L}.self_attn.k_proj.bias", kv_bias, qkv_bias, col, kvh, false, "attention_bias"},
      {R::VBias, "model.layers.{L}.self_attn.v_proj.bias", kv_bias, qkv_bias, col, kvh, false, "attention_bias"},
      // Row-parallel biases are replicated and added once, after the all-reduce.
      {R::OBias, "model.layers.{L}.self_attn.o_proj.bias", hidden, o_bias, rep, feat, false, "attention_bias"},
      {R::MlpNorm, "model.layers.{L}.post_attention_layernorm.weight", hidden, required, rep},
      {R::Gate, "model.layers.{L}.mlp.gate_proj.weight", ff_weight, required, col, feat, true},
      {R::Up, "model.layers.{L}.mlp.up_proj.weight", ff_weight, required, col, feat, true},
      {R::Down, "model.layers.{L}.mlp.down_proj.weight", down_weight, required, row, feat, true},
      {R::GateBias, "model.layers.{L}.mlp.gate_proj.bias", ff_bias, mlp_bias, col, feat, false, "mlp_bias"},
      {R::UpBias, "model.layers.{L}.mlp.up_proj.bias", ff_bias, mlp_bias, col, feat, false, "mlp_bias"},
      {R::DownBias, "model.layers.{L}.mlp.down_proj.bias", hidden, mlp_bias, rep, feat, false, "mlp_bias"},
      // Qwen3's q_norm / k_norm: one [head_dim] weight shared by every head, replicated.
      {R::QNorm, "model.layers.{L}.self_attn.q_norm.weight", head, with_qk_norm, rep},
      {R::KNorm, "model.layers.{L}.self_attn.k_norm.weight", head, with_qk_norm, rep},
  };
}

// Gemma3DecoderLayer: the Llama tensors, with its four norms per layer: input_layernorm (AttnNorm),
// post_attention_layernorm on the attention output (PostAttnNorm), pre_feedforward_layernorm the MLP's
// input (MlpNorm), post_feedforward_layernorm on the MLP output (PostMlpNorm). q/k/v/o biased with
// attention_bias; q_norm and k_norm always.
std::vector<TensorSpec> gemma3_tensors() {
  std::vector<TensorSpec> t = decoder_tensors(with_attention_bias, with_attention_bias, absent);
  for (TensorSpec& s : t)
    if (s.role == R::MlpNorm) s.name = "model.layers.{L}.pre_feedforward_layernorm.weight";
  t.push_back({R::PostAttnNorm, "model.layers.{L}.post_attention_layernorm.weight", hidden, required, Split::Replicated});
  t.push_back({R::PostMlpNorm, "model.layers.{L}.post_feedforward_layernorm.weight", hidden, required, Split::Replicated});
  return t;
}

// Buffers some checkpoints store that no forward reads (older transformers saved the rotary
// inverse frequencies as a persistent buffer).
const std::vector<std::string> kIgnorable = {"rotary_emb.inv_freq"};

std::vector<FamilyDef> make_families() {
  return {
      // Llama and Mistral: biases only when the config asks (attention_bias, mlp_bias).
      {"llama", {"llama", "mistral"}, decoder_tensors(with_attention_bias, o_bias_with_attention_bias, with_mlp_bias),
       kIgnorable},
      // Qwen2Attention: q/k/v always biased, o_proj never; the MLP never.
      {"qwen2", {"qwen2"}, decoder_tensors(required, absent, absent), kIgnorable},
      // Qwen3Attention: q/k/v/o biased with attention_bias; q_norm and k_norm (with_qk_norm).
      {"qwen3", {"qwen3"}, decoder_tensors(with_attention_bias, with_attention_bias, absent), kIgnorable},
      // Phi3Attention / Phi3MLP (modeling_phi3.py): no biases; q/k/v in one qkv_proj (split at
      // heads*head_dim and + kv_heads*head_dim), gate and up in one gate_up_proj (chunk(2): gate first).
      {"phi3", {"phi3"}, decoder_tensors(absent, absent, absent), kIgnorable,
       {{"model.layers.{L}.self_attn.qkv_proj.weight", {R::Q, R::K, R::V}},
        {"model.layers.{L}.mlp.gate_up_proj.weight", {R::Gate, R::Up}}}},
      // Gemma3ForCausalLM, and the text part of Gemma3ForConditionalGeneration: its released
      // checkpoints store language_model.model.* (transformers 4) or model.language_model.*
      // (transformers 5, _checkpoint_conversion_mapping) beside the vision tower.
      {"gemma3", {"gemma3_text"}, gemma3_tensors(), kIgnorable, {},
       {{"language_model.model.", "model."}, {"model.language_model.", "model."}, {"language_model.lm_head.", "lm_head."}},
       {"vision_tower.", "multi_modal_projector.", "model.vision_tower.", "model.multi_modal_projector."}},
  };
}

}  // namespace

const std::vector<FamilyDef>& all_families() {
  static const std::vector<FamilyDef> families = make_families();
  return families;
}

const FamilyDef& family_for(const ModelConfig& c) {
  for (const FamilyDef& f : all_families())
    for (const std::string& t : f.model_types)
      if (t == c.model_type) return f;
  std::string known;
  for (const FamilyDef& f : all_families())
    for (const std::string& t : f.model_types) known += (known.empty() ? "" : ", ") + t;
  throw InputError(c.source, "model_type", "no model definition for '" + c.model_type + "'; known: " + known);
}

const TensorSpec* find_spec(const FamilyDef& f, TensorRole role) {
  for (const TensorSpec& s : f.tensors)
    if (s.role == role) return &s;
  return nullptr;
}

std::string canonical_tensor_name(const FamilyDef& f, const std::string& name) {
  for (const auto& [from, to] : f.renamed_prefixes)
    if (name.rfind(from, 0) == 0) return to + name.substr(from.size());
  return name;
}

std::string tensor_name(const TensorSpec& s, int64_t layer) {
  std::string n = s.name;
  const auto at = n.find("{L}");
  if (at != std::string::npos) n.replace(at, 3, std::to_string(layer));
  return n;
}

const char* role_name(TensorRole r) {
  static constexpr std::array<const char*, kTensorRoles> names = {
      "token_embedding", "final_norm", "lm_head", "attn_norm", "q", "k", "v", "o", "q_bias", "k_bias",
      "v_bias", "o_bias", "mlp_norm", "gate", "up", "down", "gate_bias", "up_bias", "down_bias", "q_norm", "k_norm",
      "post_attn_norm", "post_mlp_norm"};
  const int i = static_cast<int>(r);
  return i >= 0 && i < kTensorRoles ? names[static_cast<size_t>(i)] : "?";
}

}  // namespace rb
