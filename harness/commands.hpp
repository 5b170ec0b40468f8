#pragma once
// The `ropebatch` subcommands. Each takes the arguments after its name and returns the exit code.
#include <string>
#include <vector>

namespace rb::cli {

using Args = std::vector<std::string>;

int cmd_eval(const Args& args);
int cmd_tokenize(const Args& args);
int cmd_inspect(const Args& args);
int cmd_rope(const Args& args);
int cmd_run(const Args& args);
int cmd_slurm(const Args& args);   // `ropebatch slurm`: the array job and merge job of a sharded grid
int cmd_report(const Args& args);
int cmd_qroar(const Args& args);  // `ropebatch qroar`: Q-ROAR band scales for W_Q / W_K (docs/QROAR.md)  // `ropebatch report`: Markdown, CSV and figures from results

// Exit codes shared by every command.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;     // a run failed (runtime error)
constexpr int kExitBadInput = 2;    // bad command line or input file

}  // namespace rb::cli
