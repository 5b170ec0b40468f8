#pragma once
// The pieces a text is cut into on its way to the model (the tokenizers crate's
// PreTokenizedString splits), and NormalizedString::split with its delimiter behaviours.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model_core/tokenizer/regex.hpp"
#include "common/utf8.hpp"

namespace rb::tok {

struct Piece {
  std::string text;
  // The piece begins at offset 0 of the caller's text (NormalizedString::offsets_original().0 == 0),
  // which Metaspace's prepend_scheme "first" asks for.
  bool at_origin = false;
  // >= 0 for an added token found in the text: its id is final and later stages skip it.
  int32_t token_id = -1;
};

// tokenizer/normalizer.rs SplitDelimiterBehavior.
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

struct Span {
  size_t begin = 0, end = 0;
  bool is_match = false;
};

// tokenizer/pattern.rs: spans covering the whole text, matches flagged.
std::vector<Span> spans_from_matches(size_t text_size, const std::vector<ByteRange>& matches);

template <class Predicate>
std::vector<Span> spans_from_chars(std::string_view text, Predicate is_delimiter) {
  if (text.empty()) return {Span{0, 0, false}};
  std::vector<Span> spans;
  size_t last = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    const char32_t cp = next_code_point(text, i);
    if (is_delimiter(cp)) {
      if (last < start) spans.push_back({last, start, false});
      spans.push_back({start, i, true});
      last = i;
    }
  }
  if (last < text.size()) spans.push_back({last, text.size(), false});
  return spans;
}

// NormalizedString::split(pattern, behavior) followed by PreTokenizedString's removal of empty
// pieces; `invert` is pattern.rs's Invert. Appends the resulting pieces of `piece` to `out`.
void split_piece(const Piece& piece, std::vector<Span> spans, SplitBehavior behavior, bool invert,
                 std::vector<Piece>& out);

}  // namespace rb::tok
