#include "reports/run_record_check.hpp"

#include <cmath>
#include <cstdio>
#include <type_traits>

#include "common/error.hpp"
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
