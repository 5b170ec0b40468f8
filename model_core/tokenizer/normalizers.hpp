#pragma once
// tokenizer.json "normalizer" (tokenizers crate, src/normalizers/): applied to each piece of text
// between added tokens, before pre-tokenization.
#include <memory>
#include <string>

#include "model_core/tokenizer/json_node.hpp"

namespace rb::tok {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& text) const = 0;
};

// Supported: NFC, NFD, NFKC, NFKD, Lowercase, StripAccents, Strip, Prepend, Replace (String or
// Regex pattern), Sequence. Anything else: InputError naming the JSON path and the type.
std::unique_ptr<Normalizer> make_normalizer(const JsonNode& node);

// Building blocks for vocabularies that do not come from tokenizer.json (GGUF).
std::unique_ptr<Normalizer> make_prepend_normalizer(std::string prepend);
std::unique_ptr<Normalizer> make_replace_normalizer(std::string literal, std::string content);
std::unique_ptr<Normalizer> make_nfc_normalizer();
std::unique_ptr<Normalizer> make_sequence_normalizer(std::vector<std::unique_ptr<Normalizer>> steps);

}  // namespace rb::tok
