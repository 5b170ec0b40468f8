#pragma once
// `--quant nf4|nf4-dq|int4|int4-asym`: quantize a full-precision checkpoint's projections as it
// loads. As bitsandbytes' and GPTQ's common practice (transformers replaces every nn.Linear but
// lm_head), the seven projections of each decoder layer (q, k, v, o, gate, up, down) are quantized;
// embeddings, norms, biases and the LM head stay full precision.
#include <functional>
#include <string>
#include <vector>

#include "model_core/config.hpp"
#include "model_core/weights.hpp"
#include "quant/quant_options.hpp"

namespace rb {

// Names of the projection weights of layer `layer` (the family table's may_be_4bit tensors).
std::vector<std::string> projection_names(const ModelConfig& c, int64_t layer);

// Quantizes every projection of `w` in place (fp32 values or stored bytes released). Throws InputError naming the
// tensor when a projection is already 4-bit or its shape does not fit the group size. With `only`,
// just the projections it accepts (by name).
void quantize_projections(ModelWeights& w, const ModelConfig& c, const quant::QuantOptions& q,
                          const std::function<bool(const std::string&)>& only = {});

}  // namespace rb
