#include "common/utf8.hpp"

#include <utf8proc.h>

#include "common/error.hpp"

namespace rb {
namespace {

// Length of the valid sequence at s[i] with its code point, or 0 when it is ill-formed.
std::size_t decode(std::string_view s, std::size_t i, char32_t& cp) {
  utf8proc_int32_t value = 0;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i);
  const utf8proc_ssize_t len = utf8proc_iterate(p, static_cast<utf8proc_ssize_t>(s.size() - i), &value);
  if (len <= 0 || value < 0) return 0;
  cp = static_cast<char32_t>(value);
  return static_cast<std::size_t>(len);
}

bool python_isspace(char32_t cp) {
  if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F)) return true;
  switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

}  // namespace

std::optional<std::size_t> first_invalid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {  // ASCII runs without a call
      ++i;
      continue;
    }
    char32_t cp = 0;
    const std::size_t len = decode(s, i, cp);
    if (len == 0) return i;
    i += len;
  }
  return std::nullopt;
}

void require_utf8(std::string_view s, const std::string& source) {
  if (auto bad = first_invalid_utf8(s))
    throw InputError(source, "", "text is not valid UTF-8 (first bad byte at offset " + std::to_string(*bad) + ")");
}

std::size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

char32_t next_code_point(std::string_view s, std::size_t& i) {
  char32_t cp = 0;
  const std::size_t len = decode(s, i, cp);
  if (len == 0) return static_cast<unsigned char>(s[i++]);
  i += len;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  utf8proc_uint8_t buf[4];
  const utf8proc_ssize_t n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(cp), buf);
  out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
}

std::string to_utf8(char32_t cp) {
  std::string s;
  append_utf8(s, cp);
  return s;
}

bool is_white_space(char32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

bool is_python_whitespace_only(std::string_view utf8) {
  std::size_t i = 0;
  while (i < utf8.size()) {
    char32_t cp = 0;
    const std::size_t len = decode(utf8, i, cp);
    if (len == 0 || !python_isspace(cp)) return false;
    i += len;
  }
  return true;
}

}  // namespace rb
