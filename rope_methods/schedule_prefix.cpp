#include <cstring>

#include "rope_methods/rope_method.hpp"

namespace rb::rope {
namespace {
bool same_bits(const std::vector<float>& a, const std::vector<float>& b, std::size_t n) {
  return a.size() >= n && b.size() >= n && (n == 0 || std::memcmp(a.data(), b.data(), n * sizeof(float)) == 0);
}

bool schedule_is_prefix(const RopeSchedule& s, const RopeSchedule& l) {
  const std::size_t n = s.positions.size();
  if (n > l.positions.size()) return false;
  if (std::memcmp(&s.attention_scaling, &l.attention_scaling, sizeof(float)) != 0) return false;
  if (s.inv_freq.size() != l.inv_freq.size() || !same_bits(s.inv_freq, l.inv_freq, s.inv_freq.size())) return false;
  if (s.q_band_scale.size() != l.q_band_scale.size() || !same_bits(s.q_band_scale, l.q_band_scale, s.q_band_scale.size()))
    return false;
  if (s.k_band_scale.size() != l.k_band_scale.size() || !same_bits(s.k_band_scale, l.k_band_scale, s.k_band_scale.size()))
    return false;
  if (s.query_scale.empty() != l.query_scale.empty() || !same_bits(s.query_scale, l.query_scale, s.query_scale.size()))
    return false;
  return same_bits(s.positions, l.positions, n);
}
}  // namespace

bool is_prefix_of(const RopeSchedules& shorter, const RopeSchedules& longer) {
  if (shorter.by_type.size() != longer.by_type.size()) return false;
  for (std::size_t i = 0; i < shorter.by_type.size(); ++i)
    if (!schedule_is_prefix(shorter.by_type[i], longer.by_type[i])) return false;
  return true;
}

}  // namespace rb::rope
