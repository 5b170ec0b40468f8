// A Hugging Face checkpoint directory -> ModelWeights. Same lookup order as transformers'
// from_pretrained: a single model.safetensors, else the shards listed in
// model.safetensors.index.json ({"metadata": {...}, "weight_map": {tensor: shard file}}).
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/json_input.hpp"
#include "model_core/loaders/safetensors.hpp"

namespace rb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The decoder's tensors; others (e.g. a stored rotary_emb.inv_freq buffer) are listed as unread
// and judged by the model definition.
bool wanted(const std::string& name) { return name.rfind("model.", 0) == 0 || name == "lm_head.weight"; }

enum class Mode { Convert, Map };

std::string renamed(const TensorRename& rename, const std::string& name) { return rename ? rename(name) : name; }

// The file's tensor `name`, held as `as`.
void read_into(const std::shared_ptr<const SafetensorsFile>& st, const std::string& name, const std::string& as,
               ModelWeights& w, Mode mode) {
  if (st->entries().at(name).dtype == "I32")
    w.int32_tensors[as] = st->read_int32(name);
  else
    w.tensors[as] = mode == Mode::Map ? map_tensor(st, name) : st->read(name);
}

void load_file(const fs::path& file, ModelWeights& w, Mode mode, const TensorRename& rename) {
  const auto st = std::make_shared<const SafetensorsFile>(file);
  for (const auto& [name, entry] : st->entries()) {
    if (const std::string as = renamed(rename, name); wanted(as))
      read_into(st, name, as, w, mode);
    else
      w.unread.push_back(name);
  }
}

json read_index(const fs::path& index) {
  std::ifstream in(index, std::ios::binary);
  if (!in) throw InputError(index.string(), "", "cannot open for reading");
  std::stringstream text;
  text << in.rdbuf();
  return parse_json_input(text.str(), index.string());
}

void load_sharded(const fs::path& dir, const fs::path& index, ModelWeights& w, Mode mode, const TensorRename& rename) {
  const std::string index_name = index.string();
  const json j = read_index(index);
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
    throw InputError(index_name, "weight_map", "missing or not an object");

  std::map<std::string, std::vector<std::string>> by_shard;  // shard file -> tensors in it
  for (const auto& [tensor, shard] : j["weight_map"].items()) {
    if (!shard.is_string()) throw InputError(index_name, "weight_map." + tensor, "expected a file name");
    const fs::path rel = shard.get<std::string>();
    // Shards live next to the index; refuse paths that would leave the directory.
    if (rel.empty() || rel.is_absolute() || *rel.lexically_normal().begin() == "..")
      throw InputError(index_name, "weight_map." + tensor, "'" + rel.string() + "' is not a file in " + dir.string());
    if (wanted(renamed(rename, tensor)))
      by_shard[rel.string()].push_back(tensor);
    else
      w.unread.push_back(tensor);
  }
  for (const auto& [shard, names] : by_shard) {
    const fs::path file = dir / shard;
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
      throw InputError(index_name, "weight_map." + names.front(), "shard " + file.string() + " does not exist");
    const auto st = std::make_shared<const SafetensorsFile>(file);
    for (const std::string& name : names) {
      if (!st->entries().count(name))
        throw InputError(index_name, "weight_map." + name, "tensor is not in its shard " + file.string());
      read_into(st, name, renamed(rename, name), w, mode);
    }
  }
}

ModelWeights load_weights(const fs::path& dir, Mode mode, const TensorRename& rename) {
  ModelWeights w;
  w.source = dir.string();
  std::error_code ec;
  if (fs::is_regular_file(dir, ec)) {  // a single .safetensors file named directly
    load_file(dir, w, mode, rename);
    return w;
  }
  if (!fs::is_directory(dir, ec)) throw InputError(dir.string(), "", "no such directory");
  const fs::path single = dir / "model.safetensors";
  const fs::path index = dir / "model.safetensors.index.json";
  if (fs::exists(single, ec)) {
    load_file(single, w, mode, rename);
  } else if (fs::exists(index, ec)) {
    load_sharded(dir, index, w, mode, rename);
  } else {
    throw InputError(dir.string(), "", "neither model.safetensors nor model.safetensors.index.json is present");
  }
  return w;
}

}  // namespace

HostTensor map_tensor(const std::shared_ptr<const SafetensorsFile>& file, const std::string& name) {
  const auto it = file->entries().find(name);
  if (it == file->entries().end()) throw InputError(file->path().string(), name, "tensor not in this file");
  const SafetensorsEntry& e = it->second;
  HostTensor t;
  t.shape = e.shape;
  auto s = std::make_shared<StoredBytes>();
  if (e.dtype == "F32") s->dtype = DType::F32;
  else if (e.dtype == "F16") s->dtype = DType::F16;
  else if (e.dtype == "BF16") s->dtype = DType::BF16;
  else throw InputError(file->path().string(), name, "dtype " + e.dtype + " cannot be read; supported: F32, F16, BF16");
  t.source_dtype = s->dtype;
  s->bytes = file->data_of(e);
  s->owner = file;
  s->file_backed = true;
  t.stored = std::move(s);
  return t;
}

ModelWeights load_safetensors_weights(const fs::path& dir, const TensorRename& rename) {
  return load_weights(dir, Mode::Convert, rename);
}
ModelWeights map_safetensors_weights(const fs::path& dir, const TensorRename& rename) {
  return load_weights(dir, Mode::Map, rename);
}

}  // namespace rb
