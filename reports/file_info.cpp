#include "reports/file_info.hpp"

#include <chrono>
#include <ctime>

namespace rb::reports {

FileInfo continue_session(const FileInfo& earlier, const FileInfo& later) {
  FileInfo merged = later;
  merged.command_lines = earlier.command_lines;
  merged.command_lines.insert(merged.command_lines.end(), later.command_lines.begin(), later.command_lines.end());
  if (!earlier.started_at.empty() && (merged.started_at.empty() || earlier.started_at < merged.started_at))
    merged.started_at = earlier.started_at;  // ISO 8601 UTC strings order as times
  if (merged.ropebatch_version.empty()) merged.ropebatch_version = earlier.ropebatch_version;
  if (merged.git_commit.empty()) merged.git_commit = earlier.git_commit;
  if (merged.slice.grid_id.empty()) merged.slice = earlier.slice;
  return merged;
}

std::string utc_now_iso8601() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace rb::reports
