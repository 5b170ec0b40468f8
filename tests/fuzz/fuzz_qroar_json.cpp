// Fuzz target: a Q-ROAR scales file (docs/QROAR.md), as `eval --qroar` and a grid's `qroar` read
// it: parsed, checked against a small Llama-shaped model, and turned into each layer's row
// multipliers of W_Q and W_K. Every multiplier of a file that passes must be finite and positive.
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "common/json_input.hpp"
#include "fuzz_input.hpp"
#include "model_core/loaders/qroar_at_load.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  rbfuzz::expect_clean([&] {
    const nlohmann::json j = rb::parse_json_input(rbfuzz::bytes(data, size), "scales.json");
    const rb::QroarScales s = rb::qroar_from_json(j, "scales.json");
    rb::ModelConfig c;
    c.architecture = "LlamaForCausalLM";
    c.model_type = "llama";
    c.num_layers = 2;
    c.num_heads = 4;
    c.num_kv_heads = 2;
    c.head_dim = 16;
    c.hidden_size = 64;
    c.source = "model";
    rb::check_qroar_model(s, c);
    for (int64_t layer = 0; layer < c.num_layers; ++layer) {
      std::vector<double> band(static_cast<size_t>(s.band_count()));
      for (int b = 0; b < s.band_count(); ++b) band[static_cast<size_t>(b)] = s.scale(layer, b);
      for (const float m : rb::quant::rope_row_scales(s.band_of_pair, band, c.num_heads, c.head_dim))
        if (!std::isfinite(m) || !(m > 0.0f)) {
          std::fprintf(stderr, "qroar: non-finite or non-positive row multiplier %g\n", static_cast<double>(m));
          std::abort();
        }
    }
  });
  return 0;
}
