#pragma once
// `ropebatch run`: a grid evaluated over MPI ranks with a dynamic queue, every finished run made
// durable at once, failures isolated per run, resume by run_id, clean stop on SIGTERM/SIGINT.
#include <cstdint>
#include <optional>
#include <string>

#include "harness/grid.hpp"
#include "harness/shard.hpp"

namespace rb::sweep {

struct RunOptions {
  std::string grid;
  GridOverrides overrides;
  std::string out;
  bool resume = false;           // explicit; an existing OUT is always continued, never overwritten
  std::string backend = "cpu";
  int threads = 0;               // per rank; 0: the cores divided among the ranks of a host
  int tp = 1;                    // tensor-parallel group size: groups of tp consecutive ranks
  std::string cache_dir;         // token and text caches
  bool save_token_nll = false;
  int64_t item_tokens = 65536;   // tokens per work item (at least one window)
  std::optional<Shard> shard;    // run only this shard of the grid (harness/shard.hpp)
  std::string command_line;
  std::string format = "text";   // "json": a summary of the sweep on stdout at the end
};

// Exit codes beyond the shared ones (harness/commands.hpp).
// SIGTERM/SIGINT (to rank 0 or every rank, or to mpirun, which forwards it to every rank): rank 0
// checkpoints the finished runs and ends the job at once; items in flight are abandoned.
constexpr int kExitInterrupted = 3;   // finished runs are saved; rerun with --resume
constexpr int kExitSomeFailed = 4;    // the sweep finished but some runs failed (see the results file)

// Collective: every rank of MPI_COMM_WORLD calls it. Returns the exit code.
int run_sweep(const RunOptions& options);

}  // namespace rb::sweep
