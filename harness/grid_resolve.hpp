#pragma once
// What a grid's rope object leaves to the model, filled in per model (docs/GRIDS.md, "Per-model
// values"):
//  - LongRoPE `short_factor` / `long_factor` given as a generator instead of a list:
//      { constant = C }                  -> d/2 copies of C
//      { ramp_to = S, exponent = P }     -> lambda_i = S^(r_i^P), r_i = i / (d/2 - 1)
//    (S defaults to the entry's `factor`, P to 1; d = the model's rotary_dim);
//  - Llama 3 without `original_max_position_embeddings`: the model's max_position_embeddings.
// Both apply inside `compress` bases too.
#include <string>

#include <nlohmann/json.hpp>

#include "rope_methods/rope_method.hpp"

namespace rb::grid_detail {

bool needs_model(const nlohmann::json& rope);

// Throws rb::InputError(file, field_prefix + "long_factor" (etc.), problem) for a bad generator.
nlohmann::json resolve_for_model(const nlohmann::json& rope, const rope::RopeModelInfo& info,
                                 const std::string& file, const std::string& field_prefix);

}  // namespace rb::grid_detail
