#pragma once
// The tokenizers crate's BPE model (src/models/bpe/model.rs, word.rs): characters -> vocabulary
// ids (with byte fallback / unk), then merges applied lowest rank first, leftmost first.
#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rb::tok {

struct BpeOptions {
  std::optional<std::string> unk_token;
  bool fuse_unk = false;
  bool byte_fallback = false;  // "<0xNN>" tokens for characters outside the vocabulary
  bool ignore_merges = false;  // a word that is itself in the vocabulary is taken whole
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
};

class BpeModel {
 public:
  using Vocab = std::unordered_map<std::string, int32_t>;
  using Merges = std::vector<std::pair<std::string, std::string>>;

  // Throws InputError(file, merges_field + "[i]", ...) when a merge names a token missing from the
  // vocabulary (BpeBuilder::build's MergeTokenOutOfVocabulary).
  BpeModel(Vocab vocab, const Merges& merges, BpeOptions options, const std::string& file,
           const std::string& merges_field);

  // Appends the ids of one pre-tokenized word.
  void tokenize(std::string_view word, std::vector<int32_t>& out) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  const std::string* id_to_token(int32_t id) const;
  int64_t max_id() const { return max_id_; }

 private:
  std::vector<int32_t> merge_word(std::string_view word) const;

  Vocab vocab_;
  std::unordered_map<int32_t, std::string> vocab_r_;
  // (left id, right id) -> (rank, merged id)
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges_;
  BpeOptions options_;
  std::optional<int32_t> unk_id_;
  std::string file_;
  int32_t byte_ids_[256];
  int64_t max_id_ = -1;

  // Per-word results (the crate keeps the same kind of cache); words are short and repeat a lot.
  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace rb::tok
