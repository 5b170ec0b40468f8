#pragma once
#include <string>

namespace rb {
// "0.1.0 (commit abc1234)"
std::string version_string();
std::string git_commit();
}  // namespace rb
