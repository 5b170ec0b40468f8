#pragma once
// The numbers behind `ropebatch rope`: what a method gives for a window of `length` tokens, per
// rotary pair, next to the original and the target context.
//
// {"method", "config", "length", "original_context", "rotary_dim", "attention_scaling",
//  "inv_freq": [...],
//  "pairs": [{"i", "inv_freq", "wavelength" (2 pi / inv_freq, tokens; null when inv_freq is 0),
//             "wavelength_over_original" (wavelength / original_context),
//             "wavelength_over_target" (wavelength / length)}],
//  "positions": {"first", "last"}            (p' of token 0 and of token length-1)
//  "query_scale": {"first", "last"} or null  (Qwen-1 LogN)}
// original_context: the config's original_max_position_embeddings, else its seq_length (qwen1), else
// the model's max_position_embeddings.
#include <cstdint>

#include <nlohmann/json.hpp>

#include "rope_methods/rope_method.hpp"

namespace rb::rope {

nlohmann::json rope_report(const RopeMethod& method, const RopeModelInfo& info, int64_t length);

}  // namespace rb::rope
