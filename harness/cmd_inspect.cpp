#include <filesystem>
#include <iostream>
#include <map>

#include "harness/commands.hpp"
#include "harness/model_rope.hpp"
#include "harness/options.hpp"
#include "model_core/loaders/gguf.hpp"
#include "model_core/loaders/safetensors.hpp"
#include "model_core/model.hpp"

namespace rb::cli {

namespace {

namespace fs = std::filesystem;

// ggml_type ids (ggml/include/ggml.h) for the summary; unknown ids print as numbers.
std::string ggml_type_name(uint32_t t) {
  static const std::map<uint32_t, std::string> names = {
      {0, "F32"},   {1, "F16"},   {2, "Q4_0"},  {3, "Q4_1"},  {6, "Q5_0"},  {7, "Q5_1"},
      {8, "Q8_0"},  {9, "Q8_1"},  {10, "Q2_K"}, {11, "Q3_K"}, {12, "Q4_K"}, {13, "Q5_K"},
      {14, "Q6_K"}, {15, "Q8_K"}, {30, "BF16"}};
  auto it = names.find(t);
  return it == names.end() ? "type" + std::to_string(t) : it->second;
}

// Tensor count per storage dtype, read from the file headers only (no weights are loaded).
std::map<std::string, int64_t> dtype_summary(const Model& m) {
  std::map<std::string, int64_t> counts;
  if (m.format == "gguf") {
    GgufFile f(m.path);
    for (const auto& t : f.tensors()) counts[ggml_type_name(t.ggml_type)]++;
    return counts;
  }
  std::vector<fs::path> files;
  if (fs::exists(m.path / "model.safetensors.index.json")) {
    for (const auto& e : fs::directory_iterator(m.path))
      if (e.path().extension() == ".safetensors") files.push_back(e.path());
  } else {
    files.push_back(m.path / "model.safetensors");
  }
  for (const auto& p : files) {
    SafetensorsFile f(p);
    for (const auto& [name, e] : f.entries()) counts[e.dtype]++;
  }
  return counts;
}

int64_t parameter_count(const ModelConfig& c) {
  const int64_t h = c.hidden_size, q = c.num_heads * c.head_dim, kv = c.num_kv_heads * c.head_dim;
  int64_t per_layer = h * q + 2 * h * kv + q * h + 3 * h * c.intermediate_size + 2 * h;
  if (c.attention_bias) per_layer += q + 2 * kv;
  if (c.qk_norm) per_layer += 2 * c.head_dim;
  if (c.sandwich_norms) per_layer += 2 * h;  // Gemma-3's post-attention and post-MLP norms
  int64_t total = c.num_layers * per_layer + c.vocab_size * h + h;
  if (!c.tie_word_embeddings) total += c.vocab_size * h;
  return total;
}

}  // namespace

int cmd_inspect(const Args& args) {
  po::options_description desc("inspect options");
  std::string model_path, format;
  desc.add_options()
      ("model", po::value(&model_path)->required(), "Hugging Face model directory or .gguf file")
      ("format", po::value(&format)->default_value("text"), "text or json");
  po::variables_map vm;
  if (!parse_or_help(args, desc, vm, "usage: ropebatch inspect --model PATH [--format text|json]")) return kExitOk;
  check_format(format);
  Model m = load_model(model_path, LoadOptions{.load_tokenizer = true, .load_weights = false});
  const ModelConfig& c = m.config;
  nlohmann::json layer_types = nlohmann::json::array();  // transformers 5's spelling, per layer
  for (int64_t i = 0; i < c.num_layers && i < 100000; ++i)
    layer_types.push_back(c.layer_type(i));
  const ModelRope rope = model_rope(c, nullptr);
  nlohmann::json by_type = nlohmann::json::array();  // RoPE per layer type (Gemma-3), else empty
  for (const LayerTypeRope& r : c.rope_by_layer_type)
    by_type.push_back({{"layer_type", r.layer_type}, {"rope_theta", r.rope_theta}, {"rope_scaling", r.rope_scaling}});
  nlohmann::json j = {
      {"model", m.path.string()},
      {"format", m.format},
      {"architecture", c.architecture},
      {"model_type", c.model_type},
      {"parameters", parameter_count(c)},
      {"vocab_size", c.vocab_size},
      {"hidden_size", c.hidden_size},
      {"intermediate_size", c.intermediate_size},
      {"num_layers", c.num_layers},
      {"num_heads", c.num_heads},
      {"num_kv_heads", c.num_kv_heads},
      {"head_dim", c.head_dim},
      {"rms_norm_eps", c.rms_norm_eps},
      {"attention_bias", c.attention_bias},
      {"qk_norm", c.qk_norm},
      {"hidden_act", c.hidden_act == Activation::Silu ? "silu" : "gelu_pytorch_tanh"},
      {"embedding_scale", c.embedding_scale},
      {"norm_weight_offset", c.norm_weight_offset},
      {"sandwich_norms", c.sandwich_norms},
      {"attention_scale", c.attention_scale()},
      {"sliding_window", c.sliding_window > 0 ? nlohmann::json(c.sliding_window) : nlohmann::json(nullptr)},
      {"layer_types", layer_types},
      {"tie_word_embeddings", c.tie_word_embeddings},
      {"max_position_embeddings", c.max_position_embeddings},
      {"rope_theta", c.rope_theta},
      {"partial_rotary_factor", c.partial_rotary_factor},
      {"rope_scaling", c.rope_scaling},
      {"rope_by_layer_type", by_type},
      {"rope_method", rope.name()},
      {"rope", rope.config()},
      {"tokenizer", m.tokenizer->kind()},
      {"tokenizer_vocab_size", m.tokenizer->vocab_size()},
      {"bos_token_id", m.tokenizer->bos_id() ? nlohmann::json(*m.tokenizer->bos_id()) : nlohmann::json(nullptr)},
      {"eos_token_id", m.tokenizer->eos_id() ? nlohmann::json(*m.tokenizer->eos_id()) : nlohmann::json(nullptr)},
      {"dtypes", dtype_summary(m)},
      {"quantization", m.quant},
      {"quantization_config", c.quantization_config},
  };
  if (format == "json") {
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& [key, value] : j.items())
    std::cout << key << std::string(key.size() < 24 ? 24 - key.size() : 1, ' ')
              << (value.is_string() ? value.get<std::string>() : value.dump()) << "\n";
  return kExitOk;
}

}  // namespace rb::cli
