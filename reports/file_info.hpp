#pragma once
// What a results file says about the ropebatch sessions that wrote it (its file attributes).
#include <string>
#include <vector>

namespace rb::reports {

struct FileInfo {
  std::string ropebatch_version;           // "0.1.0"
  std::string git_commit;                  // "abc1234"
  std::vector<std::string> command_lines;  // every invocation that wrote to the file, oldest first
  std::string started_at;                  // ISO 8601 UTC, when the first of them started
};

// `earlier` continued by a later session (a resume, or a merged input): command lines appended,
// the earliest start kept, version and commit of the later session.
FileInfo continue_session(const FileInfo& earlier, const FileInfo& later);

// Now as "2025-01-31T12:34:56Z".
std::string utc_now_iso8601();

}  // namespace rb::reports
