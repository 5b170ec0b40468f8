#pragma once
// Whether results files handed to `ropebatch merge` make up their grid: when any input is a shard
// (`run --shard I/N`), every input must be of that grid and split, no shard may be missing and each
// shard file must hold all of its runs. docs/SLURM.md, "Merging".
#include <cstddef>
#include <string>
#include <vector>

#include "reports/file_info.hpp"

namespace rb::reports {

// infos[k] and run_counts[k]: the file info and the number of runs of inputs[k]. Different grids
// or splits -> rb::InputError always; a missing or incomplete shard -> rb::InputError naming it,
// or, with allow_partial, a line in `warnings`.
void check_shard_set(const std::vector<std::string>& inputs, const std::vector<FileInfo>& infos,
                     const std::vector<std::size_t>& run_counts, bool allow_partial,
                     std::vector<std::string>& warnings);

// The grid of a merge of files with these infos: theirs when they all share one grid (not a
// shard any more), else none.
GridSlice merged_slice(const std::vector<FileInfo>& infos);

}  // namespace rb::reports
