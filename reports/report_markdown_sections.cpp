#include "reports/report_markdown_sections.hpp"

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "reports/report_figures.hpp"
#include "reports/report_format.hpp"
#include "reports/report_markdown_table.hpp"
#include "reports/report_metrics.hpp"
#include "reports/report_ranking.hpp"

namespace rb::reports::markdown {

namespace {

using Align = MarkdownTable::Align;
constexpr const char* kNotRun = "—";
constexpr const char* kFailed = "N/A";

std::string bold(const std::string& text) { return "**" + text + "**"; }

// The leading columns naming a configuration: method, configuration, and quantization when the
// setting holds several.
void name_columns(MarkdownTable& t, const Setting& s) {
  t.column("method");
  t.column("configuration");
  if (s.several_quants) t.column("quant");
}

std::vector<std::string> name_cells(const Setting& s, const ConfigurationRow& row) {
  std::vector<std::string> cells{markdown_text(row.family), configuration_cell(row)};
  if (s.several_quants) cells.push_back(markdown_text(row.quant));
  return cells;
}

std::string reference_names(const Setting& s) {
  std::string names;
  for (const ConfigurationRow& row : s.rows)
    if (row.baseline) names += (names.empty() ? "" : ", ") + ("`" + markdown_text(row.display_name(s.several_quants)) + "`");
  return names;
}

std::string count_of(std::size_t part, std::size_t whole) { return std::to_string(part) + "/" + std::to_string(whole); }

std::string fixed3(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", v);
  return std::string(text) == "-0.000" ? "0.000" : text;
}

}  // namespace

std::string ppl_cell(const RunRecord* run) {
  switch (cell_state(run)) {
    case CellState::not_in_sweep: return kNotRun;
    case CellState::failed: return kFailed;
    case CellState::completed: break;
  }
  return format_ppl(*run->ppl, run->ppl_stderr);
}

std::string configuration_cell(const ConfigurationRow& row) {
  return markdown_text(row.label) + (row.baseline ? " (baseline)" : "");
}

std::string paired_ratio_cell(const Setting& s, const ConfigurationRow& row, int64_t length) {
  switch (s.ratio_state(row, length)) {
    case CellState::not_in_sweep: return kNotRun;
    case CellState::failed: return kFailed;
    case CellState::completed: break;
  }
  const std::string ratio = format_signed_percent(*s.ratio_to_reference(row, length));
  const auto p = s.paired_to_reference(row, length);
  if (!p) return ratio + " (other windows: no interval)";
  if (!p->ci_low) return ratio + " (one window: no interval)";
  const std::string text = ratio + " " + format_ratio_interval(*p->ci_low, *p->ci_high);
  return p->direction() == 0 ? "≈ " + text : text;
}

std::string rank_cell(std::size_t rank, bool tied) { return std::to_string(rank) + (tied ? "=" : ""); }

std::string perplexity_table(const ReportData& data, std::size_t index) {
  const Setting& s = data.settings[index];
  MarkdownTable t;
  name_columns(t, s);
  for (const int64_t length : s.lengths) t.column(format_length(length), Align::right);
  t.column("collapse", Align::right);
  std::map<int64_t, std::set<std::size_t>> best;  // per length: rows ranked first (ties included)
  for (const int64_t length : s.lengths)
    for (const RankedRow& r : ranks_with_ties(s, length, rows_by_ppl(s, length)))
      if (r.rank == 1) best[length].insert(r.row);
  for (std::size_t i = 0; i < s.rows.size(); ++i) {
    const ConfigurationRow& row = s.rows[i];
    std::vector<std::string> cells = name_cells(s, row);
    for (const int64_t length : s.lengths) {
      const RunRecord* run = row.run_at(length);
      cells.push_back(best[length].count(i) ? bold(ppl_cell(run)) : ppl_cell(run));
    }
    std::string collapse = kNotRun;
    if (row.collapse) {
      collapse = format_significant(row.collapse->ratio, 3);
      const bool full_range = row.collapse->from == row.runs.begin()->first && row.collapse->to == row.runs.rbegin()->first;
      if (!full_range) collapse += " (" + format_length(row.collapse->from) + "→" + format_length(row.collapse->to) + ")";
    }
    cells.push_back(collapse);
    t.row(std::move(cells));
  }
  const SettingFigures figures = figure_names(data, index);
  const std::string collapse_figure = figures.collapse.empty() ? "" : "![Collapse ratio](" + figures.collapse + ")\n\n";
  return "Perplexity ± its standard error over windows, per context length (columns, in tokens; k = 1024). "
         "**Bold**: the lowest PPL of the column and every PPL indistinguishable from it (paired 95% interval of "
         "their ratio including 1; see Ratio to the baseline). Collapse: PPL at the configuration's longest completed length ÷ "
         "PPL at its shortest (the lengths in brackets when those are not its first and last). " +
         std::string(kFailed) + ": the run failed; " + kNotRun + ": not in the sweep.\n\n" + t.str() + "\n![PPL versus length](" +
         figures.ppl_lines + ")\n\n![PPL heatmap](" + figures.ppl_heatmap + ")\n\n" + collapse_figure;
}

std::string ratio_table(const ReportData& data, std::size_t index) {
  const Setting& s = data.settings[index];
  if (data.options.skip_baseline) return "Left out (--no-baseline).\n\n";
  MarkdownTable t;
  name_columns(t, s);
  for (const int64_t length : s.lengths) t.column(format_length(length), Align::right);
  // The largest degradation of each length, among the configurations whose interval lies above 1.
  std::map<int64_t, double> worst;
  for (const ConfigurationRow& row : s.rows)
    for (const int64_t length : s.lengths) {
      const auto p = s.paired_to_reference(row, length);
      const auto r = s.ratio_to_reference(row, length);
      if (r && p && p->direction() > 0 && (!worst.count(length) || *r > worst[length])) worst[length] = *r;
    }
  for (const ConfigurationRow& row : s.rows) {
    if (row.baseline) continue;
    std::vector<std::string> cells = name_cells(s, row);
    for (const int64_t length : s.lengths) {
      const std::string text = paired_ratio_cell(s, row, length);
      const auto r = s.ratio_to_reference(row, length);
      const auto p = s.paired_to_reference(row, length);
      const bool is_worst = r && p && p->direction() > 0 && worst.count(length) && *r == worst[length];
      cells.push_back(is_worst ? bold(text) + " ▲" : text);
    }
    t.row(std::move(cells));
  }
  std::string text = "PPL ÷ the baseline's PPL at the same length, as a signed change (+ = higher PPL than the "
                     "baseline, worse), with the paired 95% interval over the windows both scored, "
                     "exp(D ∓ t·SE(D)) (docs/REPORT.md, \"Paired comparison\"). **≈**: the interval includes "
                     "0% — indistinguishable from the baseline. Baseline: " + reference_names(s) +
                     (s.several_quants ? " (each configuration against the baseline of its quantization when there is one)" : "") +
                     ". **▲** marks the largest degradation at each length whose interval lies above 0%. " + kFailed +
                     ": this run or the baseline's failed; " + kNotRun + ": one of them is not in the sweep.\n\n";
  if (t.empty()) return text + "No configuration besides the baseline.\n\n";
  const SettingFigures figures = figure_names(data, index);
  return text + t.str() + "\n" +
         (figures.ratio_heatmap.empty() ? "" : "![Ratio to the baseline](" + figures.ratio_heatmap + ")\n\n");
}

std::string position_section(const ReportData& data, std::size_t index) {
  const Setting& s = data.settings[index];
  const SettingFigures figures = figure_names(data, index);
  if (figures.nll_by_position.empty())
    return "Not measured: no run of this setting stored loss by position (results files before schema 2).\n\n";
  std::string text =
      "Mean NLL per log-spaced bucket of the predicted token's position in its window (buckets start at 1, 2, 3, 4, "
      "6, 8, 12, ...: two per octave), over each run's scored predictions; each configuration at its longest "
      "completed length" + std::string(s.training_length ? ", the training length marked" : "") +
      ". Per-bucket values are in the results file (position_mean_nll, position_predictions).\n\n![Loss by position](" +
      figures.nll_by_position + ")\n\n";
  if (!figures.position_ratio.empty())
    text += "![Loss by position, ratio to the baseline](" + figures.position_ratio + ")\n\n";
  return text;
}

std::string family_ranking(const ReportData& data, std::size_t index) {
  const Setting& s = data.settings[index];
  std::string text =
      "Per method family and length: its configurations run there (completed/run), the geometric mean and the "
      "best of their PPLs, the spread (worst ÷ best PPL: 1.00 = every configuration alike; needs two completed) "
      "and the best configuration. Families ordered by best PPL; `2=`: the family's best configuration is "
      "indistinguishable from that of the family first ranked 2 (paired 95% interval including 1).\n\n";
  for (const int64_t length : s.lengths) {
    MarkdownTable t;
    t.column("rank", Align::right);
    t.column("method");
    if (s.several_quants) t.column("quant");
    t.column("configurations", Align::right);
    t.column("geo. mean PPL", Align::right);
    t.column("best PPL", Align::right);
    t.column("spread", Align::right);
    t.column("best configuration");
    const std::vector<FamilyRanking> families = rank_families(s, length);
    std::vector<std::size_t> best_rows;  // the families' best configurations, in family order
    for (const FamilyRanking& f : families)
      if (f.best_row) best_rows.push_back(*f.best_row);
    const std::vector<RankedRow> ranks = ranks_with_ties(s, length, best_rows);
    std::size_t next = 0;
    for (const FamilyRanking& f : families) {
      std::string rank = kFailed;
      if (f.best_row) {
        rank = rank_cell(ranks[next].rank, ranks[next].tied);
        ++next;
      }
      std::vector<std::string> cells{rank, markdown_text(f.family)};
      if (s.several_quants) cells.push_back(markdown_text(f.quant));
      cells.push_back(count_of(f.completed, f.configurations));
      cells.push_back(f.geometric_mean ? format_significant(*f.geometric_mean, 4) : kFailed);
      cells.push_back(f.best ? format_significant(*f.best, 4) : kFailed);
      cells.push_back(f.spread() ? format_significant(*f.spread(), 3) : kNotRun);
      cells.push_back(f.best_row ? configuration_cell(s.rows[*f.best_row]) : kFailed);
      t.row(std::move(cells));
    }
    text += "At " + format_length(length) + " tokens:\n\n" + t.str() + "\n";
  }
  return text;
}

std::string top_configurations(const ReportData& data, std::size_t index) {
  const Setting& s = data.settings[index];
  const auto top = static_cast<std::size_t>(data.options.top_n);
  MarkdownTable overall;
  overall.column("rank", Align::right);
  name_columns(overall, s);
  overall.column("win rate", Align::right);
  overall.column("comparisons", Align::right);
  overall.column("lengths completed", Align::right);
  const std::vector<OverallRanking>& ranked = s.overall;
  for (std::size_t i = 0; i < ranked.size() && i < top; ++i) {
    const OverallRanking& o = ranked[i];
    std::vector<std::string> cells{std::to_string(i + 1)};
    for (std::string& c : name_cells(s, s.rows[o.row])) cells.push_back(std::move(c));
    cells.push_back(format_percent(o.win_rate()));
    cells.push_back(std::to_string(o.comparisons));
    cells.push_back(count_of(o.lengths_completed, o.lengths_run));
    overall.row(std::move(cells));
  }
  std::string text = "Overall, the " + std::to_string(top) +
                     " configurations with the highest win rate: at every length, each configuration is compared "
                     "with every other run at that length; it wins when the paired 95% interval of its PPL ratio to the "
                     "other lies below 1 or when the other run failed and its own completed; an interval including 1 "
                     "(or none, with one window) is a tie and counts half.\n\n";
  text += overall.empty() ? "No configuration shares a length with another.\n\n" : overall.str() + "\n";
  for (const int64_t length : s.lengths) {
    MarkdownTable t;
    t.column("rank", Align::right);
    name_columns(t, s);
    t.column("PPL", Align::right);
    if (!data.options.skip_baseline) t.column("vs baseline", Align::right);
    const std::vector<RankedRow> ranked_rows = ranks_with_ties(s, length, rows_by_ppl(s, length));
    for (std::size_t i = 0; i < ranked_rows.size() && i < top; ++i) {
      const ConfigurationRow& row = s.rows[ranked_rows[i].row];
      std::vector<std::string> cells{rank_cell(ranked_rows[i].rank, ranked_rows[i].tied)};
      for (std::string& c : name_cells(s, row)) cells.push_back(std::move(c));
      cells.push_back(ppl_cell(row.run_at(length)));
      if (!data.options.skip_baseline) cells.push_back(row.baseline ? "baseline" : paired_ratio_cell(s, row, length));
      t.row(std::move(cells));
    }
    text += "At " + format_length(length) + " tokens, the " + std::to_string(top) +
            " lowest PPLs (`1=`: indistinguishable from the first row ranked 1, its paired 95% interval including 1; "
            "vs baseline as in Ratio to the baseline):\n\n";
    text += t.empty() ? "No completed run.\n\n" : t.str() + "\n";
  }
  return text;
}

std::string passkey_table(const ReportData& data, std::size_t index) {
  const Setting& s = data.settings[index];
  if (!s.has_passkey) return "Not measured: the runs' metrics do not include passkey.\n\n";
  const std::vector<double> depths = passkey_depths(s);
  MarkdownTable t;
  name_columns(t, s);
  t.column("length", Align::right);
  for (const double d : depths) t.column("depth " + format_depth(d), Align::right);
  t.column("all depths", Align::right);
  for (const ConfigurationRow& row : s.rows)
    for (const auto& [length, run] : row.runs) {
      std::vector<std::string> cells = name_cells(s, row);
      cells.push_back(format_length(length));
      if (cell_state(run) != CellState::completed) {
        cells.insert(cells.end(), depths.size() + 1, kFailed);
      } else {
        const auto by_depth = passkey_by_depth(*run);
        for (const double d : depths) {
          const auto it = by_depth.find(d);
          cells.push_back(it == by_depth.end() ? kNotRun : count_of(it->second.retrieved, it->second.trials));
        }
        const PasskeyTally total = passkey_total(*run);
        cells.push_back(total.trials ? format_percent(total.accuracy()) + " (" + count_of(total.retrieved, total.trials) + ")"
                                     : kNotRun);
      }
      t.row(std::move(cells));
    }
  const SettingFigures figures = figure_names(data, index);
  return "Passkey retrieval: trials retrieved / trials at each depth of the key in the prompt (0 = start, 1 = end); "
         "a trial counts as retrieved when every answer token is the model's top prediction. " +
         std::string(kFailed) + ": the run failed; " + kNotRun + ": not tried.\n\n" + t.str() + "\n![Passkey heatmap](" +
         figures.passkey_heatmap + ")\n\n";
}

std::string longppl_table(const ReportData& data, std::size_t index) {
  const Setting& s = data.settings[index];
  if (!s.has_longppl) return "Not measured: the runs' metrics do not include longppl.\n\n";
  MarkdownTable t;
  name_columns(t, s);
  t.column("length", Align::right);
  t.column("PPL", Align::right);
  t.column("LongPPL", Align::right);
  t.column("key tokens", Align::right);
  t.column("LongPPL ÷ PPL", Align::right);
  for (const ConfigurationRow& row : s.rows)
    for (const auto& [length, run] : row.runs) {
      std::vector<std::string> cells = name_cells(s, row);
      cells.push_back(format_length(length));
      cells.push_back(ppl_cell(run));
      if (cell_state(run) != CellState::completed) {
        cells.insert(cells.end(), 3, kFailed);
      } else if (!run->longppl) {
        cells.insert(cells.end(), {kNotRun, std::to_string(run->longppl_key_tokens), kNotRun});
      } else {
        cells.push_back(format_significant(*run->longppl, 4));
        cells.push_back(std::to_string(run->longppl_key_tokens));
        cells.push_back(format_significant(*run->longppl / *run->ppl, 3));
      }
      t.row(std::move(cells));
    }
  return "LongPPL beside PPL: perplexity over the key tokens only (tokens whose prediction the long context "
         "improves; see docs/DATASETS.md). " + std::string(kFailed) + ": the run failed; " + kNotRun +
         ": no key token, so no LongPPL.\n\n" + t.str() + "\n";
}

// Runs with Q-ROAR scales (docs/QROAR.md), each beside the run of the same RoPE configuration,
// length and quantization without them when the results hold one.
std::string qroar_table(const ReportData& data, std::size_t index) {
  const Setting& s = data.settings[index];
  // A run whose search failed stores the request without scales: it is neither row nor comparison.
  const auto has_qroar = [](const RunRecord* r) { return r != nullptr && r->config.contains("qroar"); };
  const auto has_scales = [&](const RunRecord* r) { return has_qroar(r) && r->config.at("qroar").contains("scales"); };
  MarkdownTable t;
  name_columns(t, s);
  t.column("length", Align::right);
  t.column("scales from");
  t.column("variant");
  t.column("band scales");
  t.column("PPL", Align::right);
  t.column("without scales", Align::right);
  t.column("change", Align::right);
  for (const ConfigurationRow& row : s.rows)
    for (const auto& [length, run] : row.runs) {
      if (!has_scales(run)) continue;
      const nlohmann::json& q = run->config.at("qroar");
      const RunRecord* plain = nullptr;
      for (const ConfigurationRow& other : s.rows) {
        const RunRecord* o = other.run_at(length);
        if (o == nullptr || has_qroar(o) || other.quant != row.quant) continue;
        if (o->config.value("rope", nlohmann::json()) == run->config.value("rope", nlohmann::json())) plain = o;
      }
      std::string scales;
      const nlohmann::json& rows = q.at("scales");
      for (const auto& v : rows.at(0)) scales += (scales.empty() ? "" : " ") + format_significant(v.get<double>(), 3);
      if (rows.size() > 1) scales += " (layer 0 of " + std::to_string(rows.size()) + ")";
      std::vector<std::string> cells = name_cells(s, row);
      cells.push_back(format_length(length));
      if (q.contains("search")) {
        const nlohmann::json& search = q.at("search");
        const std::string data = search.value("data", std::string());  // "text:/abs/dev.txt" -> "text:dev.txt"
        const std::size_t colon = data.find(':');
        const std::string kind = colon == std::string::npos ? "" : data.substr(0, colon + 1);
        const std::string name = std::filesystem::path(colon == std::string::npos ? data : data.substr(colon + 1)).filename().string();
        cells.push_back(markdown_text("searched in the sweep: " + kind + name + ", L = " +
                                      std::to_string(search.value("length", int64_t{0}))));
      } else {
        cells.push_back(markdown_text(std::filesystem::path(q.value("file", std::string())).filename().string()));
      }
      cells.push_back(markdown_text(q.value("variant", "")));
      cells.push_back(scales);
      cells.push_back(ppl_cell(run));
      const bool both = plain && cell_state(run) == CellState::completed && cell_state(plain) == CellState::completed;
      cells.push_back(plain ? ppl_cell(plain) : std::string(kNotRun));
      cells.push_back(both ? format_percent(*run->ppl / *plain->ppl - 1.0) : std::string(kNotRun));
      t.row(std::move(cells));
    }
  if (t.empty()) return "";
  const SettingFigures figures = figure_names(data, index);
  return "Runs whose W_Q / W_K rows carry Q-ROAR band scales (a method entry's `qroar` file, or its `qroar = \"search\"`; docs/QROAR.md), beside "
         "the run of the same RoPE configuration, length and quantization without them. " + std::string(kNotRun) +
         ": no such run in the results.\n\n" + t.str() + "\n" +
         (figures.qroar_diagnostics.empty()
              ? std::string()
              : "The band diagnostics the scales files carry (interpolation pressure; tail inflation of q and k), "
                "as each run stored them:\n\n![Q-ROAR band diagnostics](" + figures.qroar_diagnostics + ")\n\n");
}

std::string correlation_table(const ReportData& data, std::size_t index) {
  const Setting& s = data.settings[index];
  const std::vector<CorrelationRow> rows = metric_correlations(s);
  if (rows.empty()) return "Not measured: correlations need a second metric beside PPL (passkey or longppl).\n\n";
  MarkdownTable t;
  t.column("metrics");
  t.column("lengths");
  t.column("n", Align::right);
  t.column("Pearson r", Align::right);
  t.column("Spearman ρ", Align::right);
  for (const CorrelationRow& c : rows)
    t.row({c.x + " vs " + c.y, c.length ? format_length(*c.length) : "all", std::to_string(c.n),
           c.pearson ? fixed3(*c.pearson) : kNotRun, c.spearman ? fixed3(*c.spearman) : kNotRun});
  return "One point per completed run (configuration × length) that has both metrics; n = runs paired. Pearson's "
         "r on ln PPL and ln LongPPL (perplexities span orders of magnitude) and on passkey accuracy as it is; "
         "Spearman's ρ with average ranks for ties. " + std::string(kNotRun) +
         ": undefined (fewer than 3 runs, or a metric constant over them).\n\n" + t.str() + "\n";
}

}  // namespace rb::reports::markdown
