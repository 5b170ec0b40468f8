#include "model_core/tokenizer/normalizers.hpp"

#include <vector>

#include "model_core/tokenizer/regex.hpp"
#include "model_core/tokenizer/unicode_text.hpp"
#include "common/utf8.hpp"

namespace rb::tok {
namespace {

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(NormalForm form) : form_(form) {}
  void normalize(std::string& text) const override { text = normalize_unicode(text, form_); }

 private:
  NormalForm form_;
};

class LowercaseNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override { text = lowercase(text); }
};

class StripAccentsNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override { text = strip_accents(text); }
};

// normalizers/strip.rs: NormalizedString::lstrip/rstrip (char::is_whitespace).
class StripNormalizer final : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& text) const override {
    size_t begin = 0, end = text.size();
    if (left_) {
      while (begin < text.size()) {
        size_t next = begin;
        if (!is_white_space(next_code_point(text, next))) break;
        begin = next;
      }
    }
    if (right_) {
      size_t i = begin;
      size_t last_non_space_end = begin;
      while (i < text.size()) {
        const char32_t cp = next_code_point(text, i);
        if (!is_white_space(cp)) last_non_space_end = i;
      }
      end = last_non_space_end;
    }
    text = text.substr(begin, end - begin);
  }

 private:
  bool left_, right_;
};

// normalizers/prepend.rs: only non-empty text gets the prefix.
class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  void normalize(std::string& text) const override {
    if (!text.empty()) text.insert(0, prefix_);
  }

 private:
  std::string prefix_;
};

// normalizers/replace.rs with a literal pattern: every non-overlapping occurrence, left to right.
class LiteralReplaceNormalizer final : public Normalizer {
 public:
  LiteralReplaceNormalizer(std::string literal, std::string content)
      : literal_(std::move(literal)), content_(std::move(content)) {}
  void normalize(std::string& text) const override {
    if (text.find(literal_) == std::string::npos) return;
    std::string out;
    out.reserve(text.size() + 8);
    size_t pos = 0;
    for (size_t hit; (hit = text.find(literal_, pos)) != std::string::npos; pos = hit + literal_.size()) {
      out.append(text, pos, hit - pos);
      out += content_;
    }
    out.append(text, pos, std::string::npos);
    text = std::move(out);
  }

 private:
  std::string literal_, content_;
};

class RegexReplaceNormalizer final : public Normalizer {
 public:
  RegexReplaceNormalizer(std::unique_ptr<Regex> regex, std::string content)
      : regex_(std::move(regex)), content_(std::move(content)) {}
  void normalize(std::string& text) const override {
    const auto matches = regex_->find_all(text);
    if (matches.empty()) return;
    std::string out;
    size_t pos = 0;
    for (const auto& [begin, end] : matches) {
      out.append(text, pos, begin - pos);
      out += content_;
      pos = end;
    }
    out.append(text, pos, std::string::npos);
    text = std::move(out);
  }

 private:
  std::unique_ptr<Regex> regex_;
  std::string content_;
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  void normalize(std::string& text) const override {
    for (const auto& step : steps_) step->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

std::unique_ptr<Normalizer> make_prepend_normalizer(std::string prepend) {
  return std::make_unique<PrependNormalizer>(std::move(prepend));
}
std::unique_ptr<Normalizer> make_replace_normalizer(std::string literal, std::string content) {
  return std::make_unique<LiteralReplaceNormalizer>(std::move(literal), std::move(content));
}
std::unique_ptr<Normalizer> make_nfc_normalizer() { return std::make_unique<UnicodeNormalizer>(NormalForm::NFC); }
std::unique_ptr<Normalizer> make_sequence_normalizer(std::vector<std::unique_ptr<Normalizer>> steps) {
  return std::make_unique<SequenceNormalizer>(std::move(steps));
}

std::unique_ptr<Normalizer> make_normalizer(const JsonNode& node) {
  node.require_object();
  const std::string type = node.type();
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(NormalForm::NFC);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(NormalForm::NFD);
  if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(NormalForm::NFKC);
  if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(NormalForm::NFKD);
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
  if (type == "Strip") {
    return std::make_unique<StripNormalizer>(node.boolean_or("strip_left", true), node.boolean_or("strip_right", true));
  }
  if (type == "Prepend") return make_prepend_normalizer(node.string("prepend"));
  if (type == "Replace") {
    const JsonNode pattern = node.child("pattern");
    pattern.require_object();
    const std::string content = node.string("content");
    if (pattern.has("String")) {
      std::string literal = pattern.string("String");
      if (literal.empty()) pattern.fail_at("String", "an empty pattern is not supported");
      return make_replace_normalizer(std::move(literal), content);
    }
    if (pattern.has("Regex")) {
      auto regex = std::make_unique<Regex>(pattern.string("Regex"), node.file(), pattern.path_of("Regex"));
      return std::make_unique<RegexReplaceNormalizer>(std::move(regex), content);
    }
    pattern.fail("expected {\"String\": ...} or {\"Regex\": ...}");
  }
  if (type == "Sequence") {
    const JsonNode list = node.child("normalizers");
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (size_t i = 0; i < list.array_size(); ++i) steps.push_back(make_normalizer(list.element(i)));
    return make_sequence_normalizer(std::move(steps));
  }
  node.fail_at("type", "unsupported normalizer \"" + type +
                           "\" (supported: NFC, NFD, NFKC, NFKD, Lowercase, StripAccents, Strip, Prepend, Replace, "
                           "Sequence)");
}

}  // namespace rb::tok
