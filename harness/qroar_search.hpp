#pragma once
// Q-ROAR's search (docs/QROAR.md): per band a scale for the rows of W_Q and W_K, found by
// coordinate search over a grid that holds the identity, minimising the long-context NLL of a
// small dev set under the chosen RoPE method and 4-bit quantization, subject to its short-context
// NLL staying within a tolerance of the identity's. Only accepted improvements move a scale, so
// the result is never worse than the identity on the dev set; the order of the trials is fixed and
// every evaluation deterministic, so a rerun gives the same scales bit for bit.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "datasets/windows.hpp"
#include "harness/model_rope.hpp"
#include "model_core/backend.hpp"
#include "model_core/loaders/qroar_at_load.hpp"
#include "model_core/model.hpp"
#include "quant/quant_options.hpp"

namespace rb::cli {

// The dev set: windows of one token stream at the long and the short length.
struct QroarDevSet {
  std::vector<int32_t> tokens;
  int64_t long_length = 0, short_length = 0;
  std::vector<data::Window> long_windows, short_windows;
};

// `windows` non-overlapping long windows from the start of `tokens` (data::plan_windows), and the
// short windows that tile the same tokens. Throws InputError(source, field) when the text
// is too short for them.
QroarDevSet make_qroar_dev_set(std::vector<int32_t> tokens, int64_t long_length, int64_t short_length, int64_t windows,
                               const std::string& source, const std::string& field = "--dev-windows");

// Mean NLL per prediction at each length.
struct QroarObjective {
  double long_nll = 0.0, short_nll = 0.0;
  nlohmann::json to_json() const { return {{"long_nll", long_nll}, {"short_nll", short_nll}}; }
};

// The dev-set objective of a set of scales: the model's stored weights with the scales applied,
// then quantized with `quant`, scored by a fresh backend. Projections other than W_Q and W_K are
// quantized once.
class QroarEvaluator {
 public:
  // `model`: config and weights as loaded without --quant (full precision, or a 4-bit checkpoint
  // read as published); taken over.
  QroarEvaluator(Model model, const ModelRope& rope, quant::QuantOptions quant, BackendOptions backend, QroarDevSet dev);
  QroarObjective evaluate(const QroarScales& scales);
  int64_t evaluations() const { return evaluations_; }
  const ModelConfig& config() const { return model_.config; }
  // The model with `scales` applied and quantized (until the next call), for diagnostics.
  Model& model_with(const QroarScales& scales);
  const QroarDevSet& dev() const { return dev_; }

 private:
  Model model_;                                  // non-Q/K projections already quantized
  std::map<std::string, HostTensor> qk_stored_;  // W_Q, W_K and their biases as stored
  const ModelRope& rope_;
  quant::QuantOptions quant_;
  BackendOptions backend_;
  QroarDevSet dev_;
  int64_t evaluations_ = 0;
};

struct QroarSearchOptions {
  quant::BandSpec bands;
  QroarVariant variant = QroarVariant::Symmetric;
  bool per_layer = false;            // one scale per (layer, band) instead of per band
  std::vector<double> grid;          // candidate scales; must hold 1
  double short_tolerance = 0.005;    // short NLL may rise by at most this fraction of the identity's
  int passes = 2;                    // sweeps over every coordinate (stops early when one changes nothing)
};

// 2^(k/3) for k = -3..3: 0.5, 0.63, 0.79, 1, 1.26, 1.59, 2.
std::vector<double> default_qroar_grid();

struct QroarSearchResult {
  QroarScales scales;
  QroarObjective identity, best;
  int64_t evaluations = 0;
  nlohmann::json trace = nlohmann::json::array();  // every accepted move
};

using QroarProgress = std::function<void(int64_t evaluations, const QroarObjective& best)>;

QroarSearchResult qroar_search(QroarEvaluator& evaluator, const QroarSearchOptions& options,
                               const QroarProgress& progress = {});

}  // namespace rb::cli
