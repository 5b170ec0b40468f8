#pragma once
// One finished (or failed) run as the results store keeps it. A run is one configuration (model,
// dataset, RoPE method and parameters, quantization, window settings) at one context length.
// reports/ knows nothing of how runs are planned: the configuration arrives as JSON.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rb::reports {

struct PasskeyOutcome {
  int64_t length = 0;      // target prompt length in tokens
  double depth = 0.0;      // where the key sits, 0 = start, 1 = end
  int64_t trial = 0;
  bool retrieved = false;  // every answer token was the argmax given the true prefix
};

struct RunRecord {
  std::string run_id;            // lower-case hex SHA-256 of config.dump() (the full canonical configuration)
  nlohmann::json config;         // canonical configuration: {"model", "model_sha256", "dataset", "dataset_sha256",
                                 //  "rope": {...resolved...}, "rope_label", "family", "length", "quant",
                                 //  "windows": {...}, "metrics": [...], "baseline": bool, ...}
  std::string status;            // "ok", "failed", "skipped"
  std::string error;             // why it failed or was skipped; empty when ok

  // Perplexity over the run's windows (token-weighted), with the standard error over windows.
  std::optional<double> ppl;
  std::optional<double> ppl_stderr;
  double nll_sum = 0.0;
  int64_t predictions = 0;
  std::vector<double> window_nll;         // per window: summed NLL
  std::vector<int64_t> window_predictions;  // per window: scored predictions
  int64_t skipped_documents = 0;          // documents shorter than the length
  std::vector<float> token_nll;           // optional (--save-token-nll), concatenated over windows

  std::vector<PasskeyOutcome> passkey;    // empty unless the passkey metric ran
  std::optional<double> ratio_to_baseline;  // derived when written: reports/derived_metrics.hpp
  std::optional<double> collapse_ratio;     // derived when written: reports/derived_metrics.hpp
  // The paired comparison with that baseline run over the same windows (reports/statistics.hpp,
  // paired_log_ratio), derived when written; absent when the baseline is missing or failed, or the
  // windows do not match.
  std::optional<int64_t> paired_windows;        // W
  std::optional<double> log_ratio_to_baseline;  // D = ln(ppl / baseline ppl)
  std::optional<double> log_ratio_stderr;       // SE(D) over windows (W >= 2)
  std::optional<double> ratio_ci_low, ratio_ci_high;  // 95%: exp(D -/+ t(0.975, W-1) SE(D))

  // Loss by position (reports/position_buckets.hpp): per log-spaced bucket of the predicted token's
  // position in its window, over the run's scored predictions; buckets without a prediction left out.
  std::vector<int64_t> position_bucket_start;
  std::vector<double> position_mean_nll;
  std::vector<int64_t> position_predictions;
  std::optional<int64_t> trained_length;  // the model's max_position_embeddings when the run was made
  std::string rope_resolved;              // the RoPE method's parameters with every default filled in
                                          // (RopeMethod::config()), JSON; empty in files before schema 2

  std::optional<double> longppl;          // LongPPL over key tokens
  int64_t longppl_key_tokens = 0;
  std::vector<uint8_t> longppl_key_mask;  // optional, per scored token

  double seconds = 0.0;
  double tokens_per_second = 0.0;
  std::string host;
  int rank = 0;
  std::string device;                     // "cpu" or "cuda:0 (NVIDIA H200)"
  std::string started_at, finished_at;    // ISO 8601 UTC
};

}  // namespace rb::reports
