#pragma once
// `ropebatch merge`: the union of several results files (e.g. one per shard) by run_id. A run found
// in more than one input must agree: same configuration, same status, same numbers bit for bit
// (where, when and how fast it ran may differ); the first input's copy is kept.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "reports/file_info.hpp"
#include "reports/run_record.hpp"

namespace rb::reports {

// The first field on which two records of one run differ ("ppl", "window_nll[3]", ...), or nullopt
// when they agree. NaN equals NaN; otherwise numbers compare by their bits.
std::optional<std::string> first_difference(const RunRecord& a, const RunRecord& b);

struct MergeResult {
  std::vector<RunRecord> records;   // in input order, first occurrence of each run_id
  FileInfo info;                    // command lines of every input, then this merge's
  std::size_t duplicates = 0;       // runs found again (and agreeing) in a later input
  std::vector<std::string> warnings;
  std::vector<FileInfo> input_infos;      // each input's own sessions, in input order
  std::vector<std::size_t> input_runs;    // runs read from each input
};

// Reads every input (with its journal, if any). Conflicting duplicates -> rb::InputError naming
// both files, the run and the field.
MergeResult merge_results(const std::vector<std::string>& inputs, const FileInfo& merge_session);

struct MergeOptions {
  bool allow_partial = false;  // merge a shard set with shards missing or unfinished (a warning each)
};

// merge_results, then the shard checks of shard_set.hpp, then writes `output` atomically.
// `output` must not exist and must not be an input.
MergeResult merge_files(const std::string& output, const std::vector<std::string>& inputs,
                        const FileInfo& merge_session, const MergeOptions& options = {});

}  // namespace rb::reports
