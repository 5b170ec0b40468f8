#pragma once
// UTF-8, once for the whole tree (datasets validate sources, tokenizers walk code points).
// Validation and decoding are utf8proc's (RFC 3629: no overlong forms, no surrogates
// U+D800..U+DFFF, nothing above U+10FFFF); the two whitespace sets are the definitions that the
// reference implementations use, listed where they are defined.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace rb {

// Byte offset of the first ill-formed sequence (overlong, surrogate, > U+10FFFF, truncated), or
// nullopt when `s` is valid UTF-8.
std::optional<std::size_t> first_invalid_utf8(std::string_view s);

// Throws InputError(source, "", ...) naming the byte offset when `s` is not valid UTF-8.
void require_utf8(std::string_view s, const std::string& source);

// Decodes the code point starting at s[i] and advances i past it. A byte that starts no valid
// sequence is returned as itself and i advances by one (callers pass validated text).
char32_t next_code_point(std::string_view s, std::size_t& i);
// Number of bytes of the UTF-8 sequence whose lead byte is `lead` (1 for a byte that leads none).
std::size_t utf8_length(unsigned char lead);
void append_utf8(std::string& out, char32_t cp);
std::string to_utf8(char32_t cp);

// Rust's char::is_whitespace (the Unicode White_Space property, PropList.txt), which the
// tokenizers crate uses for Strip, WhitespaceSplit and added-token lstrip/rstrip.
bool is_white_space(char32_t cp);

// Python's `not s.strip()` for valid UTF-8: true when every code point is whitespace in the sense
// of Python's str.isspace() (ASCII \t \n \v \f \r space, \x1c-\x1f, U+0085, U+00A0, U+1680,
// U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000). The wikitext recipe uses it.
bool is_python_whitespace_only(std::string_view utf8);

}  // namespace rb
