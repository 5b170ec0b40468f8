#pragma once
// A GGUF file as a ropebatch model: config from its {arch}.* metadata (gguf_arch.hpp), weights renamed to Hugging
// Face's names and Q/K rows un-permuted (llama.cpp's convert_hf_to_gguf.py permutes them for the
// llama architecture).
#include "model_core/config.hpp"
#include "model_core/loaders/gguf.hpp"
#include "model_core/weights.hpp"

namespace rb {

ModelConfig gguf_model_config(const GgufFile& f);
// keep_q4_packed: Q4_0 / Q4_1 / Q4_K projection weights stay 4-bit (HostTensor::packed, values
// identical to ggml's dequantization); false expands every tensor to fp32.
ModelWeights load_gguf_weights(const GgufFile& f, const ModelConfig& c, bool keep_q4_packed = true);

}  // namespace rb
