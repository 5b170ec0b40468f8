#pragma once
// A loaded model: configuration, weights and tokenizer, from a Hugging Face directory or a GGUF file.
#include <filesystem>
#include <optional>
#include <memory>

#include "model_core/config.hpp"
#include "model_core/loaders/qroar_at_load.hpp"
#include "model_core/tokenizer/tokenizer.hpp"
#include "model_core/weights.hpp"
#include "quant/quant_options.hpp"

namespace rb {

struct Model {
  ModelConfig config;
  ModelWeights weights;
  std::unique_ptr<Tokenizer> tokenizer;
  std::filesystem::path path;
  std::string format;  // "hf-safetensors" or "gguf"
  // How the projection weights are held: "none" (full precision), a quantize-at-load label
  // ("nf4", "nf4-dq", "int4-g128", "int4-asym-g64"), a pre-quantized checkpoint ("gptq-g128",
  // "awq-g128") or, for GGUF, "gguf-" + the projections' ggml types ("gguf-q4_1+q8_0").
  std::string quant = "none";
};

struct LoadOptions {
  bool load_tokenizer = true;
  bool load_weights = true;  // false: config and tokenizer only (inspect, tokenize)
  // Quantize-at-load of a full-precision checkpoint (or of a GGUF file's dequantized values).
  // Pre-quantized checkpoints (GPTQ, AWQ) refuse it.
  quant::QuantOptions quant;
  // A Hugging Face tokenizer directory to use instead of the model's own (a GGUF file whose
  // architecture's tokenizer ropebatch does not rebuild, e.g. phi3 or gemma3).
  std::optional<std::filesystem::path> tokenizer_dir;
  // Q-ROAR band scales on the rows of W_Q and W_K (loaders/qroar_at_load.hpp), applied to the
  // stored weights before `quant` quantizes them; not owned.
  const QroarScales* qroar = nullptr;
  // Prepare the weights for `quant` (a GGUF file's 4-bit projections expanded to fp32) but leave
  // the quantizing to the caller (Q-ROAR's search quantizes W_Q and W_K once per trial).
  bool defer_quantization = false;
};

// PATH is a directory with config.json and *.safetensors, or a .gguf file.
Model load_model(const std::filesystem::path& path, const LoadOptions& opts = {});

}  // namespace rb
