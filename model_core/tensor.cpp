// Names of the storage types, spelled as the formats spell them (safetensors "F16", ggml "Q4_K").
#include "model_core/tensor.hpp"

namespace rb {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::Q8_0: return "Q8_0";
    case DType::Q4_0: return "Q4_0";
    case DType::Q4_1: return "Q4_1";
    case DType::Q4_K: return "Q4_K";
    case DType::Q5_K: return "Q5_K";
    case DType::Q6_K: return "Q6_K";
    case DType::I32: return "I32";
  }
  return "unknown";
}

}  // namespace rb
