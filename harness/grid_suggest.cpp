#include "harness/grid_suggest.hpp"

#include "common/suggest.hpp"

#include <algorithm>
#include <cctype>

namespace rb::grid_detail {

std::string nearest_name(const std::string& word, const std::vector<std::string>& candidates) {
  return rb::nearest_name(word, candidates);
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string n = nearest_name(word, candidates);
  return n.empty() ? "" : " (did you mean \"" + n + "\"?)";
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

}  // namespace rb::grid_detail
