// Fuzz target: a --rope JSON, as `ropebatch eval --rope` reads it: parsed, built for a small model,
// and scheduled at a few lengths. Every number of every schedule must be finite (inverse frequencies
// also >= 0): anything else would give a perplexity computed from infinities, silently.
#include <cmath>
#include <cstdlib>
#include <cstdio>

#include "common/json_input.hpp"
#include "fuzz_input.hpp"
#include "rope_methods/rope_method.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  rbfuzz::expect_clean([&] {
    const nlohmann::json rope = rb::parse_json_input(rbfuzz::bytes(data, size), "--rope");
    rb::rope::RopeModelInfo info;
    info.head_dim = 64;
    info.rope_theta = 10000.0;
    info.max_position_embeddings = 2048;
    const auto method = rb::rope::make_rope_method(rope, info, "--rope");
    (void)method->config().dump();
    for (const int64_t length : {1, 100, 2048, 8192}) {
      const rb::rope::RopeSchedule s = method->schedule(length);
      bool finite = std::isfinite(s.attention_scaling);
      for (const float f : s.inv_freq) finite = finite && std::isfinite(f) && f >= 0;
      for (const auto* v : {&s.positions, &s.query_scale, &s.q_band_scale, &s.k_band_scale})
        for (const float f : *v) finite = finite && std::isfinite(f);
      if (!finite) {
        std::fprintf(stderr, "rope %s at length %lld: non-finite schedule\n", rope.dump().c_str(),
                     static_cast<long long>(length));
        std::abort();
      }
    }
  });
  return 0;
}
