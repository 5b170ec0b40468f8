// ropebatch: exact, fast RoPE context-extension sweeps. Dispatches to the subcommands and turns
// every error into a clear message and a distinct exit code.
#include <iostream>
#include <map>
#include <string>

#include "common/error.hpp"
#include "harness/commands.hpp"
#include "harness/grid_commands.hpp"
#include "harness/merge_command.hpp"
#include "harness/version.hpp"

namespace {

const char* kUsage =
    "usage: ropebatch COMMAND [options]   (ropebatch COMMAND --help for its options)\n"
    "\n"
    "commands:\n"
    "  eval      perplexity of one model on one text at one or more window lengths\n"
    "  tokenize  token ids of a string, as the model's own tokenizer gives them\n"
    "  inspect   architecture, sizes, dtypes, RoPE settings and tokenizer of a model\n"
    "  rope      inverse frequencies, attention scaling and wavelengths of a RoPE method\n"
    "  run       evaluate a grid of RoPE configurations (under mpirun: over many ranks), with resume\n"
    "  plan      print the runs, windows, tokens and estimated cost of a grid, and do nothing\n"
    "  grids     list the built-in grids\n"
    "  slurm     print or submit the Slurm jobs that run a grid in shards, then merge and report\n"
    "  merge     combine results files (shards) into one\n"
    "  report    Markdown tables, CSV and figures from results files\n"
    "  version   version and git commit\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace rb::cli;
  if (argc < 2) {
    std::cerr << kUsage;
    return kExitBadInput;
  }
  const std::string command = argv[1];
  const Args args(argv + 2, argv + argc);
  const std::map<std::string, int (*)(const Args&)> commands = {
      {"eval", cmd_eval},   {"tokenize", cmd_tokenize}, {"inspect", cmd_inspect}, {"rope", cmd_rope},
      {"run", cmd_run},     {"plan", cmd_plan},         {"grids", cmd_grids},     {"merge", cmd_merge},
      {"report", cmd_report}, {"slurm", cmd_slurm}};
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  if (command == "version" || command == "--version") {
    std::cout << "ropebatch " << rb::version_string() << "\n";
    return kExitOk;
  }
  auto it = commands.find(command);
  if (it == commands.end()) {
    std::cerr << "ropebatch: unknown command '" << command << "'\n" << kUsage;
    return kExitBadInput;
  }
  try {
    return it->second(args);
  } catch (const rb::InputError& e) {
    std::cerr << "ropebatch " << command << ": error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "ropebatch " << command << ": error: " << e.what() << "\n";
    return kExitFailure;
  }
}
