#pragma once
// safetensors reader (format: huggingface/safetensors README): 8-byte little-endian header length,
// JSON header {name: {dtype, shape, data_offsets}}, then the raw bytes. Memory-mapped; every
// offset and shape checked against the file size.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
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
  // The first byte of an entry's data in the mapping (bounds checked when the file was opened).
  const uint8_t* data_of(const SafetensorsEntry& e) const { return map_ + data_start_ + e.begin; }
  // An I32 tensor as stored (GPTQ/AWQ qweight, qzeros, g_idx).
  quant::Int32Tensor read_int32(const std::string& name) const;

 private:
  std::filesystem::path path_;
  std::map<std::string, SafetensorsEntry> entries_;
  const uint8_t* map_ = nullptr;
  size_t map_size_ = 0;
  uint64_t data_start_ = 0;
};

// A tensor of `file` as its stored bytes (F32/F16/BF16): a view into the mapping, which the tensor
// keeps alive; nothing is read until a backend converts or uploads it. Throws InputError for a
// tensor that is absent or of another dtype.
HostTensor map_tensor(const std::shared_ptr<const SafetensorsFile>& file, const std::string& name);

// A checkpoint's tensor name -> the name it is held under (the family's canonical names,
// canonical_tensor_name in model_def/tensor_table.hpp); nullptr keeps every name.
using TensorRename = std::function<std::string(const std::string&)>;

// All weights of a Hugging Face directory: model.safetensors, or the shards listed in
// model.safetensors.index.json; tensors whose (renamed) name is outside model.* and lm_head.weight
// are listed in `unread` under the checkpoint's name.
//   load_safetensors_weights   every tensor converted to fp32 now
//   map_safetensors_weights    every F32/F16/BF16 tensor a view of the mapped file (load_model's way:
//                              weights go from the file to the backend in their stored dtype)
ModelWeights load_safetensors_weights(const std::filesystem::path& dir, const TensorRename& rename = nullptr);
ModelWeights map_safetensors_weights(const std::filesystem::path& dir, const TensorRename& rename = nullptr);

}  // namespace rb
