#pragma once
// `ropebatch grids` (the built-in grids and what a grid contains) and `ropebatch plan` (the runs a
// grid expands to, with windows, tokens and estimated cost; runs nothing).
#include "harness/commands.hpp"

namespace rb::cli {

int cmd_grids(const Args& args);
int cmd_plan(const Args& args);

}  // namespace rb::cli
