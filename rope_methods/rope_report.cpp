// rope_report: see rope_report.hpp.
#include "rope_methods/rope_report.hpp"

#include <numbers>
#include <string>

#include "common/error.hpp"

namespace rb::rope {

nlohmann::json rope_report(const RopeMethod& method, const RopeModelInfo& info, int64_t length) {
  if (length < 1) throw rb::InputError("rope report", "length", "must be >= 1, got " + std::to_string(length));
  const nlohmann::json config = method.config();
  int64_t original = info.max_position_embeddings;
  if (config.contains("original_max_position_embeddings") && config["original_max_position_embeddings"].is_number_integer())
    original = config["original_max_position_embeddings"].get<int64_t>();
  else if (config.contains("seq_length") && config["seq_length"].is_number_integer())
    original = config["seq_length"].get<int64_t>();

  const RopeSchedule s = method.schedule(length);
  nlohmann::json pairs = nlohmann::json::array();
  for (std::size_t i = 0; i < s.inv_freq.size(); ++i) {
    const double inv_freq = s.inv_freq[i];
    nlohmann::json pair = {{"i", i}, {"inv_freq", inv_freq}};
    if (inv_freq > 0.0) {
      const double wavelength = 2.0 * std::numbers::pi / inv_freq;
      pair["wavelength"] = wavelength;
      pair["wavelength_over_original"] = original > 0 ? nlohmann::json(wavelength / static_cast<double>(original)) : nlohmann::json(nullptr);
      pair["wavelength_over_target"] = wavelength / static_cast<double>(length);
    } else {
      pair["wavelength"] = nullptr;
      pair["wavelength_over_original"] = nullptr;
      pair["wavelength_over_target"] = nullptr;
    }
    pairs.push_back(std::move(pair));
  }

  nlohmann::json report;
  report["method"] = method.name();
  report["config"] = config;
  report["length"] = length;
  report["original_context"] = original;
  report["rotary_dim"] = 2 * s.inv_freq.size();
  report["attention_scaling"] = s.attention_scaling;
  report["inv_freq"] = s.inv_freq;
  report["pairs"] = std::move(pairs);
  report["positions"] = {{"first", s.positions.front()}, {"last", s.positions.back()}};
  report["query_scale"] = s.query_scale.empty() ? nlohmann::json(nullptr)
                                                : nlohmann::json{{"first", s.query_scale.front()}, {"last", s.query_scale.back()}};
  return report;
}

}  // namespace rb::rope
