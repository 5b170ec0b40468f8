#pragma once
// The model configurations a grid needs before any forward pass: config.json or GGUF metadata
// only (no weights, no tokenizer), read once per path.
#include <string>

#include "model_core/config.hpp"

namespace rb::grid_detail {

// Throws rb::InputError for an alias whose variable is unset ("smollm2" without $RB_SMOLLM2_GGUF),
// a missing path or a bad config. Thread-safe; the reference stays valid for the process.
const ModelConfig& grid_model_config(const std::string& model_path);

}  // namespace rb::grid_detail
