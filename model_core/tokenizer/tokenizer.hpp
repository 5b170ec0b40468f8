#pragma once
// Tokenizers that give the same ids as Hugging Face's for the same text.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rb {

class GgufFile;

enum class BosPolicy { Auto, Always, Never };

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // Ids for `text`. With add_special, the tokens Hugging Face adds by default for this tokenizer
  // (LlamaTokenizer: BOS; tokenizer.json: whatever its post-processor adds); without, none.
  virtual std::vector<int32_t> encode(std::string_view text, bool add_special) const = 0;
  virtual std::string kind() const = 0;  // "sentencepiece", "hf-bpe", "gguf-llama", "gguf-gpt2", ...
  virtual int64_t vocab_size() const = 0;
  virtual std::optional<int32_t> bos_id() const = 0;
  virtual std::optional<int32_t> eos_id() const = 0;
  virtual std::string token_text(int32_t id) const = 0;  // the vocabulary entry, for messages

  // encode(text, true) for Auto; Always/Never force a BOS at the front or none at all.
  std::vector<int32_t> encode_with_policy(std::string_view text, BosPolicy policy) const;
};

// From a Hugging Face model directory: tokenizer.json if present, else tokenizer.model
// (SentencePiece, with tokenizer_config.json's add_bos_token/add_eos_token when present).
std::unique_ptr<Tokenizer> load_tokenizer_from_dir(const std::filesystem::path& dir);
// From a GGUF file's embedded vocabulary (tokenizer.ggml.*).
std::unique_ptr<Tokenizer> load_tokenizer_from_gguf(const GgufFile& gguf);

}  // namespace rb
