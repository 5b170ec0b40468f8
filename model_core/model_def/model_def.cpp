// Validation of a checkpoint against its family's tensor table, and the per-shard resolution of
// the tensors every backend reads.
#include "model_core/model_def/model_def.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "common/error.hpp"
#include "model_core/model.hpp"

namespace rb {
namespace {

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string source_of(const ModelWeights& w, const ModelConfig& c) { return w.source.empty() ? c.source : w.source; }

// Largest width any dimension may have: keeps every product of two of them inside int64.
constexpr int64_t kMaxDim = int64_t{1} << 31;

void check_dims(const ModelConfig& c, const std::string& src) {
  const std::pair<const char*, int64_t> dims[] = {
      {"hidden_size", c.hidden_size},       {"num_attention_heads", c.num_heads}, {"num_key_value_heads", c.num_kv_heads},
      {"head_dim", c.head_dim},             {"intermediate_size", c.intermediate_size},
      {"vocab_size", c.vocab_size},         {"num_hidden_layers", c.num_layers}};
  for (const auto& [field, v] : dims) {
    if (v <= 0 || v >= kMaxDim)
      throw InputError(c.source.empty() ? src : c.source, field,
                       "is " + std::to_string(v) + "; it must be between 1 and " + std::to_string(kMaxDim - 1));
  }
  if (c.num_heads % c.num_kv_heads != 0)
    throw InputError(c.source.empty() ? src : c.source, "num_key_value_heads", "must divide num_attention_heads");
}

// "model.layers.12.mlp..." -> 12; -1 for names outside model.layers.
int64_t layer_index(const std::string& name) {
  static const std::string prefix = "model.layers.";
  if (name.rfind(prefix, 0) != 0) return -1;
  int64_t v = -1;
  const char* b = name.data() + prefix.size();
  const char* e = name.data() + name.size();
  const auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p == b || p == e || *p != '.') return -1;
  return v;
}

bool ignorable(const FamilyDef& f, const std::string& name) {
  for (const std::string& prefix : f.ignorable_prefixes)
    if (name.rfind(prefix, 0) == 0) return true;
  for (const std::string& suffix : f.ignorable_suffixes)
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      return true;
  return false;
}

template <typename Fn>
void for_each_name(const ModelWeights& w, Fn fn) {
  for (const auto& [name, t] : w.tensors) fn(name);
  for (const auto& [name, t] : w.int32_tensors) fn(name);
  for (const std::string& name : w.unread) fn(name);
}

}  // namespace

void check_layer_count(const ModelConfig& c, const ModelWeights& w) {
  const std::string src = source_of(w, c);
  check_dims(c, src);
  int64_t held = 0;  // 1 + the largest layer index any tensor names
  std::string example;
  for_each_name(w, [&](const std::string& name) {
    const int64_t i = layer_index(name);
    if (i + 1 > held) {
      held = i + 1;
      example = name;
    }
  });
  const std::string field = "num_hidden_layers";
  const std::string file = c.source.empty() ? src : c.source;
  if (c.num_layers > held)
    throw InputError(file, field,
                     "is " + std::to_string(c.num_layers) + " but " + src + " holds " +
                         (held == 0 ? std::string("no layers") : "layers 0.." + std::to_string(held - 1)));
  if (c.num_layers < held)
    throw InputError(file, field,
                     "is " + std::to_string(c.num_layers) + " but " + src + " holds " + std::to_string(held) +
                         " layers; tensors such as " + example + " would be unused (a silently different model)");
}

void split_fused_tensors(const ModelConfig& c, ModelWeights& w) {
  const FamilyDef& family = family_for(c);
  if (family.fused.empty()) return;
  const std::string src = source_of(w, c);
  for (const FusedTensor& fused : family.fused) {
    std::vector<const TensorSpec*> parts;
    int64_t rows = 0;
    std::string part_names;
    for (TensorRole role : fused.parts) {
      parts.push_back(find_spec(family, role));
      rows += parts.back()->shape(c).at(0);
      part_names += (part_names.empty() ? "" : ", ") + std::string(role_name(role));
    }
    const std::vector<int64_t> shape = {rows, parts.front()->shape(c).at(1)};
    const TensorSpec whole{parts.front()->role, fused.name, nullptr, nullptr};
    for (int64_t i = 0; i < c.num_layers; ++i) {
      const std::string name = tensor_name(whole, i);
      const auto it = w.tensors.find(name);
      if (it == w.tensors.end()) {
        if (!w.find(tensor_name(*parts.front(), i)))
          throw InputError(src, name, "tensor is missing; expected shape " + shape_str(shape) + " (" + part_names + " stacked)");
        continue;  // the parts are stored apart
      }
      if (it->second.shape != shape)
        throw InputError(src, name, "expected shape " + shape_str(shape) + " (" + part_names + " stacked) but found " +
                                        shape_str(it->second.shape));
      int64_t begin = 0;
      for (const TensorSpec* part : parts) {
        const int64_t n = part->shape(c).at(0);
        w.tensors[tensor_name(*part, i)] = slice_tensor(it->second, 0, begin, n, name);
        begin += n;
      }
      w.tensors.erase(name);
    }
  }
}

void validate_model_tensors(const ModelConfig& c, const ModelWeights& w) {
  const std::string src = source_of(w, c);
  const FamilyDef& family = family_for(c);
  check_layer_count(c, w);
  std::set<std::string> used;
  for (const TensorSpec& spec : family.tensors) {
    const Presence presence = spec.presence(c);
    const int64_t layers = is_global(spec.role) ? 1 : c.num_layers;
    for (int64_t i = 0; i < layers; ++i) {
      const std::string name = tensor_name(spec, i);
      const HostTensor* t = w.find(name);
      const std::vector<int64_t> shape = spec.shape(c);
      if (!t) {
        if (presence == Presence::Required) throw InputError(src, name, "tensor is missing; expected shape " + shape_str(shape));
        continue;
      }
      used.insert(name);
      if (presence == Presence::Ignored) continue;
      if (presence == Presence::Absent)
        throw InputError(src, name,
                         std::string("is in the checkpoint but the ") + family.name + " model of this config does not use it" +
                             (spec.governed_by ? std::string(" (see ") + spec.governed_by + " in " + c.source + ")" : ""));
      if (t->shape != shape)
        throw InputError(src, name, "expected shape " + shape_str(shape) + " but found " + shape_str(t->shape));
      if (t->stored_values() != t->numel())
        throw InputError(src, name, "holds " + std::to_string(t->stored_values()) + " values for shape " + shape_str(t->shape));
      if (t->is_packed() && !spec.may_be_4bit)
        throw InputError(src, name, "is 4-bit; only the attention and MLP projections may be quantized");
    }
  }
  std::vector<std::string> unused;
  for_each_name(w, [&](const std::string& name) {
    if (!used.count(name) && !ignorable(family, name)) unused.push_back(name);
  });
  if (!unused.empty()) {
    std::string list;
    for (size_t i = 0; i < unused.size() && i < 6; ++i) list += (i ? ", " : "") + unused[i];
    if (unused.size() > 6) list += ", ... (" + std::to_string(unused.size()) + " in all)";
    throw InputError(src, unused.front(),
                     std::to_string(unused.size()) + " tensor(s) that the " + family.name +
                         " model definition does not read: " + list +
                         "; a checkpoint of another architecture, or a config.json that does not match it");
  }
}

ModelDef::ModelDef(const Model& model, ShardSpec shard) : ModelDef(model.config, model.weights, shard) {}

ModelDef::ModelDef(const ModelConfig& config, const ModelWeights& weights, ShardSpec shard)
    : config_(config), family_(&family_for(config)), shard_(shard), source_(source_of(weights, config)) {
  validate_model_tensors(config_, weights);
  dims_ = shard_dims(config_, shard, source_);
  resolve(weights);
}

ShardDims shard_dims(const ModelConfig& c, ShardSpec shard, const std::string& source) {
  const auto fail = [&](const std::string& what) { throw InputError(source, "--tp", what); };
  if (shard.size < 1 || shard.rank < 0 || shard.rank >= shard.size)
    fail("rank " + std::to_string(shard.rank) + " of " + std::to_string(shard.size) + " is not a shard");
  ShardDims dims;
  const int64_t n = shard.size;
  if (c.num_heads % n != 0)
    fail(std::to_string(n) + " does not divide num_attention_heads " + std::to_string(c.num_heads));
  dims.heads = c.num_heads / n;
  if (c.num_kv_heads % n == 0) {
    dims.kv_heads = c.num_kv_heads / n;
  } else if (n % c.num_kv_heads == 0) {
    dims.kv_heads = 1;  // each rank holds the one KV head its query heads share (GQA grouping kept)
  } else {
    fail(std::to_string(n) + " neither divides nor is a multiple of num_key_value_heads " + std::to_string(c.num_kv_heads));
  }
  if (c.intermediate_size % n != 0)
    fail(std::to_string(n) + " does not divide intermediate_size " + std::to_string(c.intermediate_size));
  dims.intermediate = c.intermediate_size / n;
  const int64_t vocab_chunk = (c.vocab_size + n - 1) / n;
  dims.vocab_begin = std::min<int64_t>(shard.rank * vocab_chunk, c.vocab_size);
  dims.vocab = std::min<int64_t>(vocab_chunk, c.vocab_size - dims.vocab_begin);
  if (dims.vocab <= 0) fail(std::to_string(n) + " ranks leave rank " + std::to_string(shard.rank) + " no vocabulary rows");
  return dims;
}

void ModelDef::resolve(const ModelWeights& w) {
  layers_.assign(static_cast<size_t>(config_.num_layers), {});
  for (const TensorSpec& spec : family_->tensors) {
    const Presence presence = spec.presence(config_);
    if (presence == Presence::Absent) continue;
    const int64_t layers = is_global(spec.role) ? 1 : config_.num_layers;
    for (int64_t i = 0; i < layers; ++i) {
      const HostTensor* t = nullptr;
      if (spec.role == TensorRole::LmHead && presence == Presence::Ignored)
        t = w.find(tensor_name(*find_spec(*family_, TensorRole::TokenEmbedding), 0));  // tied
      else if (presence != Presence::Ignored)
        t = w.find(tensor_name(spec, i));
      if (t) t = shard_of(t, spec, i);
      if (is_global(spec.role))
        globals_[static_cast<size_t>(spec.role)] = t;
      else
        layers_[static_cast<size_t>(i)][static_cast<size_t>(spec.role)] = t;
    }
  }
}

const HostTensor* ModelDef::shard_of(const HostTensor* t, const TensorSpec& spec, int64_t layer) {
  if (shard_.size == 1 || spec.split == Split::Replicated) return t;
  const ModelConfig& c = config_;
  const int64_t r = shard_.rank, D = c.head_dim;
  int64_t begin = 0, count = 0;
  switch (spec.unit) {
    case SplitUnit::QueryHead:
      begin = r * dims_.heads * D;
      count = dims_.heads * D;
      break;
    case SplitUnit::KvHead:
      if (dims_.kv_heads * shard_.size == c.num_kv_heads) {
        begin = r * dims_.kv_heads * D;
      } else {  // replicated KV heads: the one the rank's first query head reads
        const int64_t group = c.num_heads / c.num_kv_heads;
        begin = (r * dims_.heads / group) * D;
      }
      count = dims_.kv_heads * D;
      break;
    case SplitUnit::Feature:
      begin = r * dims_.intermediate;
      count = dims_.intermediate;
      break;
  }
  if (spec.split == Split::VocabSplit) {
    begin = dims_.vocab_begin;
    count = dims_.vocab;
  }
  const int axis = spec.split == Split::RowSplit ? 1 : 0;
  slices_.push_back(slice_tensor(*t, axis, begin, count, source_ + ": " + tensor_name(spec, layer)));
  return &slices_.back();
}

std::string ModelDef::name(int64_t layer, TensorRole role) const {
  const TensorSpec* s = find_spec(*family_, role);
  return s ? tensor_name(*s, layer) : role_name(role);
}

}  // namespace rb
