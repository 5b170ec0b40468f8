#pragma once
// A host tensor in fp32, row-major, with the shape as PyTorch/Hugging Face write it
// (a Linear weight is [out_features, in_features]). A projection weight may instead be held
// 4-bit (`packed`, quant/quantized_matrix.hpp); then `data` is empty and backends dequantize it.
#include <cstdint>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "quant/quantized_matrix.hpp"

namespace rb {

// Storage types a checkpoint may hold; loaders convert everything to fp32 for the CPU backend.
enum class DType { F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K, I32 };
const char* dtype_name(DType t);

struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
  DType source_dtype = DType::F32;  // what the file stored, for `inspect`
  std::shared_ptr<const quant::QuantizedMatrix> packed;  // set: 4-bit, `data` empty

  bool is_packed() const { return packed != nullptr; }
  // Values held: numel() for fp32 tensors, the packed matrix's rows * cols for 4-bit ones.
  int64_t stored_values() const {
    return packed ? packed->rows * packed->cols : static_cast<int64_t>(data.size());
  }

  int64_t numel() const {
    return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<int64_t>());
  }
  int64_t rows() const { return shape.empty() ? 1 : shape.front(); }
  int64_t cols() const { return shape.size() < 2 ? numel() : numel() / shape.front(); }
};

}  // namespace rb
