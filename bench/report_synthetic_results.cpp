// SYNTHETIC results for timing `ropebatch report` (bench/report_bench.sh): writes a results file of
// N runs (default 10,000) shaped like a large sweep (one model and dataset, 12 method families with
// many configurations each, 6 lengths, 8 windows per run, passkey at 5 depths x 4 trials, LongPPL,
// about 2% failed runs; schema 2's loss by position, trained length 8,192 and resolved RoPE), through the same writer as `ropebatch run` (write_results). The numbers
// are made up by a formula: they are NOT measurements, and every run's configuration says
// "synthetic": true.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "reports/position_buckets.hpp"
#include "reports/results_store.hpp"

namespace {

using rb::reports::RunRecord;

// A deterministic pseudo-random number in [0, 1) from two integers (SplitMix64).
double noise(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9E3779B97F4A7C15ull + b + 0x632BE59BD9B4E5F5ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / 9007199254740992.0;
}

std::string hex_id(uint64_t i) {
  char id[65];
  std::snprintf(id, sizeof id, "%016llx%048llx", static_cast<unsigned long long>(i), 0x5e7ull);
  return id;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT.h5 [RUNS]\n", argv[0]);
    return 2;
  }
  const std::string out = argv[1];
  const long runs_wanted = argc > 2 ? std::atol(argv[2]) : 10000;
  const std::vector<std::string> families = {"original", "linear", "ntk",      "dynamic", "yarn",   "llama3",
                                             "longrope", "geometric", "sigmoid", "hybrid", "random", "compress"};
  const std::vector<int64_t> lengths = {2048, 4096, 8192, 16384, 32768, 65536};
  const long configurations = (runs_wanted + static_cast<long>(lengths.size()) - 1) / static_cast<long>(lengths.size());

  std::vector<RunRecord> records;
  uint64_t serial = 0;
  for (long c = 0; c < configurations; ++c) {
    const bool baseline = c == 0;
    const std::string family = baseline ? "original" : families[1 + static_cast<std::size_t>(c - 1) % (families.size() - 1)];
    const double factor = baseline ? 1.0 : 1.0 + static_cast<double>((c - 1) / static_cast<long>(families.size() - 1)) * 0.25;
    char label[96];
    if (baseline)
      std::snprintf(label, sizeof label, "original");
    else
      std::snprintf(label, sizeof label, "%s factor=%g", family.c_str(), factor);
    for (const int64_t length : lengths) {
      if (static_cast<long>(records.size()) >= runs_wanted) break;
      RunRecord r;
      r.config = {{"synthetic", true},
                  {"model", "synthetic/llama-like-8k"},
                  {"model_sha256", "synthetic"},
                  {"dataset", "synthetic:none"},
                  {"dataset_sha256", "synthetic"},
                  {"family", family},
                  {"rope_label", label},
                  {"rope", baseline ? nlohmann::json() : nlohmann::json{{"rope_type", family}, {"factor", factor}}},
                  {"length", length},
                  {"quant", "none"},
                  {"baseline", baseline},
                  {"metrics", {"longppl", "passkey", "ppl"}},
                  {"windows", {{"stride", 0}, {"max_windows", 8}, {"max_tokens", 0}, {"mode", "auto"}}}};
      r.run_id = hex_id(serial++);
      r.trained_length = 8192;
      r.rope_resolved = (baseline ? nlohmann::json{{"rope_type", "default"}}
                                  : nlohmann::json{{"rope_type", family}, {"factor", factor}, {"beta_fast", 32.0}})
                            .dump();
      r.host = "synthetic-host";
      r.device = "synthetic";
      r.started_at = "2025-01-01T00:00:00Z";
      r.finished_at = "2025-01-01T00:00:01Z";
      if (noise(serial, 1) < 0.02) {
        r.status = "failed";
        r.error = "synthetic failure";
        records.push_back(std::move(r));
        continue;
      }
      r.status = "ok";
      // PPL rises past 8k unless the factor covers the length.
      const double reach = 8192.0 * factor;
      const double excess = std::max(0.0, std::log2(static_cast<double>(length) / reach));
      const double mean_nll = std::log(8.0 + 0.1 * factor) + 0.6 * excess * excess + 0.05 * noise(serial, 2);
      for (int w = 0; w < 8; ++w) {
        const double nll = (mean_nll + 0.02 * (noise(serial, 10 + w) - 0.5)) * static_cast<double>(length - 1);
        r.window_nll.push_back(nll);
        r.window_predictions.push_back(length - 1);
        r.nll_sum += nll;
        r.predictions += length - 1;
      }
      const double m = r.nll_sum / static_cast<double>(r.predictions);
      r.ppl = std::exp(m);
      r.ppl_stderr = *r.ppl * 0.004 * (1.0 + noise(serial, 3));
      r.longppl = *r.ppl * (1.5 + noise(serial, 4));
      r.longppl_key_tokens = 100 + static_cast<int64_t>(400 * noise(serial, 5));
      for (int d = 0; d < 5; ++d)
        for (int t = 0; t < 4; ++t)
          r.passkey.push_back({length, 0.25 * d, t, noise(serial, 20 + 4 * d + t) < std::exp(-excess)});
      // Loss falls with position, and past the reach of the factor rises again.
      const std::vector<int64_t> starts = rb::reports::position_bucket_starts(length);
      for (std::size_t b = 0; b < starts.size(); ++b) {
        const int64_t end = b + 1 < starts.size() ? starts[b + 1] : length;
        const double position = static_cast<double>(starts[b]);
        const double past = std::max(0.0, std::log2(position / reach));
        r.position_bucket_start.push_back(starts[b]);
        r.position_mean_nll.push_back(m + 1.0 / std::sqrt(position) + 0.6 * past * past);
        r.position_predictions.push_back(8 * (end - starts[b]));
      }
      r.seconds = 1.0;
      r.tokens_per_second = 8.0 * static_cast<double>(length);
      records.push_back(std::move(r));
    }
  }
  rb::reports::FileInfo info{"synthetic", "synthetic",
                             {"report_synthetic_results " + out + " " + std::to_string(runs_wanted) +
                              "  # SYNTHETIC data for the report benchmark, not measurements"},
                             "2025-01-01T00:00:00Z"};
  rb::reports::write_results(out, records, info);
  std::printf("wrote %zu synthetic runs to %s\n", records.size(), out.c_str());
  return 0;
}
