// GGUF reader. Format: ggml/docs/gguf.md; the checks mirror ggml/src/gguf.cpp
// (gguf_init_from_file_impl). Layout (little-endian):
//   "GGUF" | u32 version | u64 n_tensors | u64 n_kv
//   n_kv x      { string key | u32 value_type | value }
//   n_tensors x { string name | u32 n_dims | u64 ne[n_dims] | u32 ggml_type | u64 offset }
//   padding to general.alignment (default 32) | tensor data
// where string = u64 length + bytes, and array = u32 element_type + u64 count + elements.
// Version 1 (u32 counts and lengths) is rejected; v2 and v3 share the layout above.
#include "model_core/loaders/gguf.hpp"

#include <cstring>
#include <limits>
#include <iterator>
#include <set>
#include <string>
#include <tuple>

#include "common/error.hpp"
#include "model_core/loaders/gguf_dequant.hpp"
#include "model_core/loaders/mapped_file.hpp"

namespace rb {
namespace {

// gguf_type (ggml/include/gguf.h)
enum ValueType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
  kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};
constexpr uint32_t kDefaultAlignment = 32;  // GGUF_DEFAULT_ALIGNMENT
constexpr int kMaxArrayDepth = 8;            // nested arrays deeper than this are rejected
constexpr uint32_t kMaxDims = 4;             // GGML_MAX_DIMS

// Smallest encoding of one value of each type, to bound counts by the bytes left.
uint64_t min_value_bytes(uint32_t t) {
  switch (t) {
    case kU8: case kI8: case kBool: return 1;
    case kU16: case kI16: return 2;
    case kU32: case kI32: case kF32: return 4;
    case kU64: case kI64: case kF64: case kString: return 8;  // string: its u64 length
    case kArray: return 4 + 8;
    default: return 0;
  }
}

// A bounds-checked little-endian reader over the mapped file.
class Cursor {
 public:
  Cursor(const uint8_t* data, uint64_t size, const std::string& file) : data_(data), size_(size), file_(file) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  void need(uint64_t n, const std::string& field) const {
    if (n > remaining())
      throw InputError(file_, field, "file truncated: needs " + std::to_string(n) + " bytes at offset " +
                                         std::to_string(pos_) + " but the file has " + std::to_string(size_) +
                                         " bytes");
  }
  template <class T>
  T read(const std::string& field) {
    need(sizeof(T), field);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string read_string(const std::string& field) {
    const uint64_t len = read<uint64_t>(field);
    need(len, field);  // also rejects absurd lengths before allocating
    std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(len));
    pos_ += len;
    return s;
  }
  // `count` items of at least `min_bytes` each must fit in what is left.
  void check_count(uint64_t count, uint64_t min_bytes, const std::string& field, const std::string& what) const {
    if (min_bytes > 0 && count > remaining() / min_bytes)
      throw InputError(file_, field, what + " count " + std::to_string(count) + " cannot fit in the " +
                                         std::to_string(remaining()) + " bytes left in the file (corrupt header?)");
  }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  const std::string& file_;
};

std::string value_type_name(uint32_t t) {
  static const char* names[] = {"uint8", "int8",  "uint16", "int16",  "uint32", "int32", "float32",
                                "bool",  "string", "array", "uint64", "int64",  "float64"};
  return t < std::size(names) ? names[t] : "type " + std::to_string(t);
}

nlohmann::json read_value(Cursor& c, uint32_t type, const std::string& field, const std::string& file, int depth) {
  switch (type) {
    case kU8: return c.read<uint8_t>(field);
    case kI8: return c.read<int8_t>(field);
    case kU16: return c.read<uint16_t>(field);
    case kI16: return c.read<int16_t>(field);
    case kU32: return c.read<uint32_t>(field);
    case kI32: return c.read<int32_t>(field);
    case kU64: return c.read<uint64_t>(field);
    case kI64: return c.read<int64_t>(field);
    case kF32: return static_cast<double>(c.read<float>(field));
    case kF64: return c.read<double>(field);
    case kBool: {
      const uint8_t b = c.read<uint8_t>(field);
      if (b > 1) throw InputError(file, field, "bool value " + std::to_string(b) + " is neither 0 nor 1");
      return b == 1;
    }
    case kString: return c.read_string(field);
    case kArray: {
      if (depth >= kMaxArrayDepth)
        throw InputError(file, field, "arrays nested deeper than " + std::to_string(kMaxArrayDepth) + " levels");
      const uint32_t elem = c.read<uint32_t>(field);
      if (min_value_bytes(elem) == 0)
        throw InputError(file, field, "array of unknown value type " + std::to_string(elem));
      const uint64_t n = c.read<uint64_t>(field);
      c.check_count(n, min_value_bytes(elem), field, "array element");
      nlohmann::json arr = nlohmann::json::array();
      arr.get_ptr<nlohmann::json::array_t*>()->reserve(static_cast<size_t>(n));
      for (uint64_t i = 0; i < n; ++i) arr.push_back(read_value(c, elem, field, file, depth + 1));
      return arr;
    }
    default:
      throw InputError(file, field, "unknown value type " + std::to_string(type));
  }
}

bool mul_overflows(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_mul_overflow(a, b, out); }

}  // namespace

GgufFile::GgufFile(const std::filesystem::path& path) : path_(path) {
  const std::string file = path.string();
  MappedFile mapped(path);  // unmaps by itself if parsing throws
  Cursor c(mapped.data(), mapped.size(), file);

  // ---- header ----
  if (mapped.size() < 4 || std::memcmp(mapped.data(), "GGUF", 4) != 0)
    throw InputError(file, "magic", "not a GGUF file (the first 4 bytes are not \"GGUF\")");
  c.read<uint32_t>("magic");
  version_ = c.read<uint32_t>("version");
  if (version_ == 1)
    throw InputError(file, "version", "GGUF version 1 is not supported (only v2 and v3); re-convert the model "
                                      "with a current llama.cpp");
  if (version_ != 2 && version_ != 3) {
    const bool swapped = (version_ & 0x0000FFFFu) == 0 && __builtin_bswap32(version_) <= 3;
    throw InputError(file, "version", "unsupported GGUF version " + std::to_string(version_) +
                                          (swapped ? " (a big-endian file? only little-endian GGUF is supported)"
                                                   : " (only v2 and v3 are supported)"));
  }
  const uint64_t n_tensors = c.read<uint64_t>("tensor_count");
  const uint64_t n_kv = c.read<uint64_t>("kv_count");
  // Each KV needs at least a key length, a type and one byte; each tensor info at least
  // name length + n_dims + type + offset.
  c.check_count(n_kv, 8 + 4 + 1, "kv_count", "metadata key/value");
  c.check_count(n_tensors, 8 + 4 + 4 + 8, "tensor_count", "tensor");

  // ---- metadata ----
  metadata_ = nlohmann::json::object();
  uint32_t alignment = kDefaultAlignment;
  for (uint64_t i = 0; i < n_kv; ++i) {
    const std::string key = c.read_string("metadata key #" + std::to_string(i));
    const std::string field = "metadata '" + key + "'";
    if (metadata_.contains(key)) throw InputError(file, field, "duplicate key");
    const uint32_t type = c.read<uint32_t>(field);
    if (key == "general.alignment") {
      if (type != kU32)
        throw InputError(file, field, "must be uint32, found " + value_type_name(type));
      alignment = c.read<uint32_t>(field);
      if (alignment == 0 || (alignment & (alignment - 1)) != 0)
        throw InputError(file, field, "alignment " + std::to_string(alignment) + " is not a power of two");
      metadata_[key] = alignment;
      continue;
    }
    metadata_[key] = read_value(c, type, field, file, 0);
  }

  // ---- tensor infos ----
  std::set<std::string> names;
  tensors_.reserve(static_cast<size_t>(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo t;
    t.name = c.read_string("tensor info #" + std::to_string(i));
    const std::string field = "tensor '" + t.name + "'";
    if (!names.insert(t.name).second) throw InputError(file, field, "duplicate tensor name");
    const uint32_t n_dims = c.read<uint32_t>(field);
    if (n_dims > kMaxDims)
      throw InputError(file, field, std::to_string(n_dims) + " dimensions (at most 4 are allowed)");
    uint64_t numel = 1;
    uint64_t nonzero = 1;  // the product of the non-zero dimensions bounds every partial product, in any order
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t ne = c.read<uint64_t>(field);
      if (ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) || mul_overflows(numel, ne, &numel) ||
          (ne != 0 && mul_overflows(nonzero, ne, &nonzero)) ||
          nonzero > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        throw InputError(file, field, "dimension " + std::to_string(d) + " = " + std::to_string(ne) +
                                          " makes the element count overflow");
      t.ne.push_back(static_cast<int64_t>(ne));
    }
    t.ggml_type = c.read<uint32_t>(field);
    t.offset = c.read<uint64_t>(field);
    const gguf::GgmlTypeInfo* info = gguf::ggml_type_info(t.ggml_type);
    if (info == nullptr)
      throw InputError(file, field, "unknown ggml type id " + std::to_string(t.ggml_type));
    const uint64_t row = t.ne.empty() ? 1 : static_cast<uint64_t>(t.ne[0]);
    if (row % static_cast<uint64_t>(info->block_size) != 0)
      throw InputError(file, field, "row length ne[0] = " + std::to_string(row) + " is not a multiple of the " +
                                        info->name + " block size " + std::to_string(info->block_size));
    if (mul_overflows(numel / static_cast<uint64_t>(info->block_size), static_cast<uint64_t>(info->type_size),
                      &t.nbytes))
      throw InputError(file, field, "byte size overflows");
    if (t.offset % alignment != 0)
      throw InputError(file, field, "data offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                                        std::to_string(alignment));
    tensors_.push_back(std::move(t));
  }

  // ---- data section ----
  const uint64_t pos = c.pos();
  data_offset_ = pos + (alignment - pos % alignment) % alignment;  // cannot overflow: pos <= file size
  const uint64_t available = mapped.size() > data_offset_ ? mapped.size() - data_offset_ : 0;
  for (const GgufTensorInfo& t : tensors_) {
    if (t.offset > available || t.nbytes > available - t.offset)
      throw InputError(file, "tensor '" + t.name + "'",
                       "data [" + std::to_string(t.offset) + ", +" + std::to_string(t.nbytes) +
                           ") extends beyond the end of the file (data section holds " + std::to_string(available) +
                           " bytes)");
  }

  std::tie(map_, map_size_) = mapped.release();
}

GgufFile::~GgufFile() { MappedFile::unmap(map_, map_size_); }

namespace {
const nlohmann::json& require(const nlohmann::json& md, const std::string& file, const std::string& key) {
  auto it = md.find(key);
  if (it == md.end()) throw InputError(file, key, "missing metadata key");
  return *it;
}
std::string kind(const nlohmann::json& v) { return v.type_name(); }
}  // namespace

std::string GgufFile::get_string(const std::string& key) const {
  const auto& v = require(metadata_, path_.string(), key);
  if (!v.is_string()) throw InputError(path_.string(), key, "expected a string, found " + kind(v));
  return v.get<std::string>();
}

int64_t GgufFile::get_int(const std::string& key) const {
  const auto& v = require(metadata_, path_.string(), key);
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw InputError(path_.string(), key, "value " + std::to_string(u) + " does not fit in int64");
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  throw InputError(path_.string(), key, "expected an integer, found " + kind(v));
}

double GgufFile::get_float(const std::string& key) const {
  const auto& v = require(metadata_, path_.string(), key);
  if (!v.is_number()) throw InputError(path_.string(), key, "expected a number, found " + kind(v));
  return v.get<double>();
}

bool GgufFile::get_bool(const std::string& key) const {
  const auto& v = require(metadata_, path_.string(), key);
  if (!v.is_boolean()) throw InputError(path_.string(), key, "expected a bool, found " + kind(v));
  return v.get<bool>();
}

std::vector<std::string> GgufFile::get_string_array(const std::string& key) const {
  const auto& v = require(metadata_, path_.string(), key);
  if (!v.is_array()) throw InputError(path_.string(), key, "expected an array of strings, found " + kind(v));
  std::vector<std::string> out;
  out.reserve(v.size());
  for (const auto& e : v) {
    if (!e.is_string())
      throw InputError(path_.string(), key, "expected an array of strings, found an element of type " + kind(e));
    out.push_back(e.get<std::string>());
  }
  return out;
}

const GgufTensorInfo* GgufFile::find_tensor(const std::string& name) const {
  for (const GgufTensorInfo& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

HostTensor GgufFile::read_tensor(const std::string& name) const {
  const GgufTensorInfo* t = find_tensor(name);
  if (t == nullptr) throw InputError(path_.string(), "tensor '" + name + "'", "no such tensor");
  const gguf::GgmlTypeInfo* info = gguf::ggml_type_info(t->ggml_type);  // known: checked on open
  const std::optional<DType> dtype = gguf::ggml_dtype(t->ggml_type);
  if (!dtype)
    throw InputError(path_.string(), "tensor '" + name + "'",
                     std::string("ggml type ") + info->name + " (" + std::to_string(t->ggml_type) +
                         ") is not supported; supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K");
  HostTensor out;
  out.source_dtype = *dtype;
  out.shape.assign(t->ne.rbegin(), t->ne.rend());  // ggml ne[0] is PyTorch's last dimension
  const int64_t n = out.numel();
  out.data.resize(static_cast<size_t>(n));
  // The whole tensor is a run of whole blocks: rows are multiples of the block size (checked on open).
  gguf::dequantize_row(t->ggml_type, map_ + data_offset_ + t->offset, out.data.data(), n);
  return out;
}

}  // namespace rb
