#pragma once
// The RoPE a model applies to a window: one method for every layer, or one per layer type for a
// model whose layer types rotate differently (Gemma-3: full_attention and sliding_attention layers,
// Gemma3RotaryEmbedding). Built from the checkpoint's settings and an override (--rope, a grid
// method's rope); what the backends get is one schedule per type (rope::RopeSchedules).
//
// An override of a model with RoPE per layer type:
//   null                             every type keeps the checkpoint's RoPE
//   {"rope_type": "yarn", ...}       replaces the full_attention layers' RoPE ({} with plain RoPE,
//                                    as for a model with one RoPE), as transformers
//                                    applies rope_scaling to Gemma-3's global layers
//   {"full_attention": {...},        replaces each type named; a type left out keeps the
//    "sliding_attention": {...}}     checkpoint's
// A replacement keeps its type's rope_theta and the model's partial_rotary_factor unless it sets
// them. A model with one RoPE takes an override that is not keyed by layer type. (docs/ROPE_METHODS.md)
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model_core/config.hpp"
#include "rope_methods/rope_method.hpp"

namespace rb::cli {

// The layer types a RoPE override may be keyed by.
const std::vector<std::string>& rope_layer_types();
// True when `rope` is an object whose keys are layer types ({"full_attention": {...}}). An object
// mixing layer types and method parameters throws InputError(source, key, ...).
bool keyed_by_layer_type(const nlohmann::json& rope, const std::string& source = "--rope");

class ModelRope {
 public:
  struct Entry {
    std::string layer_type;  // empty for a model with one RoPE
    rope::RopeModelInfo info;
    std::unique_ptr<rope::RopeMethod> method;
  };
  explicit ModelRope(std::vector<Entry> entries) : entries_(std::move(entries)) {}

  // "yarn"; for several types "full_attention: yarn, sliding_attention: default".
  std::string name() const;
  // The method's resolved parameters; for several types an object keyed by layer type.
  nlohmann::json config() const;
  // One schedule per entry, in the order of ModelConfig::rope_by_layer_type.
  rope::RopeSchedules schedules(int64_t seq_len) const;
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

// The RoPE of a model under `rope_arg` (null: the checkpoint's own). Throws InputError naming
// `source` (the override's) or the config file and the parameter.
ModelRope model_rope(const ModelConfig& c, const nlohmann::json& rope_arg, const std::string& source = "--rope");

}  // namespace rb::cli
