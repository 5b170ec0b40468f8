#include "reports/report_ranking.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "reports/report_format.hpp"

namespace rb::reports {

std::optional<double> FamilyRanking::spread() const {
  if (completed < 2) return std::nullopt;
  return *worst / *best;
}

std::vector<FamilyRanking> rank_families(const Setting& setting, int64_t length) {
  std::map<std::pair<std::string, std::string>, FamilyRanking> families;
  std::map<std::pair<std::string, std::string>, double> log_sums;
  for (std::size_t i = 0; i < setting.rows.size(); ++i) {
    const ConfigurationRow& row = setting.rows[i];
    const RunRecord* run = row.run_at(length);
    if (!run) continue;
    const auto key = std::make_pair(row.family, row.quant);
    FamilyRanking& f = families[key];
    f.family = row.family;
    f.quant = row.quant;
    ++f.configurations;
    if (cell_state(run) != CellState::completed) continue;
    const double ppl = *run->ppl;
    ++f.completed;
    log_sums[key] += std::log(ppl);
    if (!f.best || ppl < *f.best) {
      f.best = ppl;
      f.best_row = i;
    }
    if (!f.worst || ppl > *f.worst) f.worst = ppl;
  }
  std::vector<FamilyRanking> out;
  for (auto& [key, f] : families) {
    if (f.completed) f.geometric_mean = std::exp(log_sums[key] / static_cast<double>(f.completed));
    out.push_back(std::move(f));
  }
  std::stable_sort(out.begin(), out.end(), [](const FamilyRanking& a, const FamilyRanking& b) {
    if (a.best.has_value() != b.best.has_value()) return a.best.has_value();
    if (a.best && *a.best != *b.best) return *a.best < *b.best;
    if (a.geometric_mean && *a.geometric_mean != *b.geometric_mean) return *a.geometric_mean < *b.geometric_mean;
    if (a.family != b.family) return natural_less(a.family, b.family);
    return a.quant < b.quant;
  });
  return out;
}

std::vector<std::size_t> rows_by_ppl(const Setting& setting, int64_t length) {
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < setting.rows.size(); ++i)
    if (cell_state(setting.rows[i].run_at(length)) == CellState::completed) rows.push_back(i);
  std::stable_sort(rows.begin(), rows.end(), [&](std::size_t a, std::size_t b) {
    return *setting.rows[a].run_at(length)->ppl < *setting.rows[b].run_at(length)->ppl;
  });
  return rows;
}

std::vector<OverallRanking> rank_overall(const Setting& setting) {
  std::vector<OverallRanking> scores(setting.rows.size());
  for (std::size_t i = 0; i < scores.size(); ++i) scores[i].row = i;
  for (const int64_t length : setting.lengths) {
    std::vector<double> values;  // completed PPLs at this length, ascending
    std::size_t failed = 0;
    for (const ConfigurationRow& row : setting.rows) {
      const CellState state = cell_state(row.run_at(length));
      if (state == CellState::completed) values.push_back(*row.run_at(length)->ppl);
      if (state == CellState::failed) ++failed;
    }
    std::sort(values.begin(), values.end());
    for (std::size_t i = 0; i < setting.rows.size(); ++i) {
      const RunRecord* run = setting.rows[i].run_at(length);
      const CellState state = cell_state(run);
      if (state == CellState::not_in_sweep) continue;
      OverallRanking& s = scores[i];
      ++s.lengths_run;
      if (state == CellState::failed) {
        s.comparisons += values.size();  // lost to every completed run; not compared with other failures
        continue;
      }
      ++s.lengths_completed;
      const auto [lo, hi] = std::equal_range(values.begin(), values.end(), *run->ppl);
      const auto higher = static_cast<double>(values.end() - hi);
      const auto ties = static_cast<double>(hi - lo) - 1.0;  // itself excluded
      s.wins += higher + static_cast<double>(failed) + 0.5 * ties;
      s.comparisons += values.size() - 1 + failed;
    }
  }
  std::vector<OverallRanking> out;
  for (const OverallRanking& s : scores)
    if (s.comparisons > 0) out.push_back(s);
  std::stable_sort(out.begin(), out.end(), [](const OverallRanking& a, const OverallRanking& b) {
    // Compare wins_a/n_a with wins_b/n_b without division (exact for the half-integers here).
    const double left = a.wins * static_cast<double>(b.comparisons);
    const double right = b.wins * static_cast<double>(a.comparisons);
    if (left != right) return left > right;
    return a.comparisons > b.comparisons;
  });
  return out;
}

}  // namespace rb::reports
