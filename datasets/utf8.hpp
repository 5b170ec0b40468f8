#pragma once
// UTF-8 checks for dataset text: sources must be valid UTF-8 (RFC 3629) so that every tokenizer
// sees the same code points; the first bad byte's offset goes into the error message.
#include <cstddef>
#include <optional>
#include <string_view>

namespace rb::data {

// Offset of the first byte that does not start (or continue) a well-formed UTF-8 sequence
// (RFC 3629: no overlong forms, no surrogates U+D800..U+DFFF, nothing above U+10FFFF), or
// nullopt when the whole string is valid.
std::optional<std::size_t> first_invalid_utf8(std::string_view bytes);

// Python's `not s.strip()` for valid UTF-8: true when every code point is whitespace in the sense
// of Python's str.isspace() (ASCII \t \n \v \f \r space, \x1c-\x1f, U+0085, U+00A0, U+1680,
// U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000). The wikitext recipe uses it.
bool is_python_whitespace_only(std::string_view utf8);

}  // namespace rb::data
