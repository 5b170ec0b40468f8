// load_tokenizer_from_gguf: the tokenizer transformers builds from a GGUF file's tokenizer.ggml.*
// metadata (transformers/integrations/ggml.py, GGUF_TO_FAST_CONVERTERS), which is the reference.
// transformers picks the converter by general.architecture, not by tokenizer.ggml.model:
//   llama, deci, decilm           GGUFLlamaConverter
//       tokenizer.ggml.model "llama": byte-fallback BPE whose merges are rebuilt from the scores,
//           normalizer Prepend("▁") (unless add_space_prefix is false) + Replace(" ", "▁")
//       any other model ("gpt2", e.g. SmolLM2 with pre "smollm"): byte-fallback BPE with the
//           file's merges, ByteLevel pre-tokenizer with GPT-2's regex (tokenizer.ggml.pre is
//           not consulted by transformers, so neither is it here)
//       added tokens: token_type 3 (control), plus the unk and bos token texts
//   gpt2, bloom, falcon, stablelm, starcoder2, mamba, nemotron   GPT2Converter + GPT2Tokenizer
//   qwen2, qwen2moe, qwen3, qwen3moe                             Qwen2Converter + Qwen2Tokenizer
// BOS/EOS: none by default, even when tokenizer.ggml.add_bos_token is true, because transformers
// (5.17) builds GGUF tokenizers without a post-processor and so never adds them; Hugging Face is
// the reference. `ropebatch eval --bos always` gives llama.cpp's behaviour for such files.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "common/error.hpp"
#include "model_core/loaders/gguf.hpp"
#include "model_core/tokenizer/hf_tokenizer.hpp"
#include "model_core/tokenizer/tokenizer.hpp"
#include "common/utf8.hpp"

namespace rb {
namespace {

using tok::AddedToken;
using tok::BpeModel;

constexpr int64_t kControlTokenType = 3;  // llama.cpp LLAMA_TOKEN_TYPE_CONTROL

// Qwen2Converter's pre-tokenizer regex (transformers/convert_slow_tokenizer.py).
constexpr const char* kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

enum class Family { Llama, Gpt2, Qwen2 };

struct GgufVocab {
  std::string file;
  std::string model;  // tokenizer.ggml.model
  std::vector<std::string> tokens;
  std::vector<int64_t> token_type;  // empty when absent
  std::vector<double> scores;       // empty when absent
  std::vector<std::string> merges;
  bool has_merges = false;
  std::optional<int32_t> bos, eos, unk;
  std::optional<bool> add_space_prefix, add_bos, add_eos;
};

std::vector<int64_t> int_array(const GgufFile& g, const std::string& key) {
  const auto& v = g.metadata().at(key);
  if (!v.is_array()) throw InputError(g.path().string(), key, "expected an array of integers");
  std::vector<int64_t> out;
  out.reserve(v.size());
  for (const auto& e : v) {
    if (!e.is_number_integer()) throw InputError(g.path().string(), key, "expected an array of integers");
    out.push_back(e.get<int64_t>());
  }
  return out;
}

std::vector<double> number_array(const GgufFile& g, const std::string& key) {
  const auto& v = g.metadata().at(key);
  if (!v.is_array()) throw InputError(g.path().string(), key, "expected an array of numbers");
  std::vector<double> out;
  out.reserve(v.size());
  for (const auto& e : v) {
    if (!e.is_number()) throw InputError(g.path().string(), key, "expected an array of numbers");
    out.push_back(e.get<double>());
  }
  return out;
}

GgufVocab read_vocab(const GgufFile& g) {
  GgufVocab v;
  v.file = g.path().string();
  if (!g.has("tokenizer.ggml.model")) {
    throw InputError(v.file, "tokenizer.ggml.model", "missing: the file has no embedded vocabulary");
  }
  v.model = g.get_string("tokenizer.ggml.model");
  v.tokens = g.get_string_array("tokenizer.ggml.tokens");
  if (v.tokens.empty()) throw InputError(v.file, "tokenizer.ggml.tokens", "empty vocabulary");
  if (v.tokens.size() > static_cast<size_t>(INT32_MAX)) throw InputError(v.file, "tokenizer.ggml.tokens", "too many tokens");
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    if (first_invalid_utf8(v.tokens[i])) {
      throw InputError(v.file, "tokenizer.ggml.tokens[" + std::to_string(i) + "]", "not valid UTF-8");
    }
  }
  const size_t n = v.tokens.size();
  if (g.has("tokenizer.ggml.token_type")) {
    v.token_type = int_array(g, "tokenizer.ggml.token_type");
    if (v.token_type.size() != n) {
      throw InputError(v.file, "tokenizer.ggml.token_type",
                       std::to_string(v.token_type.size()) + " entries for " + std::to_string(n) + " tokens");
    }
  }
  if (g.has("tokenizer.ggml.scores")) {
    v.scores = number_array(g, "tokenizer.ggml.scores");
    if (v.scores.size() != n) {
      throw InputError(v.file, "tokenizer.ggml.scores",
                       std::to_string(v.scores.size()) + " entries for " + std::to_string(n) + " tokens");
    }
  }
  if (g.has("tokenizer.ggml.merges")) {
    v.merges = g.get_string_array("tokenizer.ggml.merges");
    v.has_merges = true;
  }
  auto id = [&](const std::string& key) -> std::optional<int32_t> {
    if (!g.has(key)) return std::nullopt;
    const int64_t value = g.get_int(key);
    if (value < 0 || value >= static_cast<int64_t>(n)) {
      throw InputError(v.file, key, "token id " + std::to_string(value) + " is outside the vocabulary of " +
                                        std::to_string(n) + " tokens");
    }
    return static_cast<int32_t>(value);
  };
  v.bos = id("tokenizer.ggml.bos_token_id");
  v.eos = id("tokenizer.ggml.eos_token_id");
  v.unk = id("tokenizer.ggml.unknown_token_id");
  auto flag = [&](const std::string& key) -> std::optional<bool> {
    if (!g.has(key)) return std::nullopt;
    return g.get_bool(key);
  };
  v.add_space_prefix = flag("tokenizer.ggml.add_space_prefix");
  v.add_bos = flag("tokenizer.ggml.add_bos_token");
  v.add_eos = flag("tokenizer.ggml.add_eos_token");
  return v;
}

// {token: index}: with repeated tokens the last index wins (a Python dict comprehension).
BpeModel::Vocab index_vocab(const std::vector<std::string>& tokens) {
  BpeModel::Vocab vocab;
  vocab.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) vocab[tokens[i]] = static_cast<int32_t>(i);
  return vocab;
}

// GGUFTokenizerSkeleton: merges given as "left right" strings.
BpeModel::Merges split_merges(const GgufVocab& v) {
  BpeModel::Merges merges;
  merges.reserve(v.merges.size());
  for (size_t i = 0; i < v.merges.size(); ++i) {
    const std::string& m = v.merges[i];
    const size_t space = m.find(' ');
    if (space == std::string::npos || m.find(' ', space + 1) != std::string::npos) {
      throw InputError(v.file, "tokenizer.ggml.merges[" + std::to_string(i) + "]",
                       "expected \"left right\" with exactly one space, found \"" + m + "\"");
    }
    merges.emplace_back(m.substr(0, space), m.substr(space + 1));
  }
  return merges;
}

// GGUFTokenizerSkeleton without merges: every split of every token into two vocabulary tokens
// is a merge; a token's splits are ordered by the scores of (left, right), highest first, and
// all merges by the score of the merged token, highest first (stable sorts, as Python's).
BpeModel::Merges merges_from_scores(const GgufVocab& v) {
  if (v.scores.empty()) {
    throw InputError(v.file, "tokenizer.ggml.scores",
                     "missing: a vocabulary without merges needs scores to rebuild them");
  }
  // vocab = {token: score}: first-occurrence order, last score.
  std::unordered_map<std::string, double> score_of;
  std::vector<const std::string*> order;
  score_of.reserve(v.tokens.size());
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    auto [it, inserted] = score_of.insert_or_assign(v.tokens[i], v.scores[i]);
    if (inserted) order.push_back(&it->first);
  }
  struct Candidate {
    std::string left, right;
    double left_score, right_score, score;
  };
  std::vector<Candidate> all;
  std::vector<Candidate> local;
  for (const std::string* token : order) {
    const double score = score_of[*token];
    local.clear();
    for (size_t i = 0; i < token->size();) {  // split points at code point boundaries
      next_code_point(*token, i);
      if (i >= token->size()) break;
      auto l = score_of.find(token->substr(0, i));
      if (l == score_of.end()) continue;
      auto r = score_of.find(token->substr(i));
      if (r == score_of.end()) continue;
      local.push_back(Candidate{l->first, r->first, l->second, r->second, score});
    }
    std::stable_sort(local.begin(), local.end(), [](const Candidate& a, const Candidate& b) {
      if (a.left_score != b.left_score) return a.left_score > b.left_score;
      return a.right_score > b.right_score;
    });
    all.insert(all.end(), local.begin(), local.end());
  }
  std::stable_sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  BpeModel::Merges merges;
  merges.reserve(all.size());
  for (auto& c : all) merges.emplace_back(std::move(c.left), std::move(c.right));
  return merges;
}

// tokenizers' AddedVocabulary::add_tokens: a token already in the vocabulary keeps its id, a new
// one gets the next id after the vocabulary (or after the largest added id).
class AddedTokenList {
 public:
  AddedTokenList(const BpeModel::Vocab& vocab) : vocab_(vocab) {}
  void add(const std::string& content, bool special) {
    if (content.empty()) return;
    for (const auto& t : tokens_) {
      if (t.content == content) return;
    }
    AddedToken t;
    t.content = content;
    t.special = special;
    t.normalized = false;
    auto it = vocab_.find(content);
    if (it != vocab_.end()) {
      t.id = it->second;
    } else {
      const auto vocab_size = static_cast<int32_t>(vocab_.size());
      int32_t max_id = -1;
      for (const auto& a : tokens_) max_id = std::max(max_id, a.id);
      t.id = (tokens_.empty() || (max_id < vocab_size && vocab_size != 0)) ? vocab_size : max_id + 1;
    }
    tokens_.push_back(std::move(t));
  }
  std::vector<AddedToken> take() { return std::move(tokens_); }

 private:
  const BpeModel::Vocab& vocab_;
  std::vector<AddedToken> tokens_;
};

std::optional<Family> family_of(const std::string& architecture) {
  static const std::unordered_map<std::string, Family> kFamilies = {
      {"llama", Family::Llama},     {"deci", Family::Llama},        {"decilm", Family::Llama},
      {"gpt2", Family::Gpt2},       {"bloom", Family::Gpt2},        {"falcon", Family::Gpt2},
      {"stablelm", Family::Gpt2},   {"starcoder2", Family::Gpt2},   {"mamba", Family::Gpt2},
      {"nemotron", Family::Gpt2},   {"qwen2", Family::Qwen2},       {"qwen2moe", Family::Qwen2},
      {"qwen3", Family::Qwen2},     {"qwen3moe", Family::Qwen2},
  };
  auto it = kFamilies.find(architecture);
  if (it == kFamilies.end()) return std::nullopt;
  return it->second;
}

std::unique_ptr<tok::PostProcessor> bos_eos_processor(const GgufVocab&) {
  return tok::make_template_post_processor({}, {});
}

tok::HfParts llama_family(const GgufVocab& v) {
  tok::HfParts parts;
  const bool sentencepiece_style = v.model == "llama";
  parts.kind = sentencepiece_style ? "gguf-llama" : "gguf-" + v.model;
  BpeModel::Vocab vocab = index_vocab(v.tokens);
  const BpeModel::Merges merges = v.has_merges ? split_merges(v) : merges_from_scores(v);
  tok::BpeOptions options;
  if (v.unk) options.unk_token = v.tokens[static_cast<size_t>(*v.unk)];
  options.fuse_unk = true;
  options.byte_fallback = true;

  AddedTokenList added(vocab);
  if (v.token_type.empty()) {
    if (v.unk) added.add(v.tokens[static_cast<size_t>(*v.unk)], true);
    if (v.bos) added.add(v.tokens[static_cast<size_t>(*v.bos)], true);
  } else {
    for (size_t i = 0; i < v.tokens.size(); ++i) {
      if (v.token_type[i] == kControlTokenType) added.add(v.tokens[i], true);
    }
  }
  // TokenizersBackend then adds its named special tokens: unk, and bos (which the converter also
  // passes as eos).
  if (v.bos) added.add(v.tokens[static_cast<size_t>(*v.bos)], true);
  if (v.unk) added.add(v.tokens[static_cast<size_t>(*v.unk)], true);
  parts.added_tokens = added.take();

  if (sentencepiece_style) {
    std::vector<std::unique_ptr<tok::Normalizer>> steps;
    if (v.add_space_prefix.value_or(true)) steps.push_back(tok::make_prepend_normalizer("\xE2\x96\x81"));
    steps.push_back(tok::make_replace_normalizer(" ", "\xE2\x96\x81"));
    parts.normalizer = tok::make_sequence_normalizer(std::move(steps));
  } else {
    parts.pre_tokenizer = tok::make_byte_level_pre_tokenizer(false, true);
  }
  parts.model = std::make_unique<BpeModel>(std::move(vocab), merges, std::move(options), v.file,
                                           v.has_merges ? "tokenizer.ggml.merges" : "tokenizer.ggml.scores");
  return parts;
}

tok::HfParts byte_level_family(const GgufVocab& v, Family family) {
  if (!v.has_merges) throw InputError(v.file, "tokenizer.ggml.merges", "missing: a BPE vocabulary needs merges");
  tok::HfParts parts;
  parts.kind = "gguf-" + v.model;
  BpeModel::Vocab vocab = index_vocab(v.tokens);
  AddedTokenList added(vocab);
  const bool prefix_space = v.add_space_prefix.value_or(false);
  if (family == Family::Qwen2) {
    // Qwen2Converter adds these three; Qwen2Tokenizer's defaults name only <|endoftext|>.
    for (const char* t : {"<|endoftext|>", "<|im_start|>", "<|im_end|>"}) added.add(t, true);
    parts.normalizer = tok::make_nfc_normalizer();
    std::vector<std::unique_ptr<tok::PreTokenizer>> steps;
    steps.push_back(tok::make_regex_split_pre_tokenizer(kQwen2Pattern, v.file, "Qwen2 pre-tokenizer"));
    steps.push_back(tok::make_byte_level_pre_tokenizer(prefix_space, false));
    parts.pre_tokenizer = tok::make_sequence_pre_tokenizer(std::move(steps));
  } else {
    added.add("<|endoftext|>", true);  // GPT2Tokenizer's default bos/eos/unk
    parts.pre_tokenizer = tok::make_byte_level_pre_tokenizer(prefix_space, true);
  }
  parts.added_tokens = added.take();
  parts.model = std::make_unique<BpeModel>(std::move(vocab), split_merges(v), tok::BpeOptions{}, v.file,
                                           "tokenizer.ggml.merges");
  return parts;
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer_from_gguf(const GgufFile& gguf) {
  const GgufVocab v = read_vocab(gguf);
  const std::string architecture = gguf.has("general.architecture") ? gguf.get_string("general.architecture") : "";
  const std::optional<Family> family = family_of(architecture);
  if (!family) {
    throw InputError(v.file, "general.architecture",
                     "no tokenizer conversion for architecture \"" + architecture +
                         "\" (supported: llama, deci, decilm, gpt2, bloom, falcon, stablelm, starcoder2, mamba, "
                         "nemotron, qwen2, qwen2moe, qwen3, qwen3moe); give the checkpoint's Hugging Face "
                         "tokenizer instead (ropebatch eval --tokenizer DIR)");
  }
  if (*family != Family::Llama && v.model != "gpt2") {
    throw InputError(v.file, "tokenizer.ggml.model",
                     "\"" + v.model + "\" vocabulary with architecture \"" + architecture +
                         "\": transformers converts it as a GPT-2 byte-level BPE, which needs model \"gpt2\"");
  }
  tok::HfParts parts = *family == Family::Llama ? llama_family(v) : byte_level_family(v, *family);
  parts.source = v.file;
  parts.post_processor = bos_eos_processor(v);
  parts.bos_id = v.bos;
  parts.eos_id = v.eos;
  return std::make_unique<tok::HfTokenizer>(std::move(parts));
}

}  // namespace rb
