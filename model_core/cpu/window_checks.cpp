#include "model_core/cpu/window_checks.hpp"

#include <string>

#include "common/error.hpp"

namespace rb::cpu {

void check_schedule(const ModelConfig& c, const rope::RopeSchedule& s) {
  const size_t pairs = s.inv_freq.size();
  const size_t L = s.positions.size();
  if (L == 0) throw Error("RoPE schedule: no positions (window length 0)");
  if (pairs == 0 || 2 * pairs > static_cast<size_t>(c.head_dim))
    throw Error("RoPE schedule: inv_freq has " + std::to_string(pairs) + " entries; rotary_dim = 2 * " +
                std::to_string(pairs) + " must be between 2 and head_dim " + std::to_string(c.head_dim));
  if (!s.query_scale.empty() && s.query_scale.size() != L)
    throw Error("RoPE schedule: query_scale has " + std::to_string(s.query_scale.size()) +
                " entries for a window of " + std::to_string(L) + " positions");
  if (!s.q_band_scale.empty() && s.q_band_scale.size() != pairs)
    throw Error("RoPE schedule: q_band_scale has " + std::to_string(s.q_band_scale.size()) +
                " entries, inv_freq has " + std::to_string(pairs));
  if (!s.k_band_scale.empty() && s.k_band_scale.size() != pairs)
    throw Error("RoPE schedule: k_band_scale has " + std::to_string(s.k_band_scale.size()) +
                " entries, inv_freq has " + std::to_string(pairs));
}

void check_schedules(const ModelConfig& c, const rope::RopeSchedules& s) {
  const int64_t want = c.rope_schedule_count();
  if (static_cast<int64_t>(s.by_type.size()) != want) {
    std::string types;
    for (const LayerTypeRope& r : c.rope_by_layer_type) types += (types.empty() ? "" : ", ") + r.layer_type;
    throw Error("RoPE: " + std::to_string(s.by_type.size()) + " schedule(s) given; the model needs " + std::to_string(want) +
                (types.empty() ? std::string() : " (one per layer type: " + types + ")"));
  }
  for (const rope::RopeSchedule& one : s.by_type) {
    check_schedule(c, one);
    if (one.positions.size() != s.by_type.front().positions.size())
      throw Error("RoPE: the schedules of one window have different lengths (" + std::to_string(one.positions.size()) +
                  " and " + std::to_string(s.by_type.front().positions.size()) + ")");
  }
}

void check_window(const ModelConfig& c, std::span<const int32_t> tokens, size_t window_index,
                  const rope::RopeSchedule& s) {
  const std::string where = "window " + std::to_string(window_index);
  if (tokens.size() != s.positions.size())
    throw Error(where + ": " + std::to_string(tokens.size()) + " tokens, but the RoPE schedule has " +
                std::to_string(s.positions.size()) + " positions");
  for (size_t t = 0; t < tokens.size(); ++t) {
    if (tokens[t] < 0 || tokens[t] >= c.vocab_size)
      throw InputError(where, "position " + std::to_string(t),
                       "token id " + std::to_string(tokens[t]) + " is outside the vocabulary [0, " +
                           std::to_string(c.vocab_size) + ")");
  }
}

}  // namespace rb::cpu
