#pragma once
// A loaded model: configuration, weights and tokenizer, from a Hugging Face directory or a GGUF file.
#include <filesystem>
#include <memory>

#include "model_core/config.hpp"
#include "model_core/tokenizer/tokenizer.hpp"
#include "model_core/weights.hpp"

namespace rb {

struct Model {
  ModelConfig config;
  ModelWeights weights;
  std::unique_ptr<Tokenizer> tokenizer;
  std::filesystem::path path;
  std::string format;  // "hf-safetensors" or "gguf"
};

struct LoadOptions {
  bool load_tokenizer = true;
  bool load_weights = true;  // false: config and tokenizer only (inspect, tokenize)
};

// PATH is a directory with config.json and *.safetensors, or a .gguf file.
Model load_model(const std::filesystem::path& path, const LoadOptions& opts = {});

}  // namespace rb
