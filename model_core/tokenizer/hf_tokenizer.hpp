#pragma once
// A tokenizer.json pipeline (tokenizers crate, TokenizerImpl::encode_single_sequence):
// added tokens cut out -> normalizer -> pre-tokenizer -> BPE model -> post-processor.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model_core/tokenizer/added_vocabulary.hpp"
#include "model_core/tokenizer/bpe_model.hpp"
#include "model_core/tokenizer/normalizers.hpp"
#include "model_core/tokenizer/post_processors.hpp"
#include "model_core/tokenizer/pre_tokenizers.hpp"
#include "model_core/tokenizer/tokenizer.hpp"

namespace rb::tok {

struct HfParts {
  std::string kind;    // Tokenizer::kind()
  std::string source;  // file named in errors
  std::unique_ptr<Normalizer> normalizer;          // may be null
  std::unique_ptr<PreTokenizer> pre_tokenizer;     // may be null
  std::unique_ptr<BpeModel> model;
  std::vector<AddedToken> added_tokens;
  std::unique_ptr<PostProcessor> post_processor;   // may be null
  std::optional<int32_t> bos_id, eos_id;
};

class HfTokenizer final : public Tokenizer {
 public:
  explicit HfTokenizer(HfParts parts);

  std::vector<int32_t> encode(std::string_view text, bool add_special) const override;
  std::string kind() const override { return kind_; }
  int64_t vocab_size() const override { return vocab_size_; }
  std::optional<int32_t> bos_id() const override { return bos_id_; }
  std::optional<int32_t> eos_id() const override { return eos_id_; }
  std::string token_text(int32_t id) const override;

  // The id of a token string: added tokens first, then the model's vocabulary.
  std::optional<int32_t> token_to_id(std::string_view token) const;
  const PostProcessor* post_processor() const { return post_processor_.get(); }

 private:
  std::string kind_, source_;
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<BpeModel> model_;
  AddedVocabulary added_;
  std::unique_ptr<PostProcessor> post_processor_;
  std::optional<int32_t> bos_id_, eos_id_;
  int64_t vocab_size_ = 0;
};

// tokenizer.json, with tokenizer_config.json's bos_token / eos_token when `config` exists
// (otherwise BOS / EOS are the post-processor's first / last special token).
std::unique_ptr<HfTokenizer> load_tokenizer_json(const std::filesystem::path& json_file,
                                                 const std::filesystem::path& config);

}  // namespace rb::tok
