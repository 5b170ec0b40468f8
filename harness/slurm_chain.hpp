#pragma once
// `ropebatch slurm`: the sbatch commands that run a grid as a Slurm array job (one shard per task,
// slurm/ropebatch-array.sbatch) followed by a merge-and-report job (slurm/ropebatch-merge.sbatch)
// that depends on it. docs/SLURM.md.
#include <cstdint>
#include <string>
#include <vector>

namespace rb::cli {

struct SlurmChain {
  std::string templates;               // directory holding the .sbatch templates
  std::string binary;                  // the ropebatch the jobs run (absolute)
  std::string out_dir;                 // shard-I.h5, results.h5, report/, logs
  int64_t shards = 1;
  std::vector<int64_t> tasks;          // the shards to (re)run; empty: none, only the merge
  int64_t concurrent = 0;              // at most this many tasks at once (%K); 0: no limit
  std::string dependency = "afterany"; // how the merge job waits for the array job
  std::vector<std::string> sbatch;     // extra sbatch options for both jobs
  std::vector<std::string> array_sbatch;  // extra sbatch options for the array job (GPUs)
  std::vector<std::string> run;        // ropebatch run options (--grid ... --backend ...)
  std::vector<std::string> report;     // ropebatch report options
};

// "0-2", "1,4-5": Slurm's --array list of `tasks` (sorted, distinct).
std::string array_ranges(const std::vector<int64_t>& tasks);

// The array job's sbatch words (the job id comes back on stdout with --parsable).
std::vector<std::string> array_command(const SlurmChain& c);
// The merge job's sbatch words; `after`: the array job's id, or empty for no dependency.
std::vector<std::string> merge_command(const SlurmChain& c, const std::string& after);

// A word as a POSIX shell reads it back ('...' when it holds anything but safe characters).
std::string shell_quote(const std::string& word);
std::string shell_line(const std::vector<std::string>& words);

}  // namespace rb::cli
