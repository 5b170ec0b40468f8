// `ropebatch plan`: validates a grid and prints its runs with windows, tokens and estimated FLOPs.
// Runs nothing.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>

#include "common/error.hpp"
#include "harness/grid.hpp"
#include "harness/grid_commands.hpp"
#include "harness/grid_format.hpp"
#include "harness/grid_models.hpp"
#include "harness/grid_plan.hpp"
#include "harness/options.hpp"

namespace rb::cli {

namespace {

std::string short_name(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  return name.empty() ? path : name;
}

std::string optional_number(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "-"; }

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      const bool right = c == 0 || (c >= 5 && c + 1 < row.size());  // numbers right-aligned
      const std::string pad(width[c] - row[c].size(), ' ');
      line += (c ? "  " : "") + (right ? pad + row[c] : row[c] + (c + 1 < row.size() ? pad : ""));
    }
    std::printf("%s\n", line.c_str());
  }
}

void print_text(const Grid& g, const Plan& plan) {
  std::printf("grid %s (%s): %zu runs\n\n", g.name.c_str(), g.source.c_str(), plan.runs.size());
  std::vector<std::vector<std::string>> rows = {
      {"#", "model", "dataset", "family", "label", "length", "windows", "tokens", "FLOPs", ""}};
  int64_t windows = 0, tokens = 0;
  double flops = 0;
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    const PlannedRun& p = plan.runs[i];
    rows.push_back({std::to_string(i + 1), short_name(p.spec.model), short_name(p.spec.dataset), p.spec.family,
                    p.spec.rope_label, std::to_string(p.spec.length), optional_number(p.windows),
                    optional_number(p.tokens), p.flops ? format_flops(*p.flops) : "-", p.spec.baseline ? "baseline" : ""});
    windows += p.windows.value_or(0);
    tokens += p.tokens.value_or(0);
    flops += p.flops.value_or(0);
  }
  print_table(rows);
  std::printf("\n");
  if (!plan.tokenized) {
    std::printf("tokens: (tokenized at run time)\n");
  } else {
    for (std::size_t i = 0; i < plan.runs.size(); ++i)
      if (plan.runs[i].windows && *plan.runs[i].windows == 0)
        std::printf("warning: run %zu (%s, length %lld) has no window: the text is shorter than the length\n", i + 1,
                    plan.runs[i].spec.rope_label.c_str(), static_cast<long long>(plan.runs[i].spec.length));
    std::printf("total: %zu runs, %lld windows, %lld tokens through the model, %s\n", plan.runs.size(),
                static_cast<long long>(windows), static_cast<long long>(tokens), format_flops(flops).c_str());
  }
  for (const auto& model : g.models) {
    const ModelSize size = model_size(grid_detail::grid_model_config(model));
    std::printf("model %s: %.1fM parameters (%.1fM multiplied per token, LM head included)\n", model.c_str(),
                size.params / 1e6, size.matmul_params / 1e6);
  }
  std::printf("FLOPs per window of L tokens: 2 x multiplied parameters x L + 2 x L^2 x layers x hidden (an estimate)\n");
}

nlohmann::json to_json(const Grid& g, const Plan& plan) {
  nlohmann::json runs = nlohmann::json::array();
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    const PlannedRun& p = plan.runs[i];
    nlohmann::json r = {{"index", i + 1}, {"config", p.spec.canonical()}};
    r["windows"] = p.windows ? nlohmann::json(*p.windows) : nlohmann::json(nullptr);
    r["predictions"] = p.predictions ? nlohmann::json(*p.predictions) : nlohmann::json(nullptr);
    r["tokens"] = p.tokens ? nlohmann::json(*p.tokens) : nlohmann::json(nullptr);
    r["flops"] = p.flops ? nlohmann::json(*p.flops) : nlohmann::json(nullptr);
    runs.push_back(std::move(r));
  }
  nlohmann::json models = nlohmann::json::array();
  for (const auto& model : g.models) {
    const ModelSize size = model_size(grid_detail::grid_model_config(model));
    models.push_back({{"model", model}, {"params", size.params}, {"matmul_params", size.matmul_params}});
  }
  return {{"grid", g.name}, {"source", g.source}, {"tokenized", plan.tokenized}, {"models", models}, {"runs", runs}};
}

}  // namespace

int cmd_plan(const Args& args) {
  po::options_description desc("plan options");
  std::string grid_name, format;
  std::vector<std::string> models, datasets;
  bool no_tokens = false;
  desc.add_options()
      ("grid", po::value(&grid_name)->required(), "a built-in grid (ropebatch grids lists them) or a grid .toml file")
      ("model", po::value(&models)->composing(), "replace the grid's models (repeatable)")
      ("data", po::value(&datasets)->composing(), "replace the grid's datasets (repeatable)")
      ("no-tokens", po::bool_switch(&no_tokens), "do not tokenize the datasets (windows, tokens and FLOPs are then not shown)")
      ("format", po::value(&format)->default_value("text"), "text or json");
  po::variables_map vm;
  if (!parse_or_help(args, desc, vm,
                     "usage: ropebatch plan --grid NAME|FILE.toml [--model PATH]... [--data SPEC]... [--no-tokens] "
                     "[--format text|json]"))
    return kExitOk;
  check_format(format);
  const Grid grid = load_grid(grid_name, GridOverrides{models, datasets});
  validate_grid(grid);
  const std::vector<RunSpec> runs = expand_grid(grid);
  const Plan plan = make_plan(runs, !no_tokens);
  if (format == "json") std::cout << to_json(grid, plan).dump(2) << "\n";
  else print_text(grid, plan);
  return kExitOk;
}

}  // namespace rb::cli
