// `ropebatch grids`: lists the built-in grids, or shows one grid's contents.
#include <cstdio>
#include <iostream>

#include "common/error.hpp"
#include "harness/builtin_grids.hpp"
#include "harness/grid.hpp"
#include "harness/grid_commands.hpp"
#include "harness/grid_format.hpp"
#include "harness/options.hpp"

namespace rb::cli {

int cmd_grids(const Args& args) {
  po::options_description desc("grids options");
  std::string show, format;
  std::vector<std::string> models, datasets;
  desc.add_options()
      ("show", po::value(&show)->default_value(""), "a built-in grid's name or a grid .toml file: print its settings and every configuration")
      ("model", po::value(&models)->composing(), "replace the grid's models (repeatable)")
      ("data", po::value(&datasets)->composing(), "replace the grid's datasets (repeatable)")
      ("format", po::value(&format)->default_value("text"), "text, json, markdown (with --show), or toml (a built-in's source)");
  po::variables_map vm;
  if (!parse_or_help(args, desc, vm, "usage: ropebatch grids [--show NAME|FILE.toml] [--format text|json|markdown|toml]"))
    return kExitOk;
  if (format != "text" && format != "json" && format != "markdown" && format != "toml")
    throw InputError("command line", "--format", "'" + format + "' is not one of text, json, markdown, toml");
  const GridOverrides overrides{models, datasets};

  if (show.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& b : builtin_grids()) {
      const Grid g = load_grid(b.name, overrides);
      list.push_back({{"name", g.name}, {"runs", count_runs(g)}, {"description", g.description}});
    }
    if (format == "json") {
      std::cout << list.dump(2) << "\n";
    } else if (format == "text") {
      std::printf("%-8s %6s  %s\n", "grid", "runs", "description");
      for (const auto& g : list)
        std::printf("%-8s %6lld  %s\n", g["name"].get<std::string>().c_str(),
                    static_cast<long long>(g["runs"].get<int64_t>()), g["description"].get<std::string>().c_str());
      std::printf("\nruns: for the grid's models and datasets (one each by default); ropebatch grids --show NAME lists them\n");
    } else {
      throw InputError("command line", "--format", "'" + format + "' needs --show NAME");
    }
    return kExitOk;
  }

  if (format == "toml") {
    const BuiltinGrid* b = find_builtin_grid(show);
    if (!b) throw InputError("command line", "--show", "--format toml prints built-in grids only; \"" + show + "\" is none");
    std::cout << b->toml;
    return kExitOk;
  }
  const Grid g = load_grid(show, overrides);
  if (format == "json") std::cout << grid_to_json(g).dump(2) << "\n";
  else if (format == "markdown") std::cout << grid_to_markdown(g);
  else std::cout << grid_to_text(g);
  return kExitOk;
}

}  // namespace rb::cli
