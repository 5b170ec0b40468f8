#include "harness/qroar_diagnostics.hpp"

#include <algorithm>
#include <cmath>

#include "common/error.hpp"
#include "harness/scoring.hpp"

namespace rb::cli {
namespace {

// The q (or k) quantile of |x| per (layer, band) for one window.
class BandQuantiles {
 public:
  BandQuantiles(const ModelConfig& c, const QroarScales& bands, double quantile)
      : c_(c), bands_(bands), quantile_(quantile),
        q_(static_cast<size_t>(c.num_layers), std::vector<double>(static_cast<size_t>(bands.band_count()), 0.0)), k_(q_) {}

  void observe(int64_t layer, std::span<const float> q, std::span<const float> k) {
    fill(q, c_.num_heads, q_.at(static_cast<size_t>(layer)));
    fill(k, c_.num_kv_heads, k_.at(static_cast<size_t>(layer)));
  }
  const std::vector<std::vector<double>>& q() const { return q_; }
  const std::vector<std::vector<double>>& k() const { return k_; }

 private:
  void fill(std::span<const float> x, int64_t heads, std::vector<double>& out) const {
    const int64_t d = c_.head_dim, width = heads * d, pairs = static_cast<int64_t>(bands_.band_of_pair.size());
    const int64_t tokens = static_cast<int64_t>(x.size()) / width;
    for (int band = 0; band < bands_.band_count(); ++band) {
      std::vector<float> values;
      for (int64_t t = 0; t < tokens; ++t)
        for (int64_t h = 0; h < heads; ++h)
          for (int64_t i = 0; i < pairs; ++i) {
            if (bands_.band_of_pair[static_cast<size_t>(i)] != band) continue;
            const float* row = x.data() + t * width + h * d;
            values.push_back(std::fabs(row[i]));
            values.push_back(std::fabs(row[i + pairs]));
          }
      if (values.empty()) continue;
      const auto at = static_cast<size_t>(std::min<double>(static_cast<double>(values.size() - 1),
                                                           std::floor(quantile_ * static_cast<double>(values.size() - 1))));
      std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(at), values.end());
      out[static_cast<size_t>(band)] = values[at];
    }
  }

  const ModelConfig& c_;
  const QroarScales& bands_;
  double quantile_;
  std::vector<std::vector<double>> q_, k_;
};

nlohmann::json rows_json(const std::vector<std::vector<double>>& rows) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& row : rows) {
    nlohmann::json r = nlohmann::json::array();
    for (double v : row) r.push_back(std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr));
    j.push_back(r);
  }
  return j;
}

}  // namespace

nlohmann::json QroarPressure::to_json() const {
  return {{"epsilon", epsilon}, {"base_nll", base_nll}, {"per_layer", rows_json(per_layer)},
          {"definition", "d(mean long-context NLL)/d(log phase scale) of the band's pairs in one layer, central differences"}};
}

nlohmann::json QroarTails::to_json() const {
  return {{"quantile", quantile}, {"q_ratio", rows_json(q_ratio)}, {"k_ratio", rows_json(k_ratio)},
          {"definition", "quantile of |x| over the band's rows of q (k) before RoPE, long window / short window"}};
}

QroarPressure interpolation_pressure(Model& model, const ModelRope& rope, const QroarScales& bands, const QroarDevSet& dev,
                                     const BackendOptions& backend_options, double epsilon) {
  if (!(epsilon > 0.0 && epsilon < 0.5)) throw InputError("command line", "--epsilon", "must be in (0, 0.5)");
  const ModelConfig& c = model.config;
  const rope::RopeSchedules by_type = rope.schedules(dev.long_length);
  std::vector<rope::RopeSchedule> per_layer;
  for (int64_t layer = 0; layer < c.num_layers; ++layer)
    per_layer.push_back(by_type.by_type.at(static_cast<size_t>(c.rope_index(layer))));
  struct Restore {
    Model& m;
    ~Restore() { m.config.rope_schedule_per_layer = false; }
  } restore{model};
  model.config.rope_schedule_per_layer = true;
  auto backend = make_backend(model, backend_options);

  const auto nll_with = [&](int64_t layer, int band, double factor) {
    std::vector<rope::RopeSchedule> schedules = per_layer;
    if (layer >= 0) {
      std::vector<float>& inv = schedules[static_cast<size_t>(layer)].inv_freq;
      for (size_t i = 0; i < inv.size() && i < bands.band_of_pair.size(); ++i)
        if (bands.band_of_pair[i] == band) inv[i] = static_cast<float>(inv[i] * factor);
    }
    return mean_nll(score_windows(*backend, rope::RopeSchedules(std::move(schedules)), dev.tokens, dev.long_windows,
                                  dev.long_length));
  };
  QroarPressure p;
  p.epsilon = epsilon;
  p.base_nll = nll_with(-1, 0, 1.0);
  for (int64_t layer = 0; layer < c.num_layers; ++layer) {
    std::vector<double>& row = p.per_layer.emplace_back();
    for (int band = 0; band < bands.band_count(); ++band) {
      const double up = nll_with(layer, band, 1.0 + epsilon), down = nll_with(layer, band, 1.0 - epsilon);
      row.push_back((up - down) / (std::log1p(epsilon) - std::log1p(-epsilon)));
    }
  }
  return p;
}

QroarTails tail_inflation(const Model& model, const ModelRope& rope, const QroarScales& bands, const QroarDevSet& dev,
                          int threads, double quantile) {
  if (!(quantile > 0.0 && quantile < 1.0)) throw InputError("command line", "--tail-quantile", "must be in (0, 1)");
  if (dev.long_windows.empty() || dev.short_windows.empty()) throw Error("internal: the dev set has no windows");
  const auto measure = [&](const data::Window& w, int64_t length) {
    BandQuantiles quantiles(model.config, bands, quantile);
    BackendOptions o;
    o.kind = "cpu";
    o.threads = threads;
    o.qk_probe = [&](int64_t layer, std::span<const float> q, std::span<const float> k) { quantiles.observe(layer, q, k); };
    auto backend = make_backend(model, o);
    (void)score_windows(*backend, rope, dev.tokens, {w}, length);
    return quantiles;
  };
  const BandQuantiles at_long = measure(dev.long_windows.front(), dev.long_length);
  const BandQuantiles at_short = measure(dev.short_windows.front(), dev.short_length);
  QroarTails t;
  t.quantile = quantile;
  const auto ratio = [](const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b) {
    std::vector<std::vector<double>> r = a;
    for (size_t i = 0; i < r.size(); ++i)
      for (size_t j = 0; j < r[i].size(); ++j) r[i][j] = b[i][j] > 0 ? a[i][j] / b[i][j] : NAN;
    return r;
  };
  t.q_ratio = ratio(at_long.q(), at_short.q());
  t.k_ratio = ratio(at_long.k(), at_short.k());
  return t;
}

}  // namespace rb::cli
