#pragma once
// tokenizer.json "pre_tokenizer" (tokenizers crate, src/pre_tokenizers/): cuts each normalized
// piece into words for the model. Pieces that are added tokens pass through untouched.
#include <memory>
#include <string>
#include <vector>

#include "model_core/tokenizer/json_node.hpp"
#include "model_core/tokenizer/text_pieces.hpp"

namespace rb::tok {

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void pre_tokenize(std::vector<Piece>& pieces) const = 0;
};

// Supported: ByteLevel, Split, Metaspace, Digits, Whitespace, WhitespaceSplit, Punctuation,
// BertPreTokenizer, Sequence. Anything else: InputError naming the JSON path and the type.
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const JsonNode& node);

// GPT-2's pre-tokenization regex, the one ByteLevel(use_regex=true) applies.
inline constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Building blocks for vocabularies that do not come from tokenizer.json (GGUF).
std::unique_ptr<PreTokenizer> make_byte_level_pre_tokenizer(bool add_prefix_space, bool use_regex);
std::unique_ptr<PreTokenizer> make_regex_split_pre_tokenizer(const std::string& pattern, const std::string& file,
                                                             const std::string& field);
std::unique_ptr<PreTokenizer> make_sequence_pre_tokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps);

// GPT-2's bytes_to_unicode(): the printable character standing for each byte.
const std::string& byte_level_char(unsigned char byte);

}  // namespace rb::tok
