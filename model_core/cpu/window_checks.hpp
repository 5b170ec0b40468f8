#pragma once
// What both CPU backends (the fast one and the naive reference) check before computing anything:
// each window and RoPE schedule against the model.
#include <cstdint>
#include <span>

#include "model_core/config.hpp"
#include "rope_methods/rope_method.hpp"

namespace rb::cpu {

// The schedule fits the model: 1 <= inv_freq.size() <= head_dim/2 (rotary_dim = 2 * inv_freq.size(),
// dims beyond it pass through unrotated), band scales empty or one per inv_freq entry, query_scale
// empty or one per position, at least one position. Throws rb::Error.
void check_schedule(const ModelConfig& c, const rope::RopeSchedule& s);
// check_schedule for each of a window's schedules, and as many as the model has RoPEs
// (ModelConfig::rope_schedule_count), all of one length.
void check_schedules(const ModelConfig& c, const rope::RopeSchedules& s);

// The window has as many tokens as the schedule has positions and every id is in [0, vocab).
// Throws rb::Error for a length mismatch, rb::InputError naming the position and id otherwise.
void check_window(const ModelConfig& c, std::span<const int32_t> tokens, size_t window_index,
                  const rope::RopeSchedule& s);

}  // namespace rb::cpu
