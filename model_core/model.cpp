#include "model_core/model.hpp"

#include "common/error.hpp"
#include "model_core/loaders/gguf.hpp"
#include "model_core/loaders/gguf_model.hpp"
#include "model_core/loaders/safetensors.hpp"

namespace rb {

namespace fs = std::filesystem;

namespace {

Model load_hf_directory(const fs::path& dir, const LoadOptions& opts) {
  Model m;
  m.path = dir;
  m.format = "hf-safetensors";
  m.config = load_hf_config(dir / "config.json");
  if (opts.load_weights) {
    m.weights = load_safetensors_weights(dir);
    m.weights.validate_against(m.config);
  }
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
  if (opts.load_weights) {
    m.weights = load_gguf_weights(gguf, m.config);
    m.weights.validate_against(m.config);
  }
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
