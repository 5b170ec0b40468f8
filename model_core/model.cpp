#include "model_core/model.hpp"

#include "common/error.hpp"
#include "model_core/loaders/gguf.hpp"
#include "model_core/loaders/gguf_dequant.hpp"
#include "model_core/loaders/gguf_model.hpp"
#include "model_core/loaders/prequantized.hpp"
#include "model_core/loaders/quantize_at_load.hpp"
#include "model_core/loaders/safetensors.hpp"

#include <algorithm>
#include <set>

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
    m.weights = load_safetensors_weights(dir);
    if (prequantized) {
      assemble_prequantized(m.weights, m.config, *prequantized);
    } else if (!m.weights.int32_tensors.empty()) {
      throw InputError(dir.string(), m.weights.int32_tensors.begin()->first,
                       "integer (I32) tensor in a checkpoint whose config.json has no quantization_config");
    }
    m.weights.validate_against(m.config);
    quantize_projections(m.weights, m.config, opts.quant);
  }
  if (opts.quant.enabled()) m.quant = opts.quant.label();
  if (opts.load_tokenizer) m.tokenizer = load_tokenizer_from_dir(dir);
  return m;
}

Model load_gguf(const fs::path& file, const LoadOptions& opts) {
  Model m;
  m.path = file;
  m.format = "gguf";
  GgufFile gguf(file);
  m.config = gguf_model_config(gguf);
  validate_config(m.config);
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
    m.weights.validate_against(m.config);
    quantize_projections(m.weights, m.config, opts.quant);
  }
  if (opts.quant.enabled()) m.quant = opts.quant.label();
  if (opts.load_tokenizer) m.tokenizer = load_tokenizer_from_gguf(gguf);
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
