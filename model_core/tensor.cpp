// Names of the storage types, spelled as the formats spell them (safetensors "F16", ggml "Q4_K"),
// and the conversions and slices of HostTensor (tensor.hpp).
#include "model_core/tensor.hpp"

#include <cstring>

#include "common/error.hpp"
#include "model_core/loaders/safetensors_convert.hpp"
#include "quant/quantized_matrix_slice.hpp"

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

namespace {

void convert_stored(const StoredBytes& s, int64_t first, int64_t n, float* out) {
  const uint8_t* src = s.bytes + first * StoredBytes::element_size(s.dtype);
  switch (s.dtype) {
    case DType::F32: convert_f32(src, out, static_cast<size_t>(n)); break;
    case DType::F16: convert_f16(src, out, static_cast<size_t>(n)); break;
    case DType::BF16: convert_bf16(src, out, static_cast<size_t>(n)); break;
    default: throw Error(std::string("stored tensor of dtype ") + dtype_name(s.dtype) + " cannot be converted");
  }
}

}  // namespace

void read_rows_f32(const HostTensor& t, int64_t r0, int64_t n, float* out) {
  if (t.is_packed()) throw Error("read_rows_f32: a 4-bit tensor has no fp32 values");
  const int64_t rows = t.shape.size() < 2 ? 1 : t.rows(), cols = t.shape.size() < 2 ? t.numel() : t.cols();
  if (r0 < 0 || n < 0 || r0 + n > rows)
    throw Error("read_rows_f32: rows [" + std::to_string(r0) + ", " + std::to_string(r0 + n) + ") outside [0, " +
                std::to_string(rows) + ")");
  if (t.is_stored()) return convert_stored(*t.stored, r0 * cols, n * cols, out);
  if (static_cast<int64_t>(t.data.size()) < (r0 + n) * cols) throw Error("read_rows_f32: tensor holds too few values");
  std::memcpy(out, t.data.data() + r0 * cols, static_cast<size_t>(n * cols) * sizeof(float));
}

std::vector<float> to_f32(const HostTensor& t) {
  if (!t.is_stored()) {
    if (t.is_packed()) throw Error("to_f32: a 4-bit tensor has no fp32 values");
    return t.data;
  }
  std::vector<float> out(static_cast<size_t>(t.numel()));
  convert_stored(*t.stored, 0, t.numel(), out.data());
  return out;
}

void materialize_f32(HostTensor& t) {
  if (!t.is_stored()) return;
  t.data = to_f32(t);
  t.stored.reset();
}

HostTensor slice_tensor(const HostTensor& t, int axis, int64_t begin, int64_t count, const std::string& where) {
  if (axis < 0 || axis > 1 || (axis == 1 && t.shape.size() != 2) || t.shape.empty())
    throw InputError(where, "shape", "cannot slice axis " + std::to_string(axis) + " of a " +
                                         std::to_string(t.shape.size()) + "-D tensor");
  const int64_t extent = t.shape[static_cast<size_t>(axis)];
  if (begin < 0 || count <= 0 || begin + count > extent)
    throw InputError(where, "shape", "slice [" + std::to_string(begin) + ", " + std::to_string(begin + count) +
                                         ") of axis " + std::to_string(axis) + " outside [0, " + std::to_string(extent) + ")");
  HostTensor out;
  out.shape = t.shape;
  out.shape[static_cast<size_t>(axis)] = count;
  out.source_dtype = t.source_dtype;
  const int64_t rows = t.shape[0], cols = t.numel() / std::max<int64_t>(rows, 1);
  if (t.is_packed()) {
    out.packed = std::make_shared<const quant::QuantizedMatrix>(
        axis == 0 ? quant::slice_rows(*t.packed, begin, count, where) : quant::slice_cols(*t.packed, begin, count, where));
    return out;
  }
  if (t.is_stored()) {
    const int64_t es = StoredBytes::element_size(t.stored->dtype);
    auto s = std::make_shared<StoredBytes>();
    s->dtype = t.stored->dtype;
    if (axis == 0) {  // a view: rows are contiguous
      s->owner = t.stored->owner;
      s->file_backed = t.stored->file_backed;
      s->bytes = t.stored->bytes + begin * cols * es;
    } else {  // only the slice's bytes are read
      auto buf = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(rows * count * es));
      for (int64_t r = 0; r < rows; ++r)
        std::memcpy(buf->data() + r * count * es, t.stored->bytes + (r * cols + begin) * es, static_cast<size_t>(count * es));
      s->bytes = buf->data();
      s->owner = buf;
    }
    out.stored = std::move(s);
    return out;
  }
  if (axis == 0) {
    out.data.assign(t.data.begin() + begin * cols, t.data.begin() + (begin + count) * cols);
  } else {
    out.data.resize(static_cast<size_t>(rows * count));
    for (int64_t r = 0; r < rows; ++r)
      std::memcpy(out.data.data() + r * count, t.data.data() + r * cols + begin, static_cast<size_t>(count) * sizeof(float));
  }
  return out;
}

}  // namespace rb
