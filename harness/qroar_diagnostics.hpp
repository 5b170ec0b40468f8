#pragma once
// Q-ROAR's band diagnostics (docs/QROAR.md), per layer and band:
//  - interpolation pressure: d(mean long-context NLL) / d(log s), where s scales the rotary
//    phase (inv_freq) of the band's pairs in that layer alone; central finite differences
//    s = 1 +- epsilon on the dev set's long windows, under the chosen RoPE method. A large |value|
//    marks a band whose phases the long context depends on;
//  - tail inflation: a high quantile (default 99.9%) of |q| and |k| over the band's rows (every
//    head and token, before RoPE) at the long length over the same at the short length, for the
//    model as searched (quantized) and for the full-precision model (CPU backend: it needs the
//    activations).
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/model_rope.hpp"
#include "harness/qroar_search.hpp"
#include "model_core/backend.hpp"
#include "model_core/loaders/qroar_at_load.hpp"
#include "model_core/model.hpp"

namespace rb::cli {

struct QroarPressure {
  double epsilon = 0.05;
  double base_nll = 0.0;
  std::vector<std::vector<double>> per_layer;  // [layer][band]
  nlohmann::json to_json() const;
};

// `model` is scored with one RoPE schedule per layer (its config is restored afterwards).
QroarPressure interpolation_pressure(Model& model, const ModelRope& rope, const QroarScales& bands, const QroarDevSet& dev,
                                     const BackendOptions& backend, double epsilon);

struct QroarTails {
  double quantile = 0.999;
  // [layer][band]: quantile at the long length / quantile at the short length
  std::vector<std::vector<double>> q_ratio, k_ratio;
  nlohmann::json to_json() const;
};

// One long and one short dev window through the CPU backend with a q/k probe.
QroarTails tail_inflation(const Model& model, const ModelRope& rope, const QroarScales& bands, const QroarDevSet& dev,
                          int threads, double quantile);

}  // namespace rb::cli
