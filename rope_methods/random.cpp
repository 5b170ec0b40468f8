// random: OUR definition of a random-frequency control: the default's frequency range, filled with
// seeded log-uniform frequencies.
//
//   lo = min_i default inv_freq = theta^(-(d-2)/d),  hi = max_i default inv_freq = 1
//   u_j = uniform [0, 1) from splitmix64(seed),  f_j = exp(ln lo + u_j (ln hi - ln lo)),  j = 0 .. d/2-1
//   inv_freq = f sorted descending (highest frequency first, like default);  attention_scaling = 1
//
// splitmix64 (Steele, Lea, Flood 2014, "Fast Splittable Pseudorandom Number Generators") and
// u = (x >> 11) * 2^-53 are integer arithmetic, so the draws are the same on every platform; f_j is
// formed in double and rounded to float32.
// Parameters: seed (integer >= 0, default 0), rope_theta (default: the model's).
#include <algorithm>
#include <cmath>
#include <functional>

#include "rope_methods/method_common.hpp"

namespace rb::rope::detail {
namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::unique_ptr<RopeMethod> make_random(Params& p, const MethodContext& ctx) {
  const int64_t seed = p.integer("seed", "an integer >= 0").value_or(0);
  if (seed < 0) p.fail("seed", std::to_string(seed) + " is negative; allowed: an integer >= 0");

  const std::vector<float> reference = torch_f32::inv_freq(static_cast<float>(ctx.info.rope_theta), ctx.rotary_dim);
  const auto [lo, hi] = std::minmax_element(reference.begin(), reference.end());
  const double log_lo = std::log(static_cast<double>(*lo));
  const double log_hi = std::log(static_cast<double>(*hi));

  uint64_t state = static_cast<uint64_t>(seed);
  std::vector<float> inv_freq(reference.size());
  for (float& f : inv_freq) {
    const double u = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;
    f = static_cast<float>(std::exp(log_lo + u * (log_hi - log_lo)));
  }
  std::sort(inv_freq.begin(), inv_freq.end(), std::greater<float>());

  nlohmann::json config = base_config("random", ctx, p);
  config["seed"] = seed;
  config["min_inv_freq"] = *lo;
  config["max_inv_freq"] = *hi;
  return std::make_unique<StaticRope>("random", std::move(config), std::move(inv_freq));
}

}  // namespace rb::rope::detail
