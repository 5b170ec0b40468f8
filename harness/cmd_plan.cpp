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
#include "harness/qroar_run.hpp"
#include "harness/shard.hpp"

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

// Which runs `plan --shard I/N` shows, and the cost of every shard.
struct ShardView {
  std::optional<Shard> shard;
  std::vector<int64_t> shard_of;   // per run
  std::vector<double> shard_cost;  // per shard
  bool shows(std::size_t run) const { return !shard || shard_of[run] == shard->index; }
};

ShardView view_shard(const Plan& plan, const std::optional<Shard>& shard) {
  ShardView v{shard, std::vector<int64_t>(plan.runs.size(), 0), {}};
  if (!shard) return v;
  std::vector<double> costs;
  for (const PlannedRun& p : plan.runs) costs.push_back(p.flops.value_or(0.0));
  v.shard_of = assign_shards(costs, shard->count);
  v.shard_cost.assign(static_cast<std::size_t>(shard->count), 0.0);
  for (std::size_t i = 0; i < costs.size(); ++i) v.shard_cost[static_cast<std::size_t>(v.shard_of[i])] += costs[i];
  return v;
}

void print_shard(const ShardView& v) {
  if (!v.shard) return;
  const auto count = std::count(v.shard_of.begin(), v.shard_of.end(), v.shard->index);
  double total = 0;
  for (double c : v.shard_cost) total += c;
  const auto [lo, hi] = std::minmax_element(v.shard_cost.begin(), v.shard_cost.end());
  std::printf("shard %lld/%lld: %lld of %zu runs, %s of %s (shards from %s to %s, mean %s)\n",
              static_cast<long long>(v.shard->index), static_cast<long long>(v.shard->count),
              static_cast<long long>(count), v.shard_of.size(),
              format_flops(v.shard_cost[static_cast<std::size_t>(v.shard->index)]).c_str(), format_flops(total).c_str(),
              format_flops(*lo).c_str(), format_flops(*hi).c_str(),
              format_flops(total / static_cast<double>(v.shard_cost.size())).c_str());
}

// qroar = "search": one search per (model, quantization, RoPE configuration), before the runs.
void print_qroar_searches(const Grid& g, const Plan& plan, const ShardView& view) {
  if (!g.qroar) return;
  std::set<std::string> searches;
  int64_t evaluations = 0;
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    const RunSpec& spec = plan.runs[i].spec;
    if (!view.shows(i) || !spec.qroar.contains("search")) continue;
    if (!searches.insert(spec.model + "|" + spec.quant + "|" + spec.rope.dump() + "|" + spec.qroar.dump()).second) continue;
    cli::QroarSearchOptions o;
    o.bands = cli::parse_qroar_bands(g.qroar->bands, g.qroar->wavelength_margin, g.source, "qroar.bands");
    o.per_layer = g.qroar->scope == "layer";
    o.grid = g.qroar->grid;
    o.passes = static_cast<int>(g.qroar->passes);
    evaluations += cli::qroar_search_evaluations(o, grid_detail::grid_model_config(spec.model));
  }
  std::printf("Q-ROAR: %zu search(es) before the runs (qroar = \"search\"), %lld dev-set evaluations at most in all, each %lld "
              "long window(s) on %s and the short windows over the same tokens; kept in CACHE/qroar for later sweeps\n",
              searches.size(), static_cast<long long>(evaluations), static_cast<long long>(g.qroar->dev_windows),
              g.qroar->data.c_str());
}

void print_text(const Grid& g, const Plan& plan, const ShardView& view) {
  std::printf("grid %s (%s): %zu runs\n", g.name.c_str(), g.source.c_str(), plan.runs.size());
  print_shard(view);
  std::printf("\n");
  std::vector<std::vector<std::string>> rows = {
      {"#", "model", "dataset", "family", "label", "length", "windows", "tokens", "FLOPs", ""}};
  int64_t windows = 0, tokens = 0;
  double flops = 0;
  std::size_t shown = 0;
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    if (!view.shows(i)) continue;
    ++shown;
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
      if (view.shows(i) && plan.runs[i].windows && *plan.runs[i].windows == 0)
        std::printf("warning: run %zu (%s, length %lld) has no window: the text is shorter than the length\n", i + 1,
                    plan.runs[i].spec.rope_label.c_str(), static_cast<long long>(plan.runs[i].spec.length));
    std::printf("total: %zu runs, %lld windows, %lld tokens through the model, %s\n", shown,
                static_cast<long long>(windows), static_cast<long long>(tokens), format_flops(flops).c_str());
  }
  for (const auto& model : g.models) {
    const ModelSize size = model_size(grid_detail::grid_model_config(model));
    std::printf("model %s: %.1fM parameters (%.1fM multiplied per token, LM head included)\n", model.c_str(),
                size.params / 1e6, size.matmul_params / 1e6);
  }
  std::printf("FLOPs per window of L tokens: 2 x multiplied parameters x L + 2 x L^2 x layers x hidden (an estimate)\n");
  print_qroar_searches(g, plan, view);
}

nlohmann::json to_json(const Grid& g, const Plan& plan, const ShardView& view) {
  nlohmann::json runs = nlohmann::json::array();
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    if (!view.shows(i)) continue;
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
  nlohmann::json out = {{"grid", g.name}, {"source", g.source}, {"tokenized", plan.tokenized}, {"models", models}, {"runs", runs}};
  if (view.shard)
    out["shard"] = {{"index", view.shard->index}, {"count", view.shard->count}, {"grid_runs", plan.runs.size()},
                    {"flops", view.shard_cost[static_cast<std::size_t>(view.shard->index)]}, {"shard_flops", view.shard_cost}};
  return out;
}

}  // namespace

int cmd_plan(const Args& args) {
  po::options_description desc("plan options");
  std::string grid_name, format;
  std::vector<std::string> models, datasets;
  bool no_tokens = false;
  std::string shard_text;
  desc.add_options()
      ("grid", po::value(&grid_name)->required(), "a built-in grid (ropebatch grids lists them) or a grid .toml file")
      ("model", po::value(&models)->composing(), "replace the grid's models (repeatable)")
      ("data", po::value(&datasets)->composing(), "replace the grid's datasets (repeatable)")
      ("no-tokens", po::bool_switch(&no_tokens), "do not tokenize the datasets (windows, tokens and FLOPs are then not shown)")
      ("shard", po::value(&shard_text), "show only shard I of N (I/N or auto), as `run --shard` splits the grid")
      ("format", po::value(&format)->default_value("text"), "text or json");
  po::variables_map vm;
  if (!parse_or_help(args, desc, vm,
                     "usage: ropebatch plan --grid NAME|FILE.toml [--model PATH]... [--data SPEC]... [--no-tokens] "
                     "[--shard I/N] [--format text|json]"))
    return kExitOk;
  check_format(format);
  std::optional<Shard> shard;
  if (!shard_text.empty()) shard = parse_shard(shard_text);
  if (shard && no_tokens)
    throw InputError("command line", "--shard", "splits the grid by token counts; it cannot be used with --no-tokens");
  const Grid grid = load_grid(grid_name, GridOverrides{models, datasets});
  validate_grid(grid);
  const std::vector<RunSpec> runs = expand_grid(grid);
  const Plan plan = make_plan(runs, !no_tokens);
  const ShardView view = view_shard(plan, shard);
  if (format == "json") std::cout << to_json(grid, plan, view).dump(2) << "\n";
  else print_text(grid, plan, view);
  return kExitOk;
}

}  // namespace rb::cli
