#pragma once
// tokenizer.model through libsentencepiece: Hugging Face's slow LlamaTokenizer (legacy) gives
// sentencepiece's ids, with <s> in front when add_bos_token and </s> behind when add_eos_token.
#include <filesystem>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "model_core/tokenizer/tokenizer.hpp"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace rb::tok {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // Throws InputError naming the file when sentencepiece cannot load it.
  SentencePieceTokenizer(const std::filesystem::path& model_file, bool add_bos, bool add_eos);
  ~SentencePieceTokenizer() override;

  std::vector<int32_t> encode(std::string_view text, bool add_special) const override;
  std::string kind() const override { return "sentencepiece"; }
  int64_t vocab_size() const override;
  std::optional<int32_t> bos_id() const override;
  std::optional<int32_t> eos_id() const override;
  std::string token_text(int32_t id) const override;

 private:
  std::vector<int> encode_whole(std::string_view text) const;
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;
  bool words_are_independent() const;

  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  std::string file_;
  bool add_bos_, add_eos_;
  // Encoding word by word (see words_are_independent) lets repeated words come from a cache:
  // libsentencepiece takes ~5 s per MB on one long string.
  bool by_words_ = false;
  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

// tokenizer.model plus tokenizer_config.json's add_bos_token (default true, as LlamaTokenizer)
// and add_eos_token (default false) when `config` exists.
std::unique_ptr<Tokenizer> load_sentencepiece(const std::filesystem::path& model_file,
                                              const std::filesystem::path& config);

}  // namespace rb::tok
