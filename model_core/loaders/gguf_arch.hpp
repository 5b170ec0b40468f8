#pragma once
// One entry per GGUF architecture ropebatch reads (general.architecture): which transformers
// class it is, how llama.cpp names its block tensors, and the hyper-parameters its metadata
// implies beyond the keys every architecture shares. Key and tensor names follow llama.cpp's
// gguf-py (gguf/constants.py: Keys, MODEL_TENSORS; gguf/tensor_mapping.py for the transformers
// names), the values what convert_hf_to_gguf.py writes and llama-model.cpp reads.
#include <optional>
#include <span>
#include <string>

#include "model_core/config.hpp"
#include "model_core/loaders/gguf.hpp"

namespace rb {

struct GgufTensorPart {
  const char* gguf;  // blk.N.<gguf>.weight
  const char* hf;    // model.layers.N.<hf>.weight
};

struct GgufArch {
  const char* gguf_name;  // general.architecture
  const char* hf_class;
  const char* model_type;
  bool permuted_qk;  // convert_hf_to_gguf.py permutes q/k rows (LlamaModel.permute)
  std::span<const GgufTensorPart> parts;  // this architecture's names, looked up before the shared ones
  // The architecture's own hyper-parameters, after the shared keys have filled `c`.
  void (*configure)(const GgufFile& f, const std::string& arch, ModelConfig& c);
};

// The entry of f's general.architecture; an InputError naming that key lists the supported ones.
const GgufArch& gguf_arch(const GgufFile& f);

// GGUF tensor name -> transformers' name; empty for tensors ropebatch does not load as weights
// (rope_freqs, rope_factors_*, which become configuration).
std::string gguf_hf_tensor_name(const GgufArch& arch, const std::string& name);

// The integer under `key`, or nothing when the file has no such key.
std::optional<int64_t> gguf_optional_int(const GgufFile& f, const std::string& key);

// {arch}.rope.scaling.* as transformers' rope_scaling object (linear, yarn), or null.
nlohmann::json gguf_rope_scaling(const GgufFile& f, const std::string& arch, int64_t context_length);

}  // namespace rb
