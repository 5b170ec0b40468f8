#pragma once
// What `ropebatch plan` reports per run: windows, tokens and an estimated cost, without running
// anything. Cost model (docs/GRIDS.md, "plan"): per window of L tokens,
//   2 * matmul_params * L  +  2 * L^2 * layers * hidden      FLOPs,
// matmul_params = the decoder's projection weights + the LM head (counted even when tied).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/grid.hpp"
#include "model_core/config.hpp"

namespace rb {

struct ModelSize {
  int64_t params = 0;         // every weight, a tied embedding once
  int64_t matmul_params = 0;  // weights multiplied per token, LM head included
};
ModelSize model_size(const ModelConfig& c);

// FLOPs of one forward pass over `windows` windows of `length` tokens.
double forward_flops(const ModelConfig& c, int64_t length, int64_t windows);

// Forward passes of a run with `windows` scoring windows: those plus its passkey prompts.
int64_t forward_windows(const RunSpec& spec, int64_t windows);
// The cost `plan` estimates for a run (its FLOPs), what `--shard` balances (harness/shard.hpp).
double run_cost(const RunSpec& spec, int64_t windows);

// Tokens of one (model, dataset) pair: per document, as the run will see them.
struct DatasetTokens {
  std::string id, sha256;
  std::vector<std::size_t> document_lengths;
  bool per_document = false;  // the source's default windowing
};
// Loads the model's tokenizer and the source, tokenizes every document (BOS by the tokenizer's
// default, as eval does).
DatasetTokens tokenize_for_plan(const std::string& model_path, const std::string& dataset);

struct PlannedRun {
  RunSpec spec;
  std::optional<int64_t> windows;      // none: not tokenized
  std::optional<int64_t> predictions;  // scored next-token predictions
  std::optional<int64_t> tokens;       // windows x length (+ passkey prompts)
  std::optional<double> flops;
};

struct Plan {
  std::vector<PlannedRun> runs;
  bool tokenized = false;
};

// `tokenize` false: windows, tokens and FLOPs stay empty ("tokenized at run time").
Plan make_plan(const std::vector<RunSpec>& runs, bool tokenize);

std::string format_flops(double flops);  // "3.1 TFLOP"

}  // namespace rb
