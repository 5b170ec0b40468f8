#pragma once
// "Did you mean" for grid keys, grid names and method names: the candidate nearest by edit
// distance when it is plausibly a typo.
#include <string>
#include <vector>

namespace rb::grid_detail {

// "" when no candidate is close (distance above a third of the word's length, at least 2).
std::string nearest_name(const std::string& word, const std::vector<std::string>& candidates);

// " (did you mean \"x\"?)" or "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

// "a, b, c"
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

}  // namespace rb::grid_detail
