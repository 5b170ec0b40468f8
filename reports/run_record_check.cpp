#include "reports/run_record_check.hpp"

#include <cmath>
#include <cstdio>
#include <type_traits>

#include "common/error.hpp"
#include "common/json_input.hpp"
#include "reports/run_record_fields.hpp"

namespace rb::reports {
namespace {

using nlohmann::json;

std::string number_text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

// What a sweep writes for each number: always finite, and for some positive or non-negative.
enum class Bound { positive, non_negative, any };
struct NumberRule {
  const char* name;
  Bound bound;
};
constexpr NumberRule kNumberRules[] = {{"ppl", Bound::positive},
                                       {"ppl_stderr", Bound::non_negative},
                                       {"longppl", Bound::positive},
                                       {"ratio_to_baseline", Bound::positive},
                                       {"collapse_ratio", Bound::positive},
                                       {"log_ratio_to_baseline", Bound::any},
                                       {"log_ratio_stderr", Bound::non_negative},
                                       {"ratio_ci_low", Bound::positive},
                                       {"ratio_ci_high", Bound::positive},
                                       {"nll_sum", Bound::any},
                                       {"seconds", Bound::non_negative},
                                       {"tokens_per_second", Bound::non_negative}};

bool within(double v, Bound b) {
  return std::isfinite(v) && (b == Bound::any || (b == Bound::positive ? v > 0 : v >= 0));
}
const char* bound_text(Bound b) {
  return b == Bound::positive ? "finite and > 0" : b == Bound::non_negative ? "finite and >= 0" : "finite";
}

// The configuration fields reports and merges read, with the JSON type each must have.
struct ConfigRule {
  const char* name;
  json::value_t type;
};
constexpr ConfigRule kConfigRules[] = {{"model", json::value_t::string},      {"dataset", json::value_t::string},
                                       {"family", json::value_t::string},     {"rope_label", json::value_t::string},
                                       {"quant", json::value_t::string},      {"baseline", json::value_t::boolean},
                                       {"metrics", json::value_t::array}};

// Loss by position: one start, mean and count per bucket; starts ascending from 0, means finite and
// >= 0 (an NLL), every kept bucket with at least one prediction (reports/position_buckets.hpp).
template <class Bad>
void check_position_buckets(const RunRecord& r, const Bad& bad) {
  const std::size_t n = r.position_bucket_start.size();
  if (r.position_mean_nll.size() != n || r.position_predictions.size() != n)
    bad("position_mean_nll", std::to_string(r.position_mean_nll.size()) + " means and " +
                                 std::to_string(r.position_predictions.size()) + " counts for " + std::to_string(n) +
                                 " buckets in position_bucket_start");
  for (std::size_t b = 0; b < n; ++b) {
    const std::string at = "bucket " + std::to_string(b);
    if (r.position_bucket_start[b] < 0 || (b > 0 && r.position_bucket_start[b] <= r.position_bucket_start[b - 1]))
      bad("position_bucket_start", at + " starts at " + std::to_string(r.position_bucket_start[b]) +
                                       "; starts must be >= 0 and ascending");
    if (!within(r.position_mean_nll[b], Bound::non_negative))
      bad("position_mean_nll", at + " is " + number_text(r.position_mean_nll[b]) + "; it must be finite and >= 0");
    if (r.position_predictions[b] < 1) bad("position_predictions", at + " has no prediction");
  }
}

}  // namespace

void check_run_record(const RunRecord& r, const std::string& file, const std::string& where) {
  const auto bad = [&](const std::string& field, const std::string& problem) {
    throw InputError(file, where + "/" + field, problem);
  };
  if (!r.config.is_object()) bad("config", "not a JSON object");
  for (const ConfigRule& rule : kConfigRules) {
    const auto it = r.config.find(rule.name);
    if (it != r.config.end() && it->type() != rule.type)
      bad(std::string("config/") + rule.name, "has the wrong type (" + std::string(it->type_name()) + ")");
  }
  if (const auto it = r.config.find("length"); it != r.config.end() && !(it->is_number_integer() && it->get<int64_t>() > 0))
    bad("config/length", "must be a positive integer, not " + it->dump());

  visit_scalar_fields([&](const char* name, auto member, FieldKind) {
    using T = std::remove_cvref_t<decltype(r.*member)>;
    std::optional<double> value;
    if constexpr (std::is_same_v<T, std::optional<double>>) value = r.*member;
    else if constexpr (std::is_same_v<T, double>) value = r.*member;
    if (!value) return;
    for (const NumberRule& rule : kNumberRules) {
      if (std::string_view(rule.name) != name) continue;
      if (!within(*value, rule.bound)) bad(name, "is " + number_text(*value) + "; it must be " + bound_text(rule.bound));
    }
  });
  if (r.predictions < 0) bad("predictions", "is negative");
  if (r.paired_windows && *r.paired_windows < 1) bad("paired_windows", "is " + std::to_string(*r.paired_windows) + "; it must be >= 1");
  if (r.trained_length && *r.trained_length < 1) bad("trained_length", "is " + std::to_string(*r.trained_length) + "; it must be >= 1");
  if (r.ratio_ci_low && r.ratio_ci_high && !(*r.ratio_ci_low <= *r.ratio_ci_high))
    bad("ratio_ci_low", "is above ratio_ci_high (" + number_text(*r.ratio_ci_low) + " > " + number_text(*r.ratio_ci_high) + ")");
  check_position_buckets(r, bad);
  // The resolved RoPE parameters are JSON text that runs.csv parses: bounded like any JSON read.
  if (!r.rope_resolved.empty() && !parse_json_input(r.rope_resolved, file, where + "/rope_resolved").is_object())
    bad("rope_resolved", "is not a JSON object");
  if (r.window_nll.size() != r.window_predictions.size())
    bad("window_predictions", std::to_string(r.window_predictions.size()) + " values for " +
                                  std::to_string(r.window_nll.size()) + " windows in window_nll");
  for (std::size_t i = 0; i < r.window_nll.size(); ++i) {
    if (!std::isfinite(r.window_nll[i]))
      bad("window_nll", "window " + std::to_string(i) + " is " + number_text(r.window_nll[i]) + "; it must be finite");
    if (r.window_predictions[i] < 0) bad("window_predictions", "window " + std::to_string(i) + " is negative");
  }
}

}  // namespace rb::reports
