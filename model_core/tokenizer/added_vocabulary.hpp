#pragma once
// tokenizer.json "added_tokens" (tokenizers crate, src/tokenizer/added_vocabulary.rs): tokens cut
// out of the text before the model sees it. Tokens with normalized=false are matched in the raw
// text; the others in the normalized text, by their normalized content.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model_core/tokenizer/normalizers.hpp"
#include "model_core/tokenizer/text_pieces.hpp"

namespace rb::tok {

struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  // `normalizer` (may be null) gives the normalized content of normalized tokens.
  AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer);

  // AddedVocabulary::extract_and_normalize: raw-text tokens out, normalize the rest, then the
  // normalized tokens out. Returns the non-empty pieces; added tokens carry their id.
  std::vector<Piece> extract_and_normalize(std::string_view text, const Normalizer* normalizer) const;

  const std::vector<AddedToken>& tokens() const { return tokens_; }
  const AddedToken* find(std::string_view content) const;
  const AddedToken* find(int32_t id) const;

 private:
  // Leftmost-longest matcher over a fixed set of strings (aho-corasick's MatchKind::LeftmostLongest).
  struct Matcher {
    std::vector<std::string> patterns;
    std::vector<size_t> token_index;  // pattern -> tokens_ index
    std::vector<std::vector<size_t>> by_first_byte;  // 256 buckets of pattern indices, longest first
    void build();
    // The leftmost match at or after `from`, longest among those starting there.
    bool next_match(std::string_view text, size_t from, size_t& begin, size_t& end, size_t& token) const;
  };
  void split(const Piece& piece, const Matcher& matcher, std::vector<Piece>& out) const;

  std::vector<AddedToken> tokens_;
  Matcher raw_;
  Matcher normalized_;
};

}  // namespace rb::tok
