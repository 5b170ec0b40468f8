// One .safetensors file (format: github.com/huggingface/safetensors, README "Format"):
//   8 bytes   N, unsigned little-endian 64-bit: the header's size in bytes
//   N bytes   UTF-8 JSON object {name: {"dtype", "shape", "data_offsets": [begin, end]}}, with an
//             optional "__metadata__" {string: string} entry; may be padded with spaces
//   rest      the byte buffer; data_offsets are relative to its start
// Every offset and size is checked against the file before any byte is read.
#include "model_core/loaders/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <tuple>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/json_input.hpp"
#include "model_core/loaders/mapped_file.hpp"
#include "model_core/loaders/safetensors_convert.hpp"

namespace rb {
namespace {

using nlohmann::json;

// The safetensors library itself refuses headers over 100 MB (MAX_HEADER_SIZE).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

// Bytes per element of the dtypes the format defines (safetensors' Dtype enum); nullopt for a name
// it does not define, or for the sub-byte types whose size this reader does not check.
std::optional<uint64_t> itemsize(const std::string& dtype) {
  if (dtype == "BOOL" || dtype == "U8" || dtype == "I8" || dtype == "F8_E5M2" || dtype == "F8_E4M3" ||
      dtype == "F8_E8M0")
    return 1;
  if (dtype == "I16" || dtype == "U16" || dtype == "F16" || dtype == "BF16") return 2;
  if (dtype == "I32" || dtype == "U32" || dtype == "F32") return 4;
  if (dtype == "I64" || dtype == "U64" || dtype == "F64" || dtype == "C64") return 8;
  return std::nullopt;
}

std::optional<DType> readable_dtype(const std::string& dtype) {
  if (dtype == "F32") return DType::F32;
  if (dtype == "F16") return DType::F16;
  if (dtype == "BF16") return DType::BF16;
  return std::nullopt;
}

uint64_t as_offset(const json& v, const std::string& file, const std::string& field) {
  if (!v.is_number_unsigned()) throw InputError(file, field, "expected a non-negative integer but found " + v.dump());
  return v.get<uint64_t>();
}

SafetensorsEntry parse_entry(const std::string& name, const json& e, const std::string& file, uint64_t data_size) {
  if (!e.is_object()) throw InputError(file, name, "expected an object but found " + e.dump());
  SafetensorsEntry out;
  if (!e.contains("dtype") || !e["dtype"].is_string()) throw InputError(file, name + ".dtype", "missing or not a string");
  out.dtype = e["dtype"].get<std::string>();

  if (!e.contains("shape") || !e["shape"].is_array()) throw InputError(file, name + ".shape", "missing or not a list");
  uint64_t numel = 1;
  bool overflow = false;
  for (const json& d : e["shape"]) {
    const uint64_t dim = as_offset(d, file, name + ".shape");
    if (dim > static_cast<uint64_t>(INT64_MAX)) throw InputError(file, name + ".shape", "dimension too large");
    out.shape.push_back(static_cast<int64_t>(dim));
    overflow |= __builtin_mul_overflow(numel, dim, &numel);
  }
  if (overflow || numel > static_cast<uint64_t>(INT64_MAX))
    throw InputError(file, name + ".shape", "element count overflows 64 bits");

  if (!e.contains("data_offsets") || !e["data_offsets"].is_array() || e["data_offsets"].size() != 2)
    throw InputError(file, name + ".data_offsets", "missing or not a [begin, end] pair");
  out.begin = as_offset(e["data_offsets"][0], file, name + ".data_offsets");
  out.end = as_offset(e["data_offsets"][1], file, name + ".data_offsets");
  const std::string range = "[" + std::to_string(out.begin) + ", " + std::to_string(out.end) + ")";
  if (out.begin > out.end) throw InputError(file, name + ".data_offsets", range + ": begin is after end");
  if (out.end > data_size)
    throw InputError(file, name + ".data_offsets",
                     range + " reaches past the data section of " + std::to_string(data_size) + " bytes");
  if (const auto size = itemsize(out.dtype)) {
    uint64_t bytes = 0;
    if (__builtin_mul_overflow(numel, *size, &bytes) || bytes != out.end - out.begin)
      throw InputError(file, name,
                       "shape holds " + std::to_string(numel) + " " + out.dtype + " elements but data_offsets " +
                           range + " span " + std::to_string(out.end - out.begin) + " bytes");
  }
  return out;
}

// As the safetensors library's Metadata::validate: taken in order of their offsets, the tensors
// tile the data section exactly, each starting where the previous one ends, the first at 0 and the
// last ending at the end of the file. Anything else (overlapping, a gap, bytes left over) is
// "invalid offset" there and an error here.
void check_tiling(const std::map<std::string, SafetensorsEntry>& entries, const std::string& file, uint64_t data_size) {
  std::vector<std::pair<const std::string*, const SafetensorsEntry*>> order;
  for (const auto& [name, e] : entries) order.emplace_back(&name, &e);
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return std::tie(a.second->begin, a.second->end) < std::tie(b.second->begin, b.second->end);
  });
  uint64_t expected = 0;
  const std::string* previous = nullptr;
  for (const auto& [name, e] : order) {
    if (e->begin != expected) {
      const std::string range = "[" + std::to_string(e->begin) + ", " + std::to_string(e->end) + ")";
      throw InputError(file, *name + ".data_offsets",
                       range + (e->begin < expected ? " overlaps " : " leaves a gap after ") +
                           (previous ? "tensor " + *previous + ", which ends at byte " + std::to_string(expected)
                                     : std::string("the start of the data section")) +
                           "; tensors must be contiguous and in order");
    }
    expected = e->end;
    previous = name;
  }
  if (expected != data_size)
    throw InputError(file, "data_offsets",
                     "the tensors cover " + std::to_string(expected) + " bytes of a data section of " +
                         std::to_string(data_size) + " bytes; they must cover it exactly");
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : path_(path) {
  const std::string file = path.string();
  MappedFile mapped(path);
  const uint64_t size = mapped.size();
  if (size < 8) throw InputError(file, "", "file of " + std::to_string(size) + " bytes is too short for a header");
  uint64_t header_len = 0;
  std::memcpy(&header_len, mapped.data(), 8);  // little-endian u64 (the host is little-endian)
  if (header_len > kMaxHeaderBytes)
    throw InputError(file, "header", "header length " + std::to_string(header_len) + " exceeds the 100 MB limit");
  if (header_len > size - 8)
    throw InputError(file, "header",
                     "header length " + std::to_string(header_len) + " reaches past the end of the file (" +
                         std::to_string(size) + " bytes)");

  const json header =
      parse_json_input(std::string_view(reinterpret_cast<const char*>(mapped.data() + 8), header_len), file, "header");
  if (!header.is_object()) throw InputError(file, "header", "expected a JSON object");

  data_start_ = 8 + header_len;
  const uint64_t data_size = size - data_start_;
  for (const auto& [name, e] : header.items()) {
    if (name == "__metadata__") continue;  // free-form string map; nothing ropebatch needs
    entries_.emplace(name, parse_entry(name, e, file, data_size));
  }
  check_tiling(entries_, file, data_size);
  std::tie(map_, map_size_) = mapped.release();
}

SafetensorsFile::~SafetensorsFile() { MappedFile::unmap(map_, map_size_); }

HostTensor SafetensorsFile::read(const std::string& name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) throw InputError(path_.string(), name, "tensor not in this file");
  const SafetensorsEntry& e = it->second;
  const auto dtype = readable_dtype(e.dtype);
  if (!dtype)
    throw InputError(path_.string(), name, "dtype " + e.dtype + " cannot be read; supported: F32, F16, BF16");

  HostTensor t;
  t.shape = e.shape;
  t.source_dtype = *dtype;
  const auto n = static_cast<size_t>(t.numel());  // equals (end - begin) / itemsize: checked on open
  t.data.resize(n);
  const uint8_t* src = map_ + data_start_ + e.begin;
  switch (*dtype) {
    case DType::F32: convert_f32(src, t.data.data(), n); break;
    case DType::F16: convert_f16(src, t.data.data(), n); break;
    case DType::BF16: convert_bf16(src, t.data.data(), n); break;
    default: break;  // readable_dtype returns only the three above
  }
  return t;
}

quant::Int32Tensor SafetensorsFile::read_int32(const std::string& name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) throw InputError(path_.string(), name, "tensor not in this file");
  const SafetensorsEntry& e = it->second;
  if (e.dtype != "I32") throw InputError(path_.string(), name, "dtype " + e.dtype + ", expected I32");
  quant::Int32Tensor t;
  t.shape = e.shape;
  t.data.resize((e.end - e.begin) / 4);  // equals the shape's element count: checked on open
  std::memcpy(t.data.data(), map_ + data_start_ + e.begin, e.end - e.begin);
  return t;
}

}  // namespace rb
