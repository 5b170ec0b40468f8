#pragma once
// `run --tp N` is checked before any work, for every model of the grid: the model splits N ways
// (heads, KV heads, MLP, vocabulary: model_core's shard_dims), and a 4-bit scheme quantized at load
// keeps its groups whole in the row-parallel projections, whose inputs are split: o_proj reads
// heads/N * head_dim features per rank, down_proj intermediate/N. (A GPTQ/AWQ checkpoint's groups
// are checked as its weights are sliced: quant/quantized_matrix_slice.cpp.)
#include <vector>

#include "harness/run_spec.hpp"

namespace rb::cli {

// Throws rb::InputError(model path, "--tp", ...) naming what does not split.
void check_tensor_parallel(const std::vector<RunSpec>& runs, int tp);

}  // namespace rb::cli
