#pragma once
// What a results file says about the ropebatch sessions that wrote it (its file attributes).
#include <cstdint>
#include <string>
#include <vector>

namespace rb::reports {

// Which grid a `ropebatch run` file belongs to, and which shard of it (`run --shard I/N`). An empty
// grid_id: not known (files of older versions, merges of files from several grids).
struct GridSlice {
  std::string grid;           // the grid's name ("smoke")
  std::string grid_id;        // SHA-256 of the grid's sorted run_ids (models and datasets by content)
  int64_t grid_runs = 0;      // runs in the whole grid
  int64_t shard_index = -1;   // 0 <= shard_index < shard_count
  int64_t shard_count = 0;    // 0: the whole grid, not a shard
  int64_t shard_runs = 0;     // runs of the grid assigned to this shard
  bool sharded() const { return shard_count > 0; }
  bool operator==(const GridSlice&) const = default;
};

struct FileInfo {
  std::string ropebatch_version;           // "0.1.0"
  std::string git_commit;                  // "abc1234"
  std::vector<std::string> command_lines;  // every invocation that wrote to the file, oldest first
  std::string started_at;                  // ISO 8601 UTC, when the first of them started
  GridSlice slice;                         // the grid (and shard) of the runs that wrote it
};

// `earlier` continued by a later session (a resume, or a merged input): command lines appended,
// the earliest start kept, version and commit of the later session, its grid slice when it has one.
FileInfo continue_session(const FileInfo& earlier, const FileInfo& later);

// Now as "2025-01-31T12:34:56Z".
std::string utc_now_iso8601();

}  // namespace rb::reports
