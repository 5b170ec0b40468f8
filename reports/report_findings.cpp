#include "reports/report_findings.hpp"

#include <algorithm>
#include <iterator>

#include "reports/report_format.hpp"
#include "reports/report_metrics.hpp"
#include "reports/report_ranking.hpp"

namespace rb::reports {

namespace {

std::string name_of(const Setting& s, std::size_t row) {
  return "`" + markdown_text(s.rows[row].display_name(s.several_quants)) + "`";
}

// "`a`, `b` and `c`", with at most `limit` names and then "and N more".
std::string name_list(const Setting& s, const std::vector<std::size_t>& rows, std::size_t limit = 3) {
  std::string text;
  const std::size_t shown = std::min(rows.size(), limit);
  for (std::size_t i = 0; i < shown; ++i) {
    if (i > 0) text += (i + 1 == shown && rows.size() <= limit) ? " and " : ", ";
    text += name_of(s, rows[i]);
  }
  if (rows.size() > limit) text += " and " + std::to_string(rows.size() - limit) + " more";
  return text;
}

std::string where(const ReportData& data, const Setting& s, const std::string& section, const std::string& anchor) {
  std::string text = " ([" + section + "](#" + anchor + ")";
  if (data.settings.size() > 1) text += ", " + markdown_text(s.title);
  return text + ")";
}

std::string tokens(int64_t length) { return format_length(length) + " tokens"; }

// " (+1.2% [+0.8%, +1.6%] against the baseline)", or that it is indistinguishable from it.
std::string against_reference_text(const Setting& s, const ConfigurationRow& row, int64_t length) {
  if (row.baseline || !s.ratio_to_reference(row, length)) return "";
  const auto p = s.paired_to_reference(row, length);
  const std::string ratio = format_signed_percent(*s.ratio_to_reference(row, length));
  if (!p || !p->ci_low) return "; " + ratio + " against the baseline, with no interval (one window)";
  const std::string interval = format_ratio_interval(*p->ci_low, *p->ci_high);
  if (p->direction() == 0) return "; indistinguishable from the baseline (" + ratio + " " + interval + ")";
  return "; " + ratio + " " + interval + " against the baseline";
}

void lowest_ppl(const ReportData& data, const Setting& s, std::vector<std::string>& out) {
  for (const int64_t length : s.lengths) {
    const std::vector<std::size_t> ordered = rows_by_ppl(s, length);
    if (ordered.empty()) continue;
    const std::vector<RankedRow> ranked = ranks_with_ties(s, length, ordered);
    std::vector<std::size_t> first;
    for (const RankedRow& r : ranked)
      if (r.rank == 1) first.push_back(r.row);
    const ConfigurationRow& best_row = s.rows[first.front()];
    const RunRecord& run = *best_row.run_at(length);
    std::string text = "At " + tokens(length) + ", the lowest PPL is " + format_ppl(*run.ppl, run.ppl_stderr) + ", by " +
                       name_of(s, first.front()) + against_reference_text(s, best_row, length) + ", of " +
                       std::to_string(ordered.size()) + " completed configurations";
    if (first.size() > 1) {
      const std::vector<std::size_t> others(first.begin() + 1, first.end());
      text += "; tied with it (paired 95% interval of the ratio including 1, or no interval): " + name_list(s, others);
    } else if (ordered.size() > 1) {
      text += "; lower than every other (paired 95% intervals)";
    }
    out.push_back(text + where(data, s, "Perplexity", "perplexity") + ".");
  }
}

void against_baseline(const ReportData& data, const Setting& s, std::vector<std::string>& out) {
  for (const int64_t length : s.lengths) {
    std::size_t compared = 0, lower = 0, higher = 0, same = 0;
    for (const ConfigurationRow& row : s.rows) {
      if (!s.ratio_to_reference(row, length)) continue;
      ++compared;
      const auto p = s.paired_to_reference(row, length);
      const int direction = p ? p->direction() : 0;
      if (direction < 0) ++lower;
      else if (direction > 0) ++higher;
      else ++same;
    }
    if (compared == 0) continue;
    out.push_back("At " + tokens(length) + ", of " + std::to_string(compared) +
                  " configurations compared with their baseline, " + std::to_string(lower) + " have a lower PPL and " +
                  std::to_string(higher) + " a higher one (paired 95% interval of the ratio excluding 1); " +
                  std::to_string(same) + (same == 1 ? " is" : " are") + " indistinguishable from the baseline" +
                  where(data, s, "Ratio to the baseline", "ratio-to-the-baseline") + ".");
  }
}

// The first length at which a configuration's PPL rises more than the threshold above its PPL at
// its shortest length (which must have completed, with a completed length after it).
struct Rise {
  std::size_t row;
  int64_t from, at;
  double ratio;
};

void rises(const ReportData& data, const Setting& s, std::vector<std::string>& out) {
  constexpr std::size_t kListed = 10;  // the earliest and largest rises; the table has the rest
  const double threshold = data.options.rise_threshold;
  std::size_t checked = 0;
  std::vector<Rise> risen;
  for (std::size_t i = 0; i < s.rows.size(); ++i) {
    const ConfigurationRow& row = s.rows[i];
    if (row.runs.size() < 2) continue;
    const auto& [first_length, first_run] = *row.runs.begin();
    if (cell_state(first_run) != CellState::completed) continue;
    const auto completed_later = std::count_if(std::next(row.runs.begin()), row.runs.end(), [](const auto& entry) {
      return cell_state(entry.second) == CellState::completed;
    });
    if (completed_later == 0) continue;  // nothing to compare its first length with
    ++checked;
    for (const auto& [length, run] : row.runs) {
      if (length == first_length || cell_state(run) != CellState::completed) continue;
      const double ratio = *run->ppl / *first_run->ppl;
      if (ratio > 1.0 + threshold) {
        risen.push_back({i, first_length, length, ratio});
        break;
      }
    }
  }
  if (checked == 0) return;
  out.push_back(std::to_string(checked - risen.size()) + " of " + std::to_string(checked) +
                " configurations stay within " + format_percent(threshold) +
                " of their PPL at their shortest length at every completed length" +
                where(data, s, "Perplexity", "perplexity") + ".");
  std::stable_sort(risen.begin(), risen.end(), [](const Rise& a, const Rise& b) {
    return a.at != b.at ? a.at < b.at : a.ratio > b.ratio;
  });
  for (std::size_t k = 0; k < risen.size() && k < kListed; ++k) {
    const Rise& r = risen[k];
    out.push_back(name_of(s, r.row) + " first rises more than " + format_percent(threshold) + " above its " +
                  tokens(r.from) + " PPL at " + tokens(r.at) + " (" + format_signed_percent(r.ratio) + ")" +
                  where(data, s, "Perplexity", "perplexity") + ".");
  }
  if (risen.size() > kListed)
    out.push_back(std::to_string(risen.size() - kListed) +
                (risen.size() - kListed == 1 ? " more configuration rises" : " more configurations rise") + " more than " +
                  format_percent(threshold) + " (earliest and largest listed above)" +
                  where(data, s, "Perplexity", "perplexity") + ".");
}

void best_passkey(const ReportData& data, const Setting& s, std::vector<std::string>& out) {
  if (!s.has_passkey) return;
  for (const int64_t length : s.lengths) {
    double best = -1;
    std::vector<std::size_t> rows;
    PasskeyTally best_tally;
    for (std::size_t i = 0; i < s.rows.size(); ++i) {
      const RunRecord* run = s.rows[i].run_at(length);
      if (cell_state(run) != CellState::completed) continue;
      const PasskeyTally t = passkey_total(*run);
      if (t.trials == 0) continue;
      if (t.accuracy() > best) {
        best = t.accuracy();
        rows.clear();
        best_tally = t;
      }
      if (t.accuracy() == best) rows.push_back(i);
    }
    if (rows.empty()) continue;
    out.push_back("At " + tokens(length) + ", the highest passkey accuracy is " + format_percent(best) + " (" +
                  std::to_string(best_tally.retrieved) + "/" + std::to_string(best_tally.trials) + "), by " +
                  name_list(s, rows) + where(data, s, "Passkey retrieval", "passkey-retrieval") + ".");
  }
}

}  // namespace

std::vector<std::string> findings_markdown(const ReportData& data) {
  std::vector<std::string> out;
  for (const Setting& s : data.settings) {
    lowest_ppl(data, s, out);
    against_baseline(data, s, out);
    rises(data, s, out);
    best_passkey(data, s, out);
  }
  const std::size_t not_completed = data.counts.failed + data.counts.skipped;
  if (not_completed > 0)
    out.push_back(std::to_string(data.counts.failed) + " of " + std::to_string(data.counts.total) + " runs failed and " +
                  std::to_string(data.counts.skipped) +
                  " were skipped; they are N/A in every table ([Failures](#failures)).");
  else
    out.push_back("Every one of the " + std::to_string(data.counts.total) + " runs completed ([Failures](#failures)).");
  return out;
}

}  // namespace rb::reports
