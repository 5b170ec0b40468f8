#include "reports/report_metrics.hpp"

#include <cmath>
#include <functional>
#include <set>

#include "reports/correlation.hpp"

namespace rb::reports {

std::vector<double> passkey_depths(const Setting& setting) {
  std::set<double> depths;
  for (const ConfigurationRow& row : setting.rows)
    for (const auto& [length, run] : row.runs)
      for (const PasskeyOutcome& p : run->passkey) depths.insert(p.depth);
  return {depths.begin(), depths.end()};
}

std::map<double, PasskeyTally> passkey_by_depth(const RunRecord& run) {
  std::map<double, PasskeyTally> tallies;
  for (const PasskeyOutcome& p : run.passkey) {
    PasskeyTally& t = tallies[p.depth];
    ++t.trials;
    t.retrieved += p.retrieved ? 1 : 0;
  }
  return tallies;
}

PasskeyTally passkey_total(const RunRecord& run) {
  PasskeyTally t;
  for (const PasskeyOutcome& p : run.passkey) {
    ++t.trials;
    t.retrieved += p.retrieved ? 1 : 0;
  }
  return t;
}

namespace {

struct Metric {
  std::string name;
  std::function<std::optional<double>(const RunRecord&)> value;  // as correlated by Pearson
};

std::vector<Metric> measured_metrics(const Setting& setting) {
  std::vector<Metric> metrics;
  metrics.push_back({"PPL", [](const RunRecord& r) { return std::optional<double>(std::log(*r.ppl)); }});
  if (setting.has_longppl)
    metrics.push_back({"LongPPL", [](const RunRecord& r) {
                         return (r.longppl && *r.longppl > 0) ? std::optional<double>(std::log(*r.longppl))
                                                              : std::nullopt;
                       }});
  if (setting.has_passkey)
    metrics.push_back({"passkey accuracy", [](const RunRecord& r) {
                         const PasskeyTally t = passkey_total(r);
                         return t.trials ? std::optional<double>(t.accuracy()) : std::nullopt;
                       }});
  return metrics;
}

CorrelationRow correlate(const Setting& setting, const Metric& a, const Metric& b, std::optional<int64_t> length) {
  std::vector<double> x, y;
  for (const ConfigurationRow& row : setting.rows)
    for (const auto& [run_length, run] : row.runs) {
      if (length && run_length != *length) continue;
      if (cell_state(run) != CellState::completed) continue;
      const auto u = a.value(*run);
      const auto v = b.value(*run);
      if (!u || !v) continue;
      x.push_back(*u);
      y.push_back(*v);
    }
  return {a.name, b.name, length, x.size(), pearson(x, y), spearman(x, y)};
}

}  // namespace

std::vector<CorrelationRow> metric_correlations(const Setting& setting) {
  const std::vector<Metric> metrics = measured_metrics(setting);
  std::vector<CorrelationRow> rows;
  for (std::size_t i = 0; i < metrics.size(); ++i)
    for (std::size_t j = i + 1; j < metrics.size(); ++j) {
      rows.push_back(correlate(setting, metrics[i], metrics[j], std::nullopt));
      for (const int64_t length : setting.lengths) {
        CorrelationRow row = correlate(setting, metrics[i], metrics[j], length);
        if (row.n > 0) rows.push_back(std::move(row));  // a length where no run has both: no row
      }
    }
  return rows;
}

}  // namespace rb::reports
