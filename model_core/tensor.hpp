#pragma once
// A host tensor with the shape as PyTorch/Hugging Face write it (a Linear weight is
// [out_features, in_features]), row-major, held in one of three ways:
//   - fp32 values in `data` (built in memory, GGUF dequantized, quantize-at-load inputs);
//   - `stored`: the bytes as a checkpoint stores them (F32/F16/BF16), usually a view into the
//     memory-mapped file, converted only where a backend needs them (the CPU backend per tensor,
//     the CUDA backend on the device) — no host fp32 copy of the model is ever made for CUDA;
//   - `packed`: a 4-bit projection (quant/quantized_matrix.hpp); backends dequantize it.
#include <cstdint>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "quant/quantized_matrix.hpp"

namespace rb {

// Storage types a checkpoint may hold.
enum class DType { F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K, I32 };
const char* dtype_name(DType t);

// Bytes of a tensor in its stored dtype (F32, F16 or BF16, little-endian, row-major). `owner`
// keeps them alive: the mapped file of a view, or an owned buffer of a slice.
struct StoredBytes {
  std::shared_ptr<const void> owner;
  const uint8_t* bytes = nullptr;
  DType dtype = DType::F32;
  // The bytes are pages of a read-only file mapping (not an owned buffer): a reader done with them
  // may drop them from its resident set (madvise MADV_DONTNEED); they stay in the page cache.
  bool file_backed = false;
  static int64_t element_size(DType t) { return t == DType::F32 ? 4 : 2; }
};

struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
  DType source_dtype = DType::F32;  // what the file stored, for `inspect`
  std::shared_ptr<const quant::QuantizedMatrix> packed;  // set: 4-bit, `data` empty
  std::shared_ptr<const StoredBytes> stored;             // set: unconverted bytes, `data` empty

  bool is_packed() const { return packed != nullptr; }
  bool is_stored() const { return stored != nullptr && !packed; }
  // Values held: numel() for fp32 and stored tensors, the packed matrix's rows * cols for 4-bit ones.
  int64_t stored_values() const {
    if (packed) return packed->rows * packed->cols;
    if (stored) return numel();
    return static_cast<int64_t>(data.size());
  }

  int64_t numel() const {
    return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<int64_t>());
  }
  int64_t rows() const { return shape.empty() ? 1 : shape.front(); }
  int64_t cols() const { return shape.size() < 2 ? numel() : numel() / shape.front(); }
};

// The fp32 values of rows [r0, r0 + n) of a full-precision tensor (fp32 or stored; a vector is
// one row of numel() values) into out[n * cols()], converting stored bytes exactly. Throws
// rb::Error for a 4-bit tensor or a range outside the tensor.
void read_rows_f32(const HostTensor& t, int64_t r0, int64_t n, float* out);
// All values as fp32 (a copy); `data` itself when the tensor already holds fp32 values.
std::vector<float> to_f32(const HostTensor& t);
// Converts a stored tensor to fp32 values in place (data filled, stored released); no-op otherwise.
void materialize_f32(HostTensor& t);

// A slice along `axis` (0: rows, 1: columns of a 2-D tensor), [begin, begin + count), reading only
// the bytes of the slice: a row slice of stored bytes is a view (no copy), a column slice copies
// just those columns in the stored dtype; 4-bit tensors slice group-aligned
// (quant::slice_rows / slice_cols; a split that cuts a group is an rb::InputError naming `where`).
HostTensor slice_tensor(const HostTensor& t, int axis, int64_t begin, int64_t count, const std::string& where);

}  // namespace rb
