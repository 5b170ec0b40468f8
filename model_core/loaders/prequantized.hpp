#pragma once
// Pre-quantized Hugging Face checkpoints, read as they are published: config.json's
// `quantization_config` names the format, and each quantized projection is stored as integer
// tensors (`<name>.qweight`, `.qzeros`, `.g_idx`) plus fp16 `.scales` instead of `<name>.weight`.
//   GPTQ  quant_method "gptq", bits 4, group_size (-1: one group per row), desc_act,
//         checkpoint_format "gptq" (zeros stored minus one, AutoGPTQ v1) or "gptq_v2"
//   AWQ   quant_method "awq", bits 4, group_size, zero_point true, version "gemm"
// Projections a format leaves unquantized (e.g. `modules_to_not_convert`) keep their `.weight`.
#include <optional>
#include <string>

#include "model_core/config.hpp"
#include "model_core/weights.hpp"

namespace rb {

struct PrequantizedFormat {
  std::string method;        // "gptq" or "awq"
  int64_t group_size = 0;    // 0: one group per row (GPTQ group_size -1)
  bool act_order = false;    // GPTQ desc_act
  bool zeros_minus_one = true;  // GPTQ v1
  std::string label() const;  // "gptq-g128", "gptq-g128-act", "gptq-v2-g64", "awq-g128"
};

// nullopt when the config has no quantization_config; throws InputError naming config.json and
// the field for a method, bit width, version or zero-point setting ropebatch does not read.
std::optional<PrequantizedFormat> prequantized_format(const ModelConfig& c);

// Replaces every projection's integer tensors and scales by one 4-bit `<name>.weight`; throws
// InputError naming the tensor for a missing part or a shape that does not fit.
void assemble_prequantized(ModelWeights& w, const ModelConfig& c, const PrequantizedFormat& f);

}  // namespace rb
