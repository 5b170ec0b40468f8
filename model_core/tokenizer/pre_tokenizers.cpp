#include "model_core/tokenizer/pre_tokenizers.hpp"

#include <array>
#include <cctype>

#include "model_core/tokenizer/regex.hpp"
#include "model_core/tokenizer/unicode_text.hpp"
#include "common/utf8.hpp"

namespace rb::tok {
namespace {

// Applies `split` to every piece that is not an added token (PreTokenizedString::split).
template <class SplitFn>
void split_pieces(std::vector<Piece>& pieces, SplitFn split) {
  std::vector<Piece> out;
  out.reserve(pieces.size());
  for (auto& piece : pieces) {
    if (piece.token_id >= 0) {
      out.push_back(std::move(piece));
    } else {
      split(piece, out);
    }
  }
  pieces = std::move(out);
}

// GPT-2 encoder.py bytes_to_unicode(): printable Latin-1 bytes stand for themselves, the other
// bytes get U+0100 onwards in byte order.
const std::array<std::string, 256>& byte_level_table() {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      t[b] = to_utf8(printable ? static_cast<char32_t>(b) : next++);
    }
    return t;
  }();
  return table;
}

class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex) : add_prefix_space_(add_prefix_space) {
    if (use_regex) regex_ = std::make_unique<Regex>(kGpt2Pattern, "GPT-2 pre-tokenizer", "");
  }
  // pre_tokenizers/byte_level.rs: optional prefix space, GPT-2 regex split (Isolated), then every
  // byte of every piece replaced by its bytes_to_unicode character.
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_pieces(pieces, [&](Piece& piece, std::vector<Piece>& out) {
      if (add_prefix_space_ && (piece.text.empty() || piece.text[0] != ' ')) piece.text.insert(0, " ");
      if (regex_) {
        split_piece(piece, spans_from_matches(piece.text.size(), regex_->find_all(piece.text)),
                    SplitBehavior::Isolated, false, out);
      } else if (!piece.text.empty()) {
        out.push_back(std::move(piece));
      }
    });
    const auto& table = byte_level_table();
    for (auto& piece : pieces) {
      if (piece.token_id >= 0) continue;
      std::string mapped;
      mapped.reserve(piece.text.size() * 2);
      for (unsigned char b : piece.text) mapped += table[b];
      piece.text = std::move(mapped);
    }
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<Regex> regex_;
};

class RegexSplitPreTokenizer final : public PreTokenizer {
 public:
  RegexSplitPreTokenizer(std::unique_ptr<Regex> regex, SplitBehavior behavior, bool invert)
      : regex_(std::move(regex)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_pieces(pieces, [&](Piece& piece, std::vector<Piece>& out) {
      split_piece(piece, spans_from_matches(piece.text.size(), regex_->find_all(piece.text)), behavior_, invert_,
                  out);
    });
  }

 private:
  std::unique_ptr<Regex> regex_;
  SplitBehavior behavior_;
  bool invert_;
};

// Split with a literal pattern (the crate escapes it into a regex: non-overlapping occurrences).
class LiteralSplitPreTokenizer final : public PreTokenizer {
 public:
  LiteralSplitPreTokenizer(std::string literal, SplitBehavior behavior, bool invert)
      : literal_(std::move(literal)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_pieces(pieces, [&](Piece& piece, std::vector<Piece>& out) {
      std::vector<ByteRange> matches;
      for (size_t hit = piece.text.find(literal_); hit != std::string::npos;
           hit = piece.text.find(literal_, hit + literal_.size())) {
        matches.emplace_back(hit, hit + literal_.size());
      }
      split_piece(piece, spans_from_matches(piece.text.size(), matches), behavior_, invert_, out);
    });
  }

 private:
  std::string literal_;
  SplitBehavior behavior_;
  bool invert_;
};

// Splits on single characters chosen by a predicate (Digits, WhitespaceSplit, Punctuation).
template <class Predicate>
class CharSplitPreTokenizer final : public PreTokenizer {
 public:
  CharSplitPreTokenizer(Predicate predicate, SplitBehavior behavior) : predicate_(predicate), behavior_(behavior) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_pieces(pieces, [&](Piece& piece, std::vector<Piece>& out) {
      split_piece(piece, spans_from_chars(piece.text, predicate_), behavior_, false, out);
    });
  }

 private:
  Predicate predicate_;
  SplitBehavior behavior_;
};

template <class Predicate>
std::unique_ptr<PreTokenizer> make_char_split(Predicate predicate, SplitBehavior behavior) {
  return std::make_unique<CharSplitPreTokenizer<Predicate>>(predicate, behavior);
}

enum class PrependScheme { Always, First, Never };

// pre_tokenizers/metaspace.rs: spaces become the replacement character, which is prepended
// according to prepend_scheme; with split, every replacement character starts a new piece.
class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  MetaspacePreTokenizer(char32_t replacement, PrependScheme scheme, bool split)
      : replacement_(replacement), replacement_text_(to_utf8(replacement)), scheme_(scheme), split_(split) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_pieces(pieces, [&](Piece& piece, std::vector<Piece>& out) {
      std::string replaced;
      replaced.reserve(piece.text.size() + 8);
      for (char c : piece.text) {
        if (c == ' ') {
          replaced += replacement_text_;
        } else {
          replaced += c;
        }
      }
      piece.text = std::move(replaced);
      const bool starts_with_replacement = piece.text.compare(0, replacement_text_.size(), replacement_text_) == 0;
      const bool prepend = !starts_with_replacement &&
                           (scheme_ == PrependScheme::Always || (scheme_ == PrependScheme::First && piece.at_origin));
      if (prepend) piece.text.insert(0, replacement_text_);
      if (split_) {
        const char32_t r = replacement_;
        split_piece(piece, spans_from_chars(piece.text, [r](char32_t cp) { return cp == r; }),
                    SplitBehavior::MergedWithNext, false, out);
      } else if (!piece.text.empty()) {
        out.push_back(std::move(piece));
      }
    });
  }

 private:
  char32_t replacement_;
  std::string replacement_text_;
  PrependScheme scheme_;
  bool split_;
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    for (const auto& step : steps_) step->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

SplitBehavior parse_behavior(const JsonNode& node, const std::string& key, SplitBehavior fallback) {
  if (!node.has(key)) return fallback;
  std::string name = node.string(key);
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "removed") return SplitBehavior::Removed;
  if (lower == "isolated") return SplitBehavior::Isolated;
  if (lower == "mergedwithprevious" || lower == "merged_with_previous") return SplitBehavior::MergedWithPrevious;
  if (lower == "mergedwithnext" || lower == "merged_with_next") return SplitBehavior::MergedWithNext;
  if (lower == "contiguous") return SplitBehavior::Contiguous;
  node.fail_at(key, "unsupported split behavior \"" + name +
                        "\" (supported: Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous)");
}

char32_t single_char(const JsonNode& node, const std::string& key) {
  const std::string text = node.string(key);
  require_utf8(text, node.file());
  size_t i = 0;
  if (text.empty()) node.fail_at(key, "expected one character, found an empty string");
  const char32_t cp = next_code_point(text, i);
  if (i != text.size()) node.fail_at(key, "expected one character, found \"" + text + "\"");
  return cp;
}

}  // namespace

const std::string& byte_level_char(unsigned char byte) { return byte_level_table()[byte]; }

std::unique_ptr<PreTokenizer> make_byte_level_pre_tokenizer(bool add_prefix_space, bool use_regex) {
  return std::make_unique<ByteLevelPreTokenizer>(add_prefix_space, use_regex);
}

std::unique_ptr<PreTokenizer> make_regex_split_pre_tokenizer(const std::string& pattern, const std::string& file,
                                                             const std::string& field) {
  return std::make_unique<RegexSplitPreTokenizer>(std::make_unique<Regex>(pattern, file, field),
                                                  SplitBehavior::Isolated, false);
}

std::unique_ptr<PreTokenizer> make_sequence_pre_tokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) {
  return std::make_unique<SequencePreTokenizer>(std::move(steps));
}

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const JsonNode& node) {
  node.require_object();
  const std::string type = node.type();
  if (type == "ByteLevel") {
    return make_byte_level_pre_tokenizer(node.boolean_or("add_prefix_space", true), node.boolean_or("use_regex", true));
  }
  if (type == "Split") {
    const JsonNode pattern = node.child("pattern");
    pattern.require_object();
    const SplitBehavior behavior = parse_behavior(node, "behavior", SplitBehavior::Removed);
    const bool invert = node.boolean_or("invert", false);
    if (pattern.has("String")) {
      std::string literal = pattern.string("String");
      if (literal.empty()) pattern.fail_at("String", "an empty pattern is not supported");
      return std::make_unique<LiteralSplitPreTokenizer>(std::move(literal), behavior, invert);
    }
    if (pattern.has("Regex")) {
      return std::make_unique<RegexSplitPreTokenizer>(
          std::make_unique<Regex>(pattern.string("Regex"), node.file(), pattern.path_of("Regex")), behavior, invert);
    }
    pattern.fail("expected {\"String\": ...} or {\"Regex\": ...}");
  }
  if (type == "Metaspace") {
    const char32_t replacement = single_char(node, "replacement");
    PrependScheme scheme = PrependScheme::Always;
    if (node.has("prepend_scheme")) {
      const std::string s = node.string("prepend_scheme");
      if (s == "always") {
        scheme = PrependScheme::Always;
      } else if (s == "first") {
        scheme = PrependScheme::First;
      } else if (s == "never") {
        scheme = PrependScheme::Never;
      } else {
        node.fail_at("prepend_scheme", "unsupported value \"" + s + "\" (supported: always, first, never)");
      }
    } else if (node.has("add_prefix_space")) {  // the older serialization
      scheme = node.boolean_or("add_prefix_space", true) ? PrependScheme::Always : PrependScheme::Never;
    }
    return std::make_unique<MetaspacePreTokenizer>(replacement, scheme, node.boolean_or("split", true));
  }
  if (type == "Digits") {
    // pre_tokenizers/digits.rs: each digit alone, or runs of digits kept together.
    const bool individual = node.boolean_or("individual_digits", false);
    return make_char_split([](char32_t cp) { return is_numeric(cp); },
                           individual ? SplitBehavior::Isolated : SplitBehavior::Contiguous);
  }
  if (type == "Whitespace") {
    // pre_tokenizers/whitespace.rs: keep the matches of \w+|[^\w\s]+, drop the rest.
    return std::make_unique<RegexSplitPreTokenizer>(
        std::make_unique<Regex>(R"(\w+|[^\w\s]+)", node.file(), node.path()), SplitBehavior::Removed, true);
  }
  if (type == "WhitespaceSplit") {
    return make_char_split([](char32_t cp) { return is_white_space(cp); }, SplitBehavior::Removed);
  }
  if (type == "Punctuation") {
    return make_char_split([](char32_t cp) { return is_punctuation(cp); },
                           parse_behavior(node, "behavior", SplitBehavior::Isolated));
  }
  if (type == "BertPreTokenizer") {
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    steps.push_back(make_char_split([](char32_t cp) { return is_white_space(cp); }, SplitBehavior::Removed));
    steps.push_back(make_char_split([](char32_t cp) { return is_punctuation(cp); }, SplitBehavior::Isolated));
    return make_sequence_pre_tokenizer(std::move(steps));
  }
  if (type == "Sequence") {
    const JsonNode list = node.child("pretokenizers");
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (size_t i = 0; i < list.array_size(); ++i) steps.push_back(make_pre_tokenizer(list.element(i)));
    return make_sequence_pre_tokenizer(std::move(steps));
  }
  node.fail_at("type", "unsupported pre-tokenizer \"" + type +
                           "\" (supported: ByteLevel, Split, Metaspace, Digits, Whitespace, WhitespaceSplit, "
                           "Punctuation, BertPreTokenizer, Sequence)");
}

}  // namespace rb::tok
