#pragma once
// GGUF v2/v3 reader (llama.cpp's format; spec: ggml/docs/gguf.md). The file is memory-mapped;
// every offset, count and shape is bounds-checked before use.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model_core/tensor.hpp"

namespace rb {

struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> ne;   // ggml order: ne[0] is the fastest-varying (row length)
  uint32_t ggml_type = 0;    // GGML_TYPE_* value
  uint64_t offset = 0;       // from the start of the tensor data section
  uint64_t nbytes = 0;
};

class GgufFile {
 public:
  explicit GgufFile(const std::filesystem::path& path);  // throws InputError
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  uint32_t version() const { return version_; }
  // All key/value pairs; arrays become JSON arrays; strings are kept as raw bytes.
  const nlohmann::json& metadata() const { return metadata_; }
  bool has(const std::string& key) const { return metadata_.contains(key); }
  // Typed getters; throw InputError naming the file and key when absent or of the wrong type.
  std::string get_string(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  double get_float(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  std::vector<std::string> get_string_array(const std::string& key) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(const std::string& name) const;
  // Dequantized to fp32 exactly as ggml does; shape reversed to PyTorch order ([ne1, ne0]).
  HostTensor read_tensor(const std::string& name) const;
  // The tensor's bytes as stored (ggml blocks), bounds-checked on open.
  const uint8_t* raw_tensor(const GgufTensorInfo& t) const { return map_ + data_offset_ + t.offset; }

 private:
  std::filesystem::path path_;
  uint32_t version_ = 0;
  nlohmann::json metadata_;
  std::vector<GgufTensorInfo> tensors_;
  const uint8_t* map_ = nullptr;
  size_t map_size_ = 0;
  uint64_t data_offset_ = 0;
};

}  // namespace rb
