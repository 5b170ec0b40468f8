#pragma once
// A planned run: what `ropebatch run` evaluates, one configuration at one length, expanded from a
// grid. Its canonical JSON (every default resolved) is what the results store hashes into run_id,
// so the same configuration is recognised across restarts and shards.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rb {

struct WindowSettings {
  int64_t stride = 0;        // 0: non-overlapping
  int64_t max_windows = 0;   // 0: all
  int64_t max_tokens = 0;    // 0: all
  std::string mode = "auto"; // "auto" (the source's default), "concatenated", "per-document"
};

struct PasskeySettings {
  std::vector<double> depths{0.0, 0.25, 0.5, 0.75, 1.0};
  int64_t trials = 5;
  uint64_t seed = 0;
};

struct LongPplSettings {
  int64_t short_length = 4096;
  double alpha = 2.0, beta = -2.0;
};

struct RunSpec {
  std::string model;          // path: HF directory or .gguf
  std::string dataset;        // datasets source spec ("bible-kjv", "text:PATH", ...)
  nlohmann::json rope;        // Hugging Face style rope JSON; null = the model's own
  std::string rope_label;     // short human label, e.g. "yarn f=4 bf=32 bs=1"
  std::string family;         // method family for reports: "original", "yarn", "llama3", ...
  int64_t length = 0;
  std::string quant = "none";
  std::vector<std::string> metrics{"ppl"};  // "ppl", "passkey", "longppl"
  bool baseline = false;      // the grid's baseline configuration
  WindowSettings windows;
  PasskeySettings passkey;
  LongPplSettings longppl;
  // Q-ROAR scales applied before quantization (docs/QROAR.md): null, or {"file", "variant", "bands",
  // "scales"} as read from the scales file at expansion (so a changed file is another run).
  nlohmann::json qroar;

  // Every field, defaults included, in a fixed key order (nlohmann::json sorts keys).
  nlohmann::json canonical() const;
};

}  // namespace rb
