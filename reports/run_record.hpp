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
