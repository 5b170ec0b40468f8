#pragma once
// A host tensor in fp32, row-major, with the shape as PyTorch/Hugging Face write it
// (a Linear weight is [out_features, in_features]).
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

namespace rb {

// Storage types a checkpoint may hold; loaders convert everything to fp32 for the CPU backend.
enum class DType { F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K };
const char* dtype_name(DType t);

struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
  DType source_dtype = DType::F32;  // what the file stored, for `inspect`

  int64_t numel() const {
    return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<int64_t>());
  }
  int64_t rows() const { return shape.empty() ? 1 : shape.front(); }
  int64_t cols() const { return shape.size() < 2 ? numel() : numel() / shape.front(); }
};

}  // namespace rb
