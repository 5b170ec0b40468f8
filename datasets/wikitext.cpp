#include "datasets/wikitext.hpp"

#include "common/utf8.hpp"

namespace rb::data {

std::string join_wikitext_rows(std::string_view raw) {
  // 1. Universal newlines.
  std::string text;
  text.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r') {
      text.push_back('\n');
      if (i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
    } else {
      text.push_back(raw[i]);
    }
  }
  // 2-4. Rows keep their "\n"; blank rows become ""; join with "\n\n".
  std::string joined;
  joined.reserve(text.size() + text.size() / 8);
  bool first = true;
  std::size_t begin = 0;
  while (begin < text.size()) {
    const std::size_t newline = text.find('\n', begin);
    const std::size_t end = newline == std::string::npos ? text.size() : newline + 1;
    const std::string_view row(text.data() + begin, end - begin);
    if (!first) joined += "\n\n";
    first = false;
    if (!is_python_whitespace_only(row)) joined += row;
    begin = end;
  }
  return joined;
}

}  // namespace rb::data
