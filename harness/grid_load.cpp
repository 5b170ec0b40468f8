// --grid NAME|FILE.toml -> Grid, with the command line's --model / --data applied.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "harness/builtin_grids.hpp"
#include "harness/grid.hpp"
#include "harness/grid_paths.hpp"
#include "harness/grid_suggest.hpp"

namespace rb {

namespace fs = std::filesystem;

namespace {

bool looks_like_path(const std::string& s) {
  return s.find('/') != std::string::npos || (s.size() > 5 && s.substr(s.size() - 5) == ".toml");
}

std::vector<std::string> builtin_names() {
  std::vector<std::string> names;
  for (const auto& g : builtin_grids()) names.push_back(g.name);
  return names;
}

}  // namespace

void apply_overrides(Grid& grid, const GridOverrides& overrides) {
  if (!overrides.models.empty()) {
    grid.models.clear();
    for (const auto& m : overrides.models) grid.models.push_back(grid_detail::resolve_model(m, "", "command line", "--model"));
  }
  if (!overrides.datasets.empty()) {
    grid.datasets.clear();
    for (const auto& d : overrides.datasets)
      grid.datasets.push_back(grid_detail::resolve_dataset(d, "", "command line", "--data"));
  }
  if (grid.models.empty()) throw InputError(grid.source, "models", "no models: give models = [...] in the grid or --model");
  if (grid.datasets.empty())
    throw InputError(grid.source, "datasets", "no datasets: give datasets = [...] in the grid or --data");
}

Grid load_grid(const std::string& name_or_path, const GridOverrides& overrides) {
  Grid grid;
  std::error_code ec;
  if (const BuiltinGrid* builtin = find_builtin_grid(name_or_path); builtin && !fs::is_regular_file(name_or_path, ec)) {
    grid = parse_grid(builtin->toml, "builtin grid '" + builtin->name + "'", "");
  } else if (looks_like_path(name_or_path) || fs::is_regular_file(name_or_path, ec)) {
    std::ifstream in(name_or_path);
    if (!in) throw InputError(name_or_path, "", "cannot open the grid file");
    std::stringstream text;
    text << in.rdbuf();
    grid = parse_grid(text.str(), name_or_path, fs::absolute(name_or_path).parent_path().string());
  } else {
    throw InputError("command line", "--grid",
                     "unknown grid \"" + name_or_path + "\"" + grid_detail::did_you_mean(name_or_path, builtin_names()) +
                         "; built-in grids: " + grid_detail::join(builtin_names()) + " (or give a .toml file)");
  }
  apply_overrides(grid, overrides);
  return grid;
}

}  // namespace rb
