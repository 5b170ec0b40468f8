#include "reports/report_ranking.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <span>

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

std::vector<RankedRow> ranks_with_ties(const Setting& setting, int64_t length, const std::vector<std::size_t>& ordered) {
  std::vector<RankedRow> out;
  std::size_t leader = 0;  // index into `out` of the current group's first row
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    RankedRow r{ordered[i], i + 1, false};
    if (i > 0) {
      const auto p = paired_comparison(setting.rows[ordered[i]].run_at(length), setting.rows[out[leader].row].run_at(length));
      if (!p || p->direction() == 0) {
        r.rank = out[leader].rank;
        r.tied = out[leader].tied = true;
      } else {
        leader = i;
      }
    }
    out.push_back(r);
  }
  return out;
}

namespace {

// The windows of the runs completed at one length, packed side by side: rank_overall compares every
// pair of them (millions for a large grid), and reading each run's arrays where they lie in the heap
// cost more than the arithmetic. direction(a, b) is paired_comparison(run a, run b)'s direction,
// computed by the same paired_log_ratio on the same values.
class PackedWindows {
 public:
  PackedWindows(const std::vector<const RunRecord*>& runs, const std::vector<std::size_t>& completed) {
    std::map<std::vector<int64_t>, std::size_t> counts_index;  // each distinct window_predictions once
    std::vector<std::size_t> offsets;
    for (const std::size_t i : completed) {
      const RunRecord& run = *runs[i];
      offsets.push_back(nll_.size());
      nll_.insert(nll_.end(), run.window_nll.begin(), run.window_nll.end());
      const auto [it, added] = counts_index.try_emplace(run.window_predictions, counts_.size());
      if (added) counts_.push_back(run.window_predictions);
      group_.push_back(it->second);
    }
    for (std::size_t k = 0; k < completed.size(); ++k)
      spans_.emplace_back(nll_.data() + offsets[k], runs[completed[k]]->window_nll.size());
  }

  int direction(std::size_t a, std::size_t b) const {
    // Other counts per window: paired_log_ratio finds a mismatch and gives no comparison.
    if (group_[a] != group_[b]) return 0;
    const std::vector<int64_t>& counts = counts_[group_[a]];
    const auto p = paired_log_ratio(spans_[a], counts, spans_[b], counts);
    return p ? p->direction() : 0;
  }

 private:
  std::vector<double> nll_;                     // every run's window_nll, one after another
  std::vector<std::span<const double>> spans_;  // run k's part of nll_
  std::vector<std::vector<int64_t>> counts_;    // the distinct window_predictions
  std::vector<std::size_t> group_;              // run k's counts_ index
};

}  // namespace

std::vector<OverallRanking> rank_overall(const Setting& setting) {
  std::vector<OverallRanking> scores(setting.rows.size());
  for (std::size_t i = 0; i < scores.size(); ++i) scores[i].row = i;
  std::vector<const RunRecord*> runs(setting.rows.size());  // at one length, by row
  for (const int64_t length : setting.lengths) {
    for (std::size_t i = 0; i < runs.size(); ++i) runs[i] = setting.rows[i].run_at(length);
    std::vector<std::size_t> completed;
    std::size_t failed = 0;
    for (std::size_t i = 0; i < setting.rows.size(); ++i) {
      const CellState state = cell_state(runs[i]);
      if (state == CellState::not_in_sweep) continue;
      ++scores[i].lengths_run;
      if (state == CellState::completed) {
        completed.push_back(i);
        ++scores[i].lengths_completed;
      } else {
        ++failed;
      }
    }
    for (std::size_t i = 0; i < setting.rows.size(); ++i) {
      const CellState state = cell_state(runs[i]);
      if (state == CellState::failed) scores[i].comparisons += completed.size();  // lost to every completed run
      if (state == CellState::completed) {
        scores[i].wins += static_cast<double>(failed);
        scores[i].comparisons += failed;
      }
    }
    const PackedWindows windows(runs, completed);
    for (std::size_t a = 0; a < completed.size(); ++a)
      for (std::size_t b = a + 1; b < completed.size(); ++b) {
        const std::size_t i = completed[a], j = completed[b];
        const int direction = windows.direction(a, b);
        scores[i].wins += direction < 0 ? 1.0 : direction > 0 ? 0.0 : 0.5;
        scores[j].wins += direction > 0 ? 1.0 : direction < 0 ? 0.0 : 0.5;
        ++scores[i].comparisons;
        ++scores[j].comparisons;
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
