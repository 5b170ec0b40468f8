#pragma once
// The grids that ship with ropebatch (`ropebatch grids` lists them; `--grid NAME` picks one). Each
// is grid TOML, read by the same parser as a grid file; docs/GRIDS.md shows their contents.
#include <string>
#include <vector>

namespace rb {

struct BuiltinGrid {
  std::string name;
  std::string toml;
};

const std::vector<BuiltinGrid>& builtin_grids();

// nullptr when there is no built-in grid of that name.
const BuiltinGrid* find_builtin_grid(const std::string& name);

}  // namespace rb
