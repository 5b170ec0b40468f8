#include "model_core/tokenizer/added_vocabulary.hpp"

#include <algorithm>

#include "model_core/tokenizer/unicode_text.hpp"
#include "common/utf8.hpp"

namespace rb::tok {
namespace {

// The code point that ends at byte `end` (valid UTF-8, end > 0).
char32_t code_point_before(std::string_view s, size_t end) {
  size_t start = end - 1;
  while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  size_t i = start;
  return next_code_point(s, i);
}

// added_vocabulary.rs ends_with_word / starts_with_word: regex `\w$` / `^\w`.
bool ends_with_word(std::string_view s) { return !s.empty() && is_word_char(code_point_before(s, s.size())); }
bool starts_with_word(std::string_view s) {
  if (s.empty()) return false;
  size_t i = 0;
  return is_word_char(next_code_point(s, i));
}

// space_leftmost_at_end: where the run of trailing whitespace of `s` begins.
size_t trailing_space_start(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    size_t i = start;
    if (!is_white_space(next_code_point(s, i))) break;
    end = start;
  }
  return end;
}

// space_rightmost_at_start: length of the run of leading whitespace of `s`.
size_t leading_space_length(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t next = i;
    if (!is_white_space(next_code_point(s, next))) break;
    i = next;
  }
  return i;
}

}  // namespace

void AddedVocabulary::Matcher::build() {
  by_first_byte.assign(256, {});
  for (size_t p = 0; p < patterns.size(); ++p) {
    if (patterns[p].empty()) continue;
    by_first_byte[static_cast<unsigned char>(patterns[p][0])].push_back(p);
  }
  for (auto& bucket : by_first_byte) {
    std::stable_sort(bucket.begin(), bucket.end(),
                     [&](size_t a, size_t b) { return patterns[a].size() > patterns[b].size(); });
  }
}

bool AddedVocabulary::Matcher::next_match(std::string_view text, size_t from, size_t& begin, size_t& end,
                                          size_t& token) const {
  if (patterns.empty()) return false;
  for (size_t i = from; i < text.size(); ++i) {
    const auto& bucket = by_first_byte[static_cast<unsigned char>(text[i])];
    for (size_t p : bucket) {
      const std::string& pat = patterns[p];
      if (text.size() - i >= pat.size() && text.compare(i, pat.size(), pat) == 0) {
        begin = i;
        end = i + pat.size();
        token = token_index[p];
        return true;
      }
    }
  }
  return false;
}

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer)
    : tokens_(std::move(tokens)) {
  // refresh_added_tokens: special tokens first, then the others (both in the order given).
  std::vector<size_t> order;
  for (size_t i = 0; i < tokens_.size(); ++i) {
    if (tokens_[i].special) order.push_back(i);
  }
  for (size_t i = 0; i < tokens_.size(); ++i) {
    if (!tokens_[i].special) order.push_back(i);
  }
  for (size_t i : order) {
    const AddedToken& t = tokens_[i];
    if (t.content.empty()) continue;
    if (t.normalized) {
      std::string content = t.content;
      if (normalizer != nullptr) normalizer->normalize(content);
      normalized_.patterns.push_back(std::move(content));
      normalized_.token_index.push_back(i);
    } else {
      raw_.patterns.push_back(t.content);
      raw_.token_index.push_back(i);
    }
  }
  raw_.build();
  normalized_.build();
}

const AddedToken* AddedVocabulary::find(std::string_view content) const {
  for (const auto& t : tokens_) {
    if (t.content == content) return &t;
  }
  return nullptr;
}

const AddedToken* AddedVocabulary::find(int32_t id) const {
  for (const auto& t : tokens_) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

// find_matches + split_with_indices.
void AddedVocabulary::split(const Piece& piece, const Matcher& matcher, std::vector<Piece>& out) const {
  const std::string& s = piece.text;
  size_t start_offset = 0;
  size_t search_from = 0;
  size_t begin = 0, end = 0, index = 0;
  auto emit_text = [&](size_t from, size_t to) {
    if (to > from) out.push_back(Piece{s.substr(from, to - from), piece.at_origin && from == 0, -1});
  };
  while (matcher.next_match(s, search_from, begin, end, index)) {
    search_from = end;  // the automaton resumes after the match, whatever is done with it
    const AddedToken& token = tokens_[index];
    size_t stop = end;
    if (token.single_word) {
      const bool start_space = begin == 0 || !ends_with_word(std::string_view(s).substr(0, begin));
      const bool stop_space = stop == s.size() || !starts_with_word(std::string_view(s).substr(stop));
      if (!start_space || !stop_space) continue;
    }
    if (token.lstrip) begin = std::max(trailing_space_start(std::string_view(s).substr(0, begin)), start_offset);
    if (token.rstrip) stop += leading_space_length(std::string_view(s).substr(stop));
    if (begin < start_offset) continue;  // overlaps what a previous rstrip consumed
    emit_text(start_offset, begin);
    out.push_back(Piece{s.substr(begin, stop - begin), piece.at_origin && begin == 0, token.id});
    start_offset = stop;
  }
  emit_text(start_offset, s.size());
}

std::vector<Piece> AddedVocabulary::extract_and_normalize(std::string_view text, const Normalizer* normalizer) const {
  std::vector<Piece> pieces;
  const Piece whole{std::string(text), true, -1};
  split(whole, raw_, pieces);
  std::vector<Piece> out;
  out.reserve(pieces.size());
  for (auto& piece : pieces) {
    if (piece.token_id >= 0) {
      out.push_back(std::move(piece));
      continue;
    }
    if (normalizer != nullptr) normalizer->normalize(piece.text);
    split(piece, normalized_, out);
  }
  return out;
}

}  // namespace rb::tok
