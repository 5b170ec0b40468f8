#pragma once
// LongPPL (Fang et al. 2024, "What is Wrong with Perplexity for Long-context Language Modeling?",
// ICLR 2025; reference code: the `longppl` package, longppl/longppl.py). Perplexity restricted to
// key tokens: tokens that the long context makes much more likely (LSD, long-short difference)
// and that are well predicted with it (LCL, long-context likelihood). The harness produces the
// log-probabilities; this file holds the pure selection, the metric and the short-context plan.
// docs/DATASETS.md, "LongPPL", states every rule.
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "datasets/windows.hpp"

namespace rb::data {

// Defaults of compute_longppl / find_key_token in longppl.py (the paper's alpha = 2, beta = -2,
// short context 4096 tokens, 1024 tokens sharing one short context).
struct LongPplOptions {
  double alpha = 2.0;              // key iff LSD = logp_long - logp_short > alpha
  double beta = -2.0;              // ... and LCL = logp_long > beta
  std::size_t short_length = 4096; // trunc_len
  std::size_t short_stride = 1024; // sliding_window
};

// Arrays indexed by prediction k = 0 .. N-2 (the log-probability of token k + 1 given its
// context), natural log. logp_short[k] is NaN where no short-context score exists (token k + 1
// lies within the first short_length tokens, where short and long contexts coincide).
// Returns the predictions k that are key tokens, ascending. NaN in logp_long, or arrays of
// different lengths: rb::InputError("longppl", ...).
std::vector<std::size_t> select_key_tokens(std::span<const double> logp_long, std::span<const double> logp_short,
                                           const LongPplOptions& options = {});

struct LongPplResult {
  std::optional<double> longppl;  // exp(-mean logp over key tokens); none when there are none
  double ppl = 0;                 // exp(-mean logp over all predictions)
  std::size_t key_tokens = 0;
  std::size_t predictions = 0;
};

// The metric of the evaluated model: `logp` its long-context log-probabilities (indexed as above),
// `key` the key predictions (from select_key_tokens, possibly under an evaluator model with the
// same tokenizer). Throws rb::InputError("longppl", ...) for an empty logp, NaN, or a key index out
// of range.
LongPplResult compute_longppl(std::span<const double> logp, std::span<const std::size_t> key);

// The forward passes that give logp_short, exactly as find_key_token does them: for start = 0,
// stride, 2*stride, ... while start < N - short_length, one window of tokens
// [start, min(start + short_length + stride, N)) scoring the predictions of its tokens from
// position short_length on (score_from = short_length - 1). Every token at position >=
// short_length is scored exactly once, with between short_length and short_length + stride - 1
// tokens of context. Windows index the single stream 0. Throws rb::InputError for short_length < 1
// or stride < 1.
std::vector<Window> short_context_windows(std::size_t n_tokens, const LongPplOptions& options = {});

}  // namespace rb::data
