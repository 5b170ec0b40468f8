#pragma once
// safetensors reader (format: huggingface/safetensors README): 8-byte little-endian header length,
// JSON header {name: {dtype, shape, data_offsets}}, then the raw bytes. Memory-mapped; every
// offset and shape checked against the file size.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "model_core/tensor.hpp"
#include "model_core/weights.hpp"
#include "quant/checkpoint_formats.hpp"

namespace rb {

struct SafetensorsEntry {
  std::string dtype;           // "F32", "F16", "BF16", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte offsets into the data section
};

class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);  // throws InputError
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  const std::map<std::string, SafetensorsEntry>& entries() const { return entries_; }
  HostTensor read(const std::string& name) const;  // converted to fp32
  // An I32 tensor as stored (GPTQ/AWQ qweight, qzeros, g_idx).
  quant::Int32Tensor read_int32(const std::string& name) const;

 private:
  std::filesystem::path path_;
  std::map<std::string, SafetensorsEntry> entries_;
  const uint8_t* map_ = nullptr;
  size_t map_size_ = 0;
  uint64_t data_start_ = 0;
};

// All weights of a Hugging Face directory: model.safetensors, or the shards listed in
// model.safetensors.index.json.
ModelWeights load_safetensors_weights(const std::filesystem::path& dir);

}  // namespace rb
