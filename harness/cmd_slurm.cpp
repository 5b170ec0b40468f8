// `ropebatch slurm`: prints (or submits) the Slurm jobs that run a grid in N shards, then merge and
// report them. Shards whose results file is already complete are left out, so submitting the same
// command again after a partial failure runs only what is missing.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "common/error.hpp"
#include "harness/grid.hpp"
#include "harness/options.hpp"
#include "harness/slurm_chain.hpp"
#include "reports/results_store.hpp"

namespace rb::cli {
namespace {

namespace fs = std::filesystem;

std::string default_templates() {
  if (const char* dir = std::getenv("RB_SLURM_TEMPLATES")) return dir;
  return RB_SLURM_TEMPLATES;
}

// Whether OUT_DIR/shard-I.h5 holds all runs of shard I/N of grid `grid` (then it need not run again).
bool shard_complete(const std::string& out_dir, int64_t index, int64_t count, const std::string& grid) {
  const std::string path = out_dir + "/shard-" + std::to_string(index) + ".h5";
  if (!fs::exists(path) && !fs::exists(reports::journal_path_for(path))) return false;
  try {
    const reports::ResultsFile file = reports::read_results_file(path);
    const reports::GridSlice& g = file.info.slice;
    return g.grid == grid && g.shard_count == count && g.shard_index == index &&
           static_cast<int64_t>(file.records.size()) >= g.shard_runs && !fs::exists(reports::journal_path_for(path));
  } catch (const std::exception&) {
    return false;  // unreadable: run the task again and let it say what is wrong
  }
}

// Runs a shell command line, returns what it printed; a failure -> rb::Error with its output.
std::string run_capture(const std::string& line) {
  FILE* pipe = ::popen((line + " 2>&1").c_str(), "r");
  if (!pipe) throw Error("cannot run: " + line);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = ::pclose(pipe);
  if (status != 0) throw Error("sbatch failed: " + line + "\n" + out);
  return out;
}

// `sbatch --parsable` prints "JOBID" or "JOBID;CLUSTER".
std::string job_id(const std::string& output) {
  const auto end = output.find_first_of(";\n");
  const std::string id = output.substr(0, end);
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw Error("sbatch did not print a job id: " + output);
  return id;
}

}  // namespace

int cmd_slurm(const Args& args) {
  po::options_description desc("slurm options");
  GridOverrides overrides;
  std::string grid_name, backend;
  SlurmChain c;
  int64_t gpus = -1;
  bool submit = false;
  desc.add_options()
      ("grid", po::value(&grid_name)->required(), "built-in grid name or a grid .toml file")
      ("model", po::value(&overrides.models)->composing(), "replace the grid's models (repeatable)")
      ("data", po::value(&overrides.datasets)->composing(), "replace the grid's datasets (repeatable)")
      ("shards", po::value(&c.shards)->required(), "number of shards, one array task each")
      ("out-dir", po::value(&c.out_dir)->default_value("sweep"), "shard-I.h5, results.h5, report/ and the logs")
      ("backend", po::value(&backend)->default_value("cpu"), "cpu or cuda")
      ("gpus-per-shard", po::value(&gpus), "GPUs (and MPI ranks) per array task (default: 1 with cuda, none with cpu)")
      ("concurrent", po::value(&c.concurrent)->default_value(0), "at most this many tasks at once (--array=...%K; 0: no limit)")
      ("dependency", po::value(&c.dependency)->default_value("afterany"), "afterany (merge once every task ended; it refuses a missing or unfinished shard) or afterok")
      ("sbatch-arg", po::value(&c.sbatch)->composing(), "extra sbatch option for both jobs, e.g. --sbatch-arg=--partition=gpu (repeatable)")
      ("run-arg", po::value(&c.run)->composing(), "extra `ropebatch run` option, e.g. --run-arg=--save-token-nll (repeatable)")
      ("report-arg", po::value(&c.report)->composing(), "extra `ropebatch report` option, e.g. --report-arg=--no-png (repeatable)")
      ("templates", po::value(&c.templates)->default_value(default_templates()), "directory of the .sbatch templates")
      ("submit", po::bool_switch(&submit), "submit the jobs with sbatch instead of printing the commands");
  po::variables_map vm;
  if (!parse_or_help(args, desc, vm,
                     "usage: ropebatch slurm --grid NAME|FILE.toml --shards N [--model PATH]... [--data SPEC]... "
                     "[--out-dir DIR] [--backend cpu|cuda] [--concurrent K] [--submit]"))
    return kExitOk;
  if (c.shards < 1) throw InputError("command line", "--shards", "must be >= 1");
  if (c.concurrent < 0) throw InputError("command line", "--concurrent", "must be >= 0");
  if (c.dependency != "afterany" && c.dependency != "afterok")
    throw InputError("command line", "--dependency", "'" + c.dependency + "': expected afterany or afterok");
  if (backend != "cpu" && backend != "cuda")
    throw InputError("command line", "--backend", "'" + backend + "': expected cpu or cuda");
  for (const char* name : {"ropebatch-array.sbatch", "ropebatch-merge.sbatch"})
    if (!fs::exists(fs::path(c.templates) / name))
      throw InputError(c.templates, name, "no such template; point --templates at ropebatch's slurm/ directory");
  const Grid grid = load_grid(grid_name, overrides);
  const auto runs = expand_grid(grid);
  validate_grid(grid, runs);

  c.templates = fs::absolute(c.templates).lexically_normal().string();
  c.out_dir = fs::absolute(c.out_dir).lexically_normal().string();
  c.binary = fs::read_symlink("/proc/self/exe").string();
  if (gpus < 0) gpus = backend == "cuda" ? 1 : 0;
  if (gpus > 0)
    c.array_sbatch = {"--gpus-per-node=" + std::to_string(gpus), "--ntasks-per-node=" + std::to_string(gpus)};
  // A grid file named relative to here is found from wherever the jobs start.
  const std::string grid_arg = fs::is_regular_file(grid_name) ? fs::absolute(grid_name).string() : grid_name;
  std::vector<std::string> run = {"--grid", grid_arg};
  for (const auto& m : overrides.models) run.insert(run.end(), {"--model", m});
  for (const auto& d : overrides.datasets) run.insert(run.end(), {"--data", d});
  run.insert(run.end(), {"--backend", backend});
  c.run.insert(c.run.begin(), run.begin(), run.end());
  for (int64_t i = 0; i < c.shards; ++i)
    if (!shard_complete(c.out_dir, i, c.shards, grid.name)) c.tasks.push_back(i);

  std::printf("# grid %s (%zu runs) in %lld shards: %zu to run (%lld complete in %s)\n", grid.name.c_str(), runs.size(),
              static_cast<long long>(c.shards), c.tasks.size(),
              static_cast<long long>(c.shards - static_cast<int64_t>(c.tasks.size())), c.out_dir.c_str());
  if (!submit) {
    std::printf("mkdir -p %s\n", shell_quote(c.out_dir).c_str());
    if (!c.tasks.empty()) std::printf("array=$(%s)\n", shell_line(array_command(c)).c_str());
    std::string merge = shell_line(merge_command(c, c.tasks.empty() ? "" : "ARRAY_JOB"));
    if (const auto at = merge.find(":ARRAY_JOB"); at != std::string::npos) merge.replace(at, 10, ":$array");
    std::printf("%s\n", merge.c_str());
    return kExitOk;
  }
  fs::create_directories(c.out_dir);
  std::string array;
  if (!c.tasks.empty()) {
    array = job_id(run_capture(shell_line(array_command(c))));
    std::printf("submitted array job %s: shards %s of %lld\n", array.c_str(), array_ranges(c.tasks).c_str(),
                static_cast<long long>(c.shards));
  }
  const std::string merge = job_id(run_capture(shell_line(merge_command(c, array))));
  std::printf("submitted merge-and-report job %s%s\n", merge.c_str(),
              array.empty() ? "" : (" (" + c.dependency + ":" + array + ")").c_str());
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace rb::cli
