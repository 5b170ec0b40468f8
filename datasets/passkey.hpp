#pragma once
// Passkey retrieval (Mohtashami & Jaggi 2023, "Landmark Attention", llama/run_test.py; reused by
// the YaRN repository's eval/passkey.py): a 5-digit key hidden in repeated filler text at a chosen
// depth, then asked for. The exact strings and rules are in docs/DATASETS.md, "Passkey".
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "datasets/token_stream.hpp"

namespace rb::data {

// The strings of llama/run_test.py (generate_prompt), verbatim.
inline constexpr std::string_view kPasskeyTask =
    "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. "
    "I will quiz you about the important information there.";
inline constexpr std::string_view kPasskeyFiller =
    "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";
inline constexpr std::string_view kPasskeyQuestion = "What is the pass key? The pass key is";

struct PasskeyRequest {
  std::size_t target_tokens = 0;  // prompt + answer must fit in this many tokens
  double depth = 0.5;             // where the key line sits in the filler, 0 = start, 1 = end
  std::uint64_t trial = 0;        // trials differ in their key
  std::uint64_t seed = 0;
};

struct PasskeySample {
  std::string key;                 // 5 digits
  std::string prompt;              // the prompt text (without the answer)
  std::vector<std::int32_t> tokens;  // tokenize(prompt + answer, true)
  std::size_t answer_begin = 0;    // tokens[answer_begin, answer_end) are the answer " NNNNN"
  std::size_t answer_end = 0;
  std::size_t filler_chars = 0;    // characters of filler in total (prefix + suffix)
  std::size_t prefix_chars = 0;    // of which before the key line
  bool answer_boundary_clean = true;  // false: the answer's first token also covers prompt text
};

// The 5-digit key of (seed, trial): 10000 + SplitMix64(splitmix64_mix(seed) + trial).below(90000).
// The same at every length and depth, so cells of a sweep differ only in where the key is.
std::string passkey_key(std::uint64_t seed, std::uint64_t trial);

// The prompt with `filler_chars` characters of filler, `round(depth * filler_chars)` of them
// before the key line (run_test.py's layout: lines joined with "\n").
std::string passkey_prompt(std::string_view key, std::size_t filler_chars, double depth);

// The answer the model must continue the prompt with: " " + key.
std::string passkey_answer(std::string_view key);

// The longest prompt whose tokens (prompt + answer) fit in target_tokens, found by binary search
// over the filler length in characters. Throws rb::InputError("passkey", FIELD, problem) for a
// depth outside [0, 1] or a target too short for the prompt without filler.
PasskeySample make_passkey_sample(const PasskeyRequest& request, const TokenizeFn& tokenize);

// Teacher-forced greedy check: `argmax_next[t]` is the model's most likely token after
// tokens[0..t]. Retrieved iff argmax_next[t - 1] == tokens[t] for every answer token t.
// Throws rb::Error when argmax_next is shorter than answer_end - 1.
bool passkey_retrieved(const PasskeySample& sample, std::span<const std::int32_t> argmax_next);

}  // namespace rb::data
