#pragma once
// UTF-8 helpers shared by the tokenizer pipeline. Text reaching the pipeline has been validated
// once (first_invalid_utf8), so the decoders below may assume well-formed input.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace rb::tok {

// Byte offset of the first ill-formed sequence (overlong, surrogate, > U+10FFFF, truncated), or
// nullopt when `s` is valid UTF-8.
std::optional<size_t> first_invalid_utf8(std::string_view s);

// Throws InputError(source, "", ...) naming the byte offset when `s` is not valid UTF-8.
void require_utf8(std::string_view s, const std::string& source);

// Decodes the code point starting at s[i] (valid UTF-8) and advances i past it.
char32_t next_code_point(std::string_view s, size_t& i);
// Number of bytes of the UTF-8 sequence whose lead byte is `lead`.
size_t utf8_length(unsigned char lead);
void append_utf8(std::string& out, char32_t cp);
std::string to_utf8(char32_t cp);

// Rust's char::is_whitespace (the Unicode White_Space property), which the tokenizers crate
// uses for Strip, WhitespaceSplit and added-token lstrip/rstrip.
bool is_white_space(char32_t cp);

}  // namespace rb::tok
