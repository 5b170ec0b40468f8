#include "harness/qroar_search.hpp"
#include "harness/qroar_run.hpp"

#include <algorithm>
#include <cmath>

#include "common/error.hpp"
#include "harness/scoring.hpp"
#include "model_core/loaders/quantize_at_load.hpp"
#include "model_core/model_def/tensor_table.hpp"

namespace rb::cli {
namespace {

std::vector<std::string> qk_names(const ModelConfig& c) {
  const FamilyDef& family = family_for(c);
  std::vector<std::string> names;
  for (int64_t layer = 0; layer < c.num_layers; ++layer)
    for (TensorRole role : {TensorRole::Q, TensorRole::K, TensorRole::QBias, TensorRole::KBias})
      if (const TensorSpec* spec = find_spec(family, role)) names.push_back(tensor_name(*spec, layer));
  return names;
}

}  // namespace

QroarDevSet make_qroar_dev_set(std::vector<int32_t> tokens, int64_t long_length, int64_t short_length, int64_t windows,
                               const std::string& source, const std::string& field) {
  const size_t span = static_cast<size_t>(long_length * windows);
  if (windows < 1 || tokens.size() < span)
    throw InputError(source, field, "the dev text has " + std::to_string(tokens.size()) + " tokens, fewer than " +
                                                  std::to_string(windows) + " windows of " + std::to_string(long_length));
  tokens.resize(span);
  const auto plan = [&](int64_t length, std::optional<size_t> max_windows) {
    data::WindowOptions o;
    o.length = static_cast<size_t>(length);
    o.max_windows = max_windows;
    return data::plan_windows(std::span<const size_t>(&span, 1), o).windows;
  };
  QroarDevSet dev;
  dev.long_length = long_length;
  dev.short_length = short_length;
  dev.long_windows = plan(long_length, static_cast<size_t>(windows));
  dev.short_windows = plan(short_length, std::nullopt);
  dev.tokens = std::move(tokens);
  return dev;
}

std::vector<double> default_qroar_grid() {
  std::vector<double> grid;
  for (int k = -3; k <= 3; ++k) grid.push_back(std::exp2(k / 3.0));
  return grid;
}

QroarEvaluator::QroarEvaluator(Model model, const ModelRope& rope, quant::QuantOptions quant, BackendOptions backend,
                               QroarDevSet dev)
    : model_(std::move(model)), rope_(rope), quant_(std::move(quant)), backend_(std::move(backend)), dev_(std::move(dev)) {
  const std::vector<std::string> names = qk_names(model_.config);
  for (const std::string& name : names)
    if (const auto it = model_.weights.tensors.find(name); it != model_.weights.tensors.end()) qk_stored_.emplace(name, it->second);
  quantize_projections(model_.weights, model_.config, quant_,
                       [&](const std::string& name) { return qk_stored_.count(name) == 0; });
}

Model& QroarEvaluator::model_with(const QroarScales& scales) {
  for (const auto& [name, stored] : qk_stored_) model_.weights.tensors[name] = stored;
  apply_qroar_scales(model_.weights, model_.config, scales);
  quantize_projections(model_.weights, model_.config, quant_,
                       [&](const std::string& name) { return qk_stored_.count(name) != 0; });
  return model_;
}

QroarObjective QroarEvaluator::evaluate(const QroarScales& scales) {
  const Model& m = model_with(scales);
  auto backend = make_backend(m, backend_);
  QroarObjective o;
  o.long_nll = mean_nll(score_windows(*backend, rope_, dev_.tokens, dev_.long_windows, dev_.long_length));
  o.short_nll = mean_nll(score_windows(*backend, rope_, dev_.tokens, dev_.short_windows, dev_.short_length));
  ++evaluations_;
  return o;
}

QroarSearchResult qroar_search(QroarEvaluator& evaluator, const QroarSearchOptions& o, const QroarProgress& progress) {
  check_qroar_search_options(o, "command line", "--grid", "--passes", "--short-tolerance");  // callers check with their own fields first

  QroarSearchResult r;
  r.scales = qroar_identity(evaluator.config(), o.bands, o.variant, o.per_layer);
  r.identity = evaluator.evaluate(r.scales);
  r.best = r.identity;
  const double short_limit = r.identity.short_nll * (1.0 + o.short_tolerance);
  if (progress) progress(evaluator.evaluations(), r.best);
  std::vector<double> grid = o.grid;
  std::sort(grid.begin(), grid.end());
  for (int pass = 0; pass < o.passes; ++pass) {
    bool moved = false;
    for (size_t row = 0; row < r.scales.scales.size(); ++row)
      for (size_t band = 0; band < r.scales.scales[row].size(); ++band) {
        const double current = r.scales.scales[row][band];
        double chosen = current;
        for (double v : grid) {
          if (v == current) continue;
          QroarScales trial = r.scales;
          trial.scales[row][band] = v;
          const QroarObjective got = evaluator.evaluate(trial);
          if (got.short_nll <= short_limit && got.long_nll < r.best.long_nll) {
            r.best = got;
            chosen = v;
          }
          if (progress) progress(evaluator.evaluations(), r.best);
        }
        if (chosen != current) {
          r.scales.scales[row][band] = chosen;
          moved = true;
          r.trace.push_back({{"pass", pass}, {"row", row}, {"band", band}, {"scale", chosen}, {"objective", r.best.to_json()}});
        }
      }
    if (!moved) break;
  }
  r.evaluations = evaluator.evaluations();
  return r;
}

}  // namespace rb::cli
