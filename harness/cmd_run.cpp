// `ropebatch run`: evaluate a grid over MPI ranks (mpirun -n N ropebatch run --grid ...).
#include <mpi.h>

#include <filesystem>
#include <iostream>

#include "common/error.hpp"
#include "harness/commands.hpp"
#include "harness/options.hpp"
#include "harness/shard.hpp"
#include "harness/sweep_run.hpp"

namespace rb::cli {

namespace {
std::string default_cache_dir() {
  if (const char* dir = std::getenv("ROPEBATCH_CACHE")) return dir;
  if (const char* home = std::getenv("HOME")) return (std::filesystem::path(home) / ".cache" / "ropebatch").string();
  return ".ropebatch-cache";
}
}  // namespace

int cmd_run(const Args& args) {
  po::options_description desc("run options");
  sweep::RunOptions o;
  std::string shard;
  desc.add_options()
      ("grid", po::value(&o.grid)->required(), "built-in grid name (see `ropebatch grids`) or a grid .toml file")
      ("model", po::value(&o.overrides.models)->composing(), "replace the grid's models (repeatable)")
      ("data", po::value(&o.overrides.datasets)->composing(), "replace the grid's datasets (repeatable)")
      ("out", po::value(&o.out)->default_value("results.h5"), "HDF5 results file")
      ("resume", po::bool_switch(&o.resume), "continue OUT, skipping runs already complete there (without it an existing OUT is an error)")
      ("backend", po::value(&o.backend)->default_value("cpu"), "cpu or cuda (one process per GPU)")
      ("threads", po::value(&o.threads)->default_value(0), "CPU threads per rank (0: the host's cores divided among its ranks)")
      ("tp", po::value(&o.tp)->default_value(1), "tensor-parallel group size: groups of N consecutive ranks, each scoring one item at a time together (N must divide the ranks and every model's heads); CPU (MPI) or CUDA (NCCL, one GPU per rank)")
      ("shard", po::value(&shard), "run only shard I of N (I/N, 0 <= I < N; auto: from the Slurm array task), split by estimated cost")
      ("cache-dir", po::value(&o.cache_dir)->default_value(default_cache_dir()), "token and text caches")
      ("save-token-nll", po::bool_switch(&o.save_token_nll), "store per-token NLL (chunked, compressed)")
      ("item-tokens", po::value(&o.item_tokens)->default_value(65536), "tokens per work item handed to a rank")
      ("format", po::value(&o.format)->default_value("text"), "text, or json: a summary of what ran, failed and was skipped, and where, on stdout");
  po::variables_map vm;
  if (!parse_or_help(args, desc, vm,
                     "usage: [mpirun -n N] ropebatch run --grid NAME|FILE.toml [--model PATH]... [--data SPEC]... "
                     "[--out results.h5] [--resume] [--backend cpu|cuda] [--tp N] [--shard I/N|auto]"))
    return kExitOk;
  check_format(o.format);
  if (o.tp < 1) throw InputError("command line", "--tp", "must be >= 1");
  if (!shard.empty()) o.shard = parse_shard(shard);
  if (o.item_tokens < 1) throw InputError("command line", "--item-tokens", "must be >= 1");
  o.command_line = "ropebatch run";
  for (const auto& a : args) o.command_line += " " + a;

  // Under --tp, rank 0's scoring thread runs group 0's collectives while its main thread
  // coordinates: both call MPI at once.
  const int wanted = o.tp > 1 ? MPI_THREAD_MULTIPLE : MPI_THREAD_SERIALIZED;
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, wanted, &provided);
  if (provided < wanted) {
    std::cerr << "ropebatch run: error: --tp " << o.tp << " needs an MPI library with MPI_THREAD_MULTIPLE; this one "
              << "provides level " << provided << " of " << MPI_THREAD_MULTIPLE << "\n";
    MPI_Finalize();
    return kExitFailure;
  }
  int code = kExitFailure;
  try {
    code = sweep::run_sweep(o);
  } catch (const InputError& e) {
    std::cerr << "ropebatch run: error: " << e.what() << "\n";
    MPI_Abort(MPI_COMM_WORLD, kExitBadInput);
  } catch (const std::exception& e) {
    std::cerr << "ropebatch run: error: " << e.what() << "\n";
    MPI_Abort(MPI_COMM_WORLD, kExitFailure);
  }
  MPI_Finalize();
  return code;
}

}  // namespace rb::cli
