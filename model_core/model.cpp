#include "model_core/model.hpp"

#include "common/error.hpp"
#include "model_core/loaders/gguf.hpp"
#include "model_core/loaders/gguf_dequant.hpp"
#include "model_core/loaders/gguf_model.hpp"
#include "model_core/loaders/prequantized.hpp"
#include "model_core/loaders/quantize_at_load.hpp"
#include "model_core/loaders/safetensors.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "model_core/model_def/model_def.hpp"

namespace rb {

namespace fs = std::filesystem;

namespace {

Model load_hf_directory(const fs::path& dir, const LoadOptions& opts) {
  Model m;
  m.path = dir;
  m.format = "hf-safetensors";
  m.config = load_hf_config(dir / "config.json");
  const std::optional<PrequantizedFormat> prequantized = prequantized_format(m.config);
  if (prequantized && opts.quant.enabled())
    throw InputError((dir / "config.json").string(), "quantization_config",
                     "the checkpoint is already quantized (" + prequantized->label() + "); --quant " + opts.quant.name +
                         " applies to full-precision checkpoints, use --quant none");
  if (prequantized) m.quant = prequantized->label();
  if (opts.load_weights) {
    // Views into the mapped files: each backend converts or uploads a tensor from its stored bytes.
    const FamilyDef& family = family_for(m.config);
    m.weights = map_safetensors_weights(dir, [&](const std::string& name) { return canonical_tensor_name(family, name); });
    check_layer_count(m.config, m.weights);  // before anything walks the layers
    if (prequantized) {
      assemble_prequantized(m.weights, m.config, *prequantized);
    } else if (!m.weights.int32_tensors.empty()) {
      throw InputError(dir.string(), m.weights.int32_tensors.begin()->first,
                       "integer (I32) tensor in a checkpoint whose config.json has no quantization_config");
    }
    split_fused_tensors(m.config, m.weights);  // Phi-3's qkv_proj / gate_up_proj into their parts
    m.weights.validate_against(m.config);
    if (opts.qroar) apply_qroar_scales(m.weights, m.config, *opts.qroar);
    if (!opts.defer_quantization) quantize_projections(m.weights, m.config, opts.quant);
  }
  if (opts.quant.enabled()) m.quant = opts.quant.label();
  if (opts.load_tokenizer) m.tokenizer = load_tokenizer_from_dir(opts.tokenizer_dir.value_or(dir));
  return m;
}

// The layers a GGUF file holds (1 + the largest N of a "blk.N." tensor), checked against
// block_count before any tensor is read.
void check_gguf_block_count(const GgufFile& gguf, const ModelConfig& c) {
  int64_t held = 0;
  for (const GgufTensorInfo& t : gguf.tensors()) {
    if (t.name.rfind("blk.", 0) != 0) continue;
    int64_t i = -1;
    const char* b = t.name.data() + 4;
    const auto [p, ec] = std::from_chars(b, t.name.data() + t.name.size(), i);
    if (ec == std::errc() && p != b) held = std::max(held, i + 1);
  }
  if (c.num_layers != held)
    throw InputError(gguf.path().string(), "block_count",
                     "is " + std::to_string(c.num_layers) + " but the file holds " + std::to_string(held) + " blocks");
}

Model load_gguf(const fs::path& file, const LoadOptions& opts) {
  Model m;
  m.path = file;
  m.format = "gguf";
  GgufFile gguf(file);
  m.config = gguf_model_config(gguf);
  validate_config(m.config);
  check_gguf_block_count(gguf, m.config);
  std::set<std::string> projection_types;  // e.g. {"q4_1", "q8_0"}
  for (const GgufTensorInfo& t : gguf.tensors())
    if (t.name.rfind("blk.", 0) == 0 && t.ne.size() == 2 && t.name.find("norm") == std::string::npos) {
      std::string type = gguf::ggml_type_info(t.ggml_type) ? gguf::ggml_type_info(t.ggml_type)->name : "?";
      std::transform(type.begin(), type.end(), type.begin(), [](unsigned char ch) { return std::tolower(ch); });
      projection_types.insert(type);
    }
  m.quant = "gguf";
  for (const std::string& type : projection_types) m.quant += (m.quant == "gguf" ? "-" : "+") + type;
  if (opts.load_weights) {
    // Re-quantizing (--quant) starts from ggml's dequantized values, so nothing stays packed then.
    m.weights = load_gguf_weights(gguf, m.config, /*keep_q4_packed=*/!opts.quant.enabled());
    split_fused_tensors(m.config, m.weights);  // Phi-3's attn_qkv / ffn_up into their parts
    m.weights.validate_against(m.config);
    if (opts.qroar) apply_qroar_scales(m.weights, m.config, *opts.qroar);
    if (!opts.defer_quantization) quantize_projections(m.weights, m.config, opts.quant);
  }
  if (opts.quant.enabled()) m.quant = opts.quant.label();
  if (opts.load_tokenizer)
    m.tokenizer = opts.tokenizer_dir ? load_tokenizer_from_dir(*opts.tokenizer_dir) : load_tokenizer_from_gguf(gguf);
  return m;
}

}  // namespace

Model load_model(const fs::path& path, const LoadOptions& opts) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw InputError(path.string(), "", "no such file or directory (expected a Hugging Face model directory or a .gguf file)");
  if (fs::is_directory(path, ec)) {
    if (!fs::exists(path / "config.json"))
      throw InputError(path.string(), "config.json", "missing: a Hugging Face model directory needs config.json");
    return load_hf_directory(path, opts);
  }
  return load_gguf(path, opts);
}

}  // namespace rb
