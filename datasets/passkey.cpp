// Passkey prompts, following llama/run_test.py of Landmark Attention (Mohtashami & Jaggi 2023):
//   garbage_inf = " ".join([garbage] * 2000)
//   lines = [task_description, garbage_inf[:n_prefix], information_line, garbage_inf[:n_suffix],
//            final_question]
//   prompt = "\n".join(lines)
// with two changes for a deterministic, token-exact sweep: the key is 5 digits from SplitMix64
// (run_test.py: random.randint(1, 50000)), and the prefix is round(depth * n) characters instead
// of a random split; n is chosen by binary search so the tokens fit the target length.
#include "datasets/passkey.hpp"

#include <cmath>

#include "common/error.hpp"
#include "datasets/splitmix64.hpp"

namespace rb::data {
namespace {

// The first `chars` characters of " ".join([kPasskeyFiller] * infinity).
std::string filler(std::size_t chars) {
  std::string unit(kPasskeyFiller);
  unit += ' ';
  std::string out;
  out.reserve(chars);
  while (out.size() + unit.size() <= chars) out += unit;
  out.append(unit, 0, chars - out.size());
  return out;
}

std::size_t prefix_length(std::size_t filler_chars, double depth) {
  const double exact = std::floor(depth * static_cast<double>(filler_chars) + 0.5);
  return std::min(filler_chars, static_cast<std::size_t>(exact));
}

}  // namespace

std::string passkey_key(std::uint64_t seed, std::uint64_t trial) {
  SplitMix64 rng(splitmix64_mix(seed) + trial);
  return std::to_string(10000 + rng.below(90000));
}

std::string passkey_answer(std::string_view key) { return " " + std::string(key); }

std::string passkey_prompt(std::string_view key, std::size_t filler_chars, double depth) {
  const std::size_t prefix = prefix_length(filler_chars, depth);
  const std::string k(key);
  std::string prompt(kPasskeyTask);
  prompt += '\n';
  prompt += filler(prefix);
  prompt += '\n';
  prompt += "The pass key is " + k + ". Remember it. " + k + " is the pass key.";
  prompt += '\n';
  prompt += filler(filler_chars - prefix);
  prompt += '\n';
  prompt += kPasskeyQuestion;
  return prompt;
}

PasskeySample make_passkey_sample(const PasskeyRequest& request, const TokenizeFn& tokenize) {
  if (!(request.depth >= 0.0 && request.depth <= 1.0)) {
    throw InputError("passkey", "depth", "must be in [0, 1], got " + std::to_string(request.depth));
  }
  if (!tokenize) throw Error("make_passkey_sample: no tokenizer function");
  const std::string key = passkey_key(request.seed, request.trial);
  const std::string answer = passkey_answer(key);
  const auto length_with = [&](std::size_t filler_chars) {
    return tokenize(passkey_prompt(key, filler_chars, request.depth) + answer, true).size();
  };

  const std::size_t bare = length_with(0);
  if (bare > request.target_tokens) {
    throw InputError("passkey", "length",
                     "target " + std::to_string(request.target_tokens) + " tokens is shorter than the prompt "
                     "without filler (" + std::to_string(bare) + " tokens)");
  }
  // Exponential search for a filler length that no longer fits, then binary search for the longest
  // that does. A tokenizer packs at most a few dozen characters into a token; the cap only guards
  // against a tokenizer that never grows.
  const std::size_t cap = 256 * request.target_tokens + 4096;
  std::size_t fits = 0, too_long = 1024;
  while (too_long < cap && length_with(too_long) <= request.target_tokens) {
    fits = too_long;
    too_long *= 2;
  }
  if (too_long >= cap) {
    too_long = cap;
    if (length_with(cap) <= request.target_tokens) fits = cap, too_long = cap + 1;
  }
  while (too_long - fits > 1) {
    const std::size_t mid = fits + (too_long - fits) / 2;
    (length_with(mid) <= request.target_tokens ? fits : too_long) = mid;
  }

  PasskeySample sample;
  sample.key = key;
  sample.filler_chars = fits;
  sample.prefix_chars = prefix_length(fits, request.depth);
  sample.prompt = passkey_prompt(key, fits, request.depth);
  sample.tokens = tokenize(sample.prompt + answer, true);
  const std::vector<std::int32_t> prompt_tokens = tokenize(sample.prompt, true);
  // The answer starts where the joint tokenization leaves the prompt's own tokens (normally right
  // after them; a tokenizer that merges across the boundary moves it earlier).
  std::size_t begin = 0;
  while (begin < prompt_tokens.size() && begin < sample.tokens.size() && prompt_tokens[begin] == sample.tokens[begin]) {
    ++begin;
  }
  sample.answer_boundary_clean = begin == prompt_tokens.size();
  sample.answer_begin = std::max<std::size_t>(begin, 1);
  sample.answer_end = sample.tokens.size();
  if (sample.answer_end <= sample.answer_begin) {
    throw Error("passkey: the tokenizer produced no answer tokens for '" + answer + "'");
  }
  return sample;
}

bool passkey_retrieved(const PasskeySample& sample, std::span<const std::int32_t> argmax_next) {
  if (sample.answer_begin == 0 || argmax_next.size() + 1 < sample.answer_end) {
    throw Error("passkey_retrieved: need argmax predictions up to position " + std::to_string(sample.answer_end - 2) +
                ", got " + std::to_string(argmax_next.size()));
  }
  for (std::size_t t = sample.answer_begin; t < sample.answer_end; ++t) {
    if (argmax_next[t - 1] != sample.tokens[t]) return false;
  }
  return true;
}

}  // namespace rb::data
