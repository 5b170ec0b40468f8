#pragma once
// Regular expressions of tokenizer.json (written for Oniguruma, which the tokenizers crate's
// SysRegex uses) run on PCRE2 in UTF + UCP mode. The few escapes whose meaning differs
// between the two engines are rewritten (see translate_onig_pattern).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rb::tok {

using ByteRange = std::pair<size_t, size_t>;  // [begin, end) byte offsets

// Oniguruma (Ruby syntax) -> PCRE2: \w \W become Unicode word classes as Oniguruma defines them
// (letters, marks, decimal digits, connector punctuation), \h becomes a hex digit.
std::string translate_onig_pattern(std::string_view pattern);

class Regex {
 public:
  // Throws InputError(file, field, ...) when the pattern does not compile.
  Regex(const std::string& pattern, const std::string& file, const std::string& field);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Every match, left to right, without overlaps, as the onig crate's find_iter: an empty match
  // right where the previous match ended is skipped. `text` must be valid UTF-8.
  std::vector<ByteRange> find_all(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  void* code_ = nullptr;  // pcre2_code_8
};

}  // namespace rb::tok
