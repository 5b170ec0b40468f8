#include "harness/version.hpp"

namespace rb {
std::string git_commit() { return ROPEBATCH_GIT_COMMIT; }
std::string version_string() { return std::string(ROPEBATCH_VERSION) + " (commit " + git_commit() + ")"; }
}  // namespace rb
