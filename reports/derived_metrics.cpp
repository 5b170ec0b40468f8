#include "reports/derived_metrics.hpp"

#include <map>
#include <string>

#include "reports/statistics.hpp"

namespace rb::reports {

namespace {

// The configuration without the named keys, as a comparable string.
std::string key_without(const nlohmann::json& config, std::initializer_list<const char*> keys) {
  nlohmann::json c = config;
  if (!c.is_object()) return c.dump();
  for (const char* k : keys) c.erase(k);
  return c.dump();
}

bool ok(const RunRecord& r) { return r.status == "ok" && r.ppl.has_value(); }

}  // namespace

void annotate_derived_metrics(std::vector<RunRecord>& records) {
  std::map<std::string, const RunRecord*> baselines;                // method-free key -> baseline run
  std::map<std::string, std::pair<const RunRecord*, const RunRecord*>> extremes;  // length-free key -> (shortest, longest)
  auto length_of = [](const RunRecord& r) { return r.config.value("length", int64_t{0}); };
  for (const RunRecord& r : records) {
    if (!ok(r)) continue;
    if (r.config.value("baseline", false))
      baselines[key_without(r.config, {"rope", "rope_label", "family", "baseline"})] = &r;
    auto& [shortest, longest] = extremes[key_without(r.config, {"length"})];
    if (!shortest || length_of(r) < length_of(*shortest)) shortest = &r;
    if (!longest || length_of(r) > length_of(*longest)) longest = &r;
  }
  for (RunRecord& r : records) {
    r.ratio_to_baseline.reset();
    r.collapse_ratio.reset();
    r.paired_windows.reset();
    r.log_ratio_to_baseline.reset();
    r.log_ratio_stderr.reset();
    r.ratio_ci_low.reset();
    r.ratio_ci_high.reset();
    if (!ok(r)) continue;
    auto b = baselines.find(key_without(r.config, {"rope", "rope_label", "family", "baseline"}));
    if (b != baselines.end()) {
      const RunRecord& base = *b->second;
      r.ratio_to_baseline = *r.ppl / *base.ppl;
      if (const auto p = paired_log_ratio(r.window_nll, r.window_predictions, base.window_nll, base.window_predictions)) {
        r.paired_windows = p->windows;
        r.log_ratio_to_baseline = p->log_ratio;
        r.log_ratio_stderr = p->log_ratio_stderr;
        r.ratio_ci_low = p->ci_low;
        r.ratio_ci_high = p->ci_high;
      }
    }
    const auto& [shortest, longest] = extremes.at(key_without(r.config, {"length"}));
    if (length_of(*longest) > length_of(*shortest)) r.collapse_ratio = *longest->ppl / *shortest->ppl;
  }
}

}  // namespace rb::reports
