#pragma once
// A model as the decoder loop reads it: the family's tensor table (tensor_table.hpp) resolved
// against a checkpoint's weights, validated before any work, for one shard of a tensor-parallel
// group (rank r of n; 0 of 1 means the whole model). Every backend is constructed from a ModelDef.
#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "model_core/config.hpp"
#include "model_core/model_def/tensor_table.hpp"
#include "model_core/weights.hpp"

namespace rb {

struct Model;

struct ShardSpec {
  int rank = 0;
  int size = 1;
};

// This shard's share of the model's widths.
struct ShardDims {
  int64_t heads = 0;         // query heads held
  int64_t kv_heads = 0;      // KV heads held (1 when KV heads are replicated over more ranks than there are)
  int64_t intermediate = 0;  // MLP features held
  int64_t vocab_begin = 0;   // first vocabulary row of the LM head held
  int64_t vocab = 0;         // LM head rows held
};

// This shard's widths from the configuration alone (what ModelDef uses, and what a sweep checks
// for every model before any work). Throws rb::InputError(source, "--tp", ...) when the split does
// not divide the heads, is neither a divisor nor a multiple of the KV heads, does not divide the
// MLP, or leaves a rank no vocabulary rows.
ShardDims shard_dims(const ModelConfig& c, ShardSpec shard, const std::string& source);

// Checks a checkpoint against its family's table before anything is allocated or converted:
//  - the config's layer count is bounded by the layers the checkpoint holds (a num_hidden_layers
//    of 2^62 is an instant error, not a loop), and every layer it holds is used;
//  - every Required tensor is present, every present one has the shape the config implies and
//    holds that many values, and only projections are 4-bit;
//  - every tensor is read by the model or known to be ignorable: a tensor the config does not use
//    (a fourth layer for a 3-layer config, an mlp bias without mlp_bias) is an error naming the
//    config field and the unused tensors, never a silently different perplexity.
// Throws rb::InputError naming the file, the tensor or field, and the problem.
void validate_model_tensors(const ModelConfig& c, const ModelWeights& w);
// Only the first check above (layers), for loaders that walk layers before validating.
void check_layer_count(const ModelConfig& c, const ModelWeights& w);
// Replaces each of the family's fused tensors (FamilyDef::fused) by its parts, row slices of it
// (views of the file's bytes; 4-bit matrices slice whole rows). A fused tensor of the wrong shape,
// or missing while its parts are too, is an rb::InputError naming it and the expected shape.
// Call after check_layer_count, before validation.
void split_fused_tensors(const ModelConfig& c, ModelWeights& w);

class ModelDef {
 public:
  // Resolves (and for shard.size > 1 slices) every tensor; validates the weights first. Throws
  // rb::InputError for bad weights or a shard split that does not divide the heads, the KV heads,
  // the MLP or a quantization group.
  explicit ModelDef(const Model& model, ShardSpec shard = {});
  ModelDef(const ModelConfig& config, const ModelWeights& weights, ShardSpec shard = {});
  ModelDef(const ModelDef&) = delete;
  ModelDef& operator=(const ModelDef&) = delete;

  const ModelConfig& config() const { return config_; }
  const FamilyDef& family() const { return *family_; }
  const ShardSpec& shard() const { return shard_; }
  const ShardDims& dims() const { return dims_; }
  const std::string& source() const { return source_; }
  int64_t num_layers() const { return static_cast<int64_t>(layers_.size()); }

  // The tensor of a global role (TokenEmbedding, FinalNorm, LmHead; the LM head is the embedding
  // when tied); nullptr only for an absent optional tensor.
  const HostTensor* global(TensorRole role) const { return globals_[static_cast<size_t>(role)]; }
  const HostTensor* layer(int64_t i, TensorRole role) const {
    return layers_.at(static_cast<size_t>(i))[static_cast<size_t>(role)];
  }
  // The checkpoint's name of the tensor, for messages.
  std::string name(int64_t layer, TensorRole role) const;

 private:
  void resolve(const ModelWeights& w);
  const HostTensor* shard_of(const HostTensor* t, const TensorSpec& spec, int64_t layer);

  ModelConfig config_;
  const FamilyDef* family_ = nullptr;
  ShardSpec shard_;
  ShardDims dims_;
  std::string source_;
  std::array<const HostTensor*, kTensorRoles> globals_{};
  std::vector<std::array<const HostTensor*, kTensorRoles>> layers_;
  std::deque<HostTensor> slices_;  // this shard's slices (empty for 0 of 1)
};

}  // namespace rb
