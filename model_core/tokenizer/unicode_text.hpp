#pragma once
// Unicode operations of the tokenizers crate's NormalizedString, on top of utf8proc (no tables
// of our own). Inputs are valid UTF-8.
#include <string>
#include <string_view>

namespace rb::tok {

enum class NormalForm { NFC, NFD, NFKC, NFKD };

// unicode-normalization's nfc()/nfd()/nfkc()/nfkd(), as NormalizedString::nfc() etc.
std::string normalize_unicode(std::string_view text, NormalForm form);
// NormalizedString::lowercase(): Rust's char::to_lowercase, one code point at a time (no
// final-sigma context; U+0130 becomes "i" + U+0307 as in Rust).
std::string lowercase(std::string_view text);
// StripAccents: drops nonspacing marks (category Mn).
std::string strip_accents(std::string_view text);

// Rust's char::is_numeric: categories Nd, Nl, No (pre_tokenizers/digits.rs).
bool is_numeric(char32_t cp);
// The regex crate's Unicode \w (letters, marks, decimal digits, connector punctuation, joiners);
// used by added tokens' single_word (added_vocabulary.rs, `^\w` / `\w$`).
bool is_word_char(char32_t cp);
// pre_tokenizers/punctuation.rs: char::is_ascii_punctuation or a Unicode P* category.
bool is_punctuation(char32_t cp);

}  // namespace rb::tok
