#pragma once
// The plain reference forward every fast kernel is tested against: the same decoder as the CPU
// backend written as directly as possible (loops, a full L x L score matrix per head, no BLAS, no
// threads, dot products accumulated in double). Slow; meant for tiny models in tests.
#include <cstdint>
#include <span>
#include <vector>

#include "model_core/backend.hpp"

namespace rb::cpu {

struct NaiveScores {
  WindowScores scores;
  // Per position: largest logit minus the second largest, so tests can skip is_argmax comparisons
  // where two logits are closer than rounding can separate.
  std::vector<float> top_gap;
};

NaiveScores naive_forward(const Model& model, std::span<const int32_t> tokens, const rope::RopeSchedules& schedules);

}  // namespace rb::cpu
