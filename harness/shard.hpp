#pragma once
// `--shard I/N`: one of N deterministic slices of a grid, balanced by the cost `plan` estimates
// (tokens through the model and attention FLOPs), not by the number of runs. docs/SLURM.md.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace rb {

struct Shard {
  int64_t index = 0;  // 0 <= index < count
  int64_t count = 1;
};

// "I/N" (0 <= I < N) -> Shard; "auto" -> shard_from_slurm(getenv). Anything else, or I outside
// [0, N) -> rb::InputError("command line", "--shard", ...).
using GetEnv = std::function<const char*(const char*)>;
Shard parse_shard(const std::string& text, const GetEnv& getenv);
Shard parse_shard(const std::string& text);  // with the process environment

// I = SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN, N = SLURM_ARRAY_TASK_COUNT (or MAX - MIN + 1).
// Outside a Slurm array job (no SLURM_ARRAY_TASK_ID) or with a stepped array -> rb::InputError.
Shard shard_from_slurm(const GetEnv& getenv);

// The shard of every run: longest (costliest) first onto the least loaded shard, ties by the run's
// position in the grid and then the lowest shard, so every rank and every array task computes the
// same split from the same grid.
std::vector<int64_t> assign_shards(const std::vector<double>& costs, int64_t count);

// Identity of a grid: SHA-256 of its sorted run_ids (which hash the models and datasets by content).
std::string grid_identity(std::vector<std::string> run_ids);

}  // namespace rb
