#include "reports/shard_set.hpp"

#include <map>

#include "common/error.hpp"

namespace rb::reports {
namespace {

std::string shard_name(const GridSlice& g) {
  return std::to_string(g.shard_index) + "/" + std::to_string(g.shard_count);
}

std::string grid_name(const GridSlice& g) { return "'" + g.grid + "' (id " + g.grid_id.substr(0, 12) + ")"; }

}  // namespace

void check_shard_set(const std::vector<std::string>& inputs, const std::vector<FileInfo>& infos,
                     const std::vector<std::size_t>& run_counts, bool allow_partial,
                     std::vector<std::string>& warnings) {
  std::size_t first = infos.size();
  for (std::size_t k = 0; k < infos.size() && first == infos.size(); ++k)
    if (infos[k].slice.sharded()) first = k;
  if (first == infos.size()) return;  // no shard: a plain union of files
  const GridSlice& ref = infos[first].slice;
  const std::string ref_desc = inputs[first] + " is shard " + shard_name(ref) + " of grid " + grid_name(ref);

  bool whole_grid = false;                       // an unsharded file of the grid is among the inputs
  std::map<int64_t, std::string> present;        // shard index -> first file holding it
  for (std::size_t k = 0; k < infos.size(); ++k) {
    const GridSlice& g = infos[k].slice;
    if (g.grid_id.empty())
      throw InputError(inputs[k], "grid_id", "missing: cannot tell whether it belongs to the grid of the shards (" +
                                                 ref_desc + "); merge shards only with files of their grid");
    if (g.grid_id != ref.grid_id)
      throw InputError(inputs[k], "grid_id", "is grid " + grid_name(g) + ", but " + ref_desc +
                                                 ": shards of different grids cannot be merged");
    if (!g.sharded()) {
      whole_grid = true;
      continue;
    }
    if (g.shard_count != ref.shard_count)
      throw InputError(inputs[k], "shard_count", "is shard " + shard_name(g) + ", but " + ref_desc +
                                                     ": shards of different splits of a grid cannot be merged");
    present.try_emplace(g.shard_index, inputs[k]);
    if (static_cast<int64_t>(run_counts[k]) < g.shard_runs) {
      const std::string problem = "holds " + std::to_string(run_counts[k]) + " of the " + std::to_string(g.shard_runs) +
                                  " runs of shard " + shard_name(g) +
                                  ": that task did not finish; run it again (the same command, with --resume)";
      if (!allow_partial) throw InputError(inputs[k], "shard_runs", problem + ", or pass --allow-partial");
      warnings.push_back(inputs[k] + ": " + problem);
    }
  }
  if (whole_grid) return;
  std::string missing, given;
  for (int64_t i = 0; i < ref.shard_count; ++i)
    if (!present.count(i)) missing += (missing.empty() ? "" : ", ") + std::to_string(i) + "/" + std::to_string(ref.shard_count);
  if (missing.empty()) return;
  for (const auto& [i, file] : present)
    given += (given.empty() ? "" : ", ") + std::to_string(i) + "/" + std::to_string(ref.shard_count) + " " + file;
  const std::string problem = std::string(missing.find(',') == std::string::npos ? "shard " : "shards ") + missing +
                              " of grid " + grid_name(ref) + " missing (given: " + given + ")";
  if (!allow_partial) throw InputError("merge", "shards", problem + "; add its results file or pass --allow-partial");
  warnings.push_back(problem + "; merged without it (--allow-partial)");
}

GridSlice merged_slice(const std::vector<FileInfo>& infos) {
  if (infos.empty() || infos.front().slice.grid_id.empty()) return {};
  const GridSlice& g = infos.front().slice;
  for (const FileInfo& info : infos)
    if (info.slice.grid_id != g.grid_id) return {};
  return GridSlice{g.grid, g.grid_id, g.grid_runs, -1, 0, 0};
}

}  // namespace rb::reports
