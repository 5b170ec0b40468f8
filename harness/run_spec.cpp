#include "harness/run_spec.hpp"

#include <algorithm>

namespace rb {

namespace {

// "type" becomes "rope_type" (the two must agree when both are given; the rope method checks),
// recursively into a compose base; numbers stay as written (4 and 4.0 differ).
nlohmann::json normalize_rope(const nlohmann::json& rope) {
  if (!rope.is_object()) return rope;
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : rope.items()) {
    if (key == "type") {
      if (!rope.contains("rope_type")) out["rope_type"] = value;
      continue;
    }
    out[key] = key == "base" ? normalize_rope(value) : value;
  }
  return out;
}

}  // namespace

nlohmann::json RunSpec::canonical() const {
  std::vector<std::string> sorted_metrics = metrics;  // a set: the order they were listed in is no part of the run
  std::sort(sorted_metrics.begin(), sorted_metrics.end());
  nlohmann::json c = {
      {"model", model},
      {"dataset", dataset},
      {"rope", normalize_rope(rope)},
      {"rope_label", rope_label},
      {"family", family},
      {"length", length},
      {"quant", quant},
      {"metrics", sorted_metrics},
      {"baseline", baseline},
      {"windows",
       {{"stride", windows.stride},
        {"max_windows", windows.max_windows},
        {"max_tokens", windows.max_tokens},
        {"mode", windows.mode}}},
      {"passkey", {{"depths", passkey.depths}, {"trials", passkey.trials}, {"seed", passkey.seed}}},
      {"longppl",
       {{"short_length", longppl.short_length}, {"alpha", longppl.alpha}, {"beta", longppl.beta}}},
  };
  if (!qroar.is_null()) c["qroar"] = qroar;  // absent otherwise: the ids of earlier runs stay as they were
  return c;
}

}  // namespace rb
