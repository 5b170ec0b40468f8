// The CPU backend's attention kernel against a plain double-precision loop (softmax over the
// visible keys, one query and head at a time), and its exp against std::exp.
#define BOOST_TEST_MODULE cpu_attention
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "model_core/cpu/cpu_kernels.hpp"
#include "model_core/cpu/softmax_row.hpp"

using namespace rb;

namespace {

int64_t ulp_distance(float a, float b) {
  return std::abs(static_cast<int64_t>(std::bit_cast<int32_t>(a)) - static_cast<int64_t>(std::bit_cast<int32_t>(b)));
}

std::vector<float> pattern(int64_t n, uint32_t seed) {
  std::vector<float> v(static_cast<size_t>(n));
  uint32_t s = seed;
  for (float& x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<float>(static_cast<int32_t>(s >> 8) - (1 << 23)) / static_cast<float>(1 << 23);
  }
  return v;
}

// out[t, h] = sum_j softmax_j(q[t,h] . k[j,g] * scale) v[j,g], j in (t - window, t] (window 0: [0, t]).
std::vector<double> reference(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                              int64_t L, int64_t heads, int64_t kv_heads, int64_t D, double scale, int64_t window) {
  std::vector<double> out(static_cast<size_t>(L * heads * D));
  for (int64_t t = 0; t < L; ++t)
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t g = h / (heads / kv_heads), lo = window > 0 ? std::max<int64_t>(0, t - window + 1) : 0;
      std::vector<double> s;
      double mx = -1e300;
      for (int64_t j = lo; j <= t; ++j) {
        double dot = 0;
        for (int64_t d = 0; d < D; ++d) dot += double(q[(t * heads + h) * D + d]) * k[(j * kv_heads + g) * D + d];
        s.push_back(dot * scale);
        mx = std::max(mx, s.back());
      }
      double sum = 0;
      for (double& x : s) sum += (x = std::exp(x - mx));
      for (int64_t d = 0; d < D; ++d) {
        double o = 0;
        for (int64_t j = lo; j <= t; ++j) o += s[static_cast<size_t>(j - lo)] / sum * v[(j * kv_heads + g) * D + d];
        out[(t * heads + h) * D + d] = o;
      }
    }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(exp_is_within_two_ulp_of_std_exp) {
  int64_t worst = 0;
  for (float x = 0.0f; x > -87.0f; x = std::nextafter(x, -100.0f) - 1.0e-4f)
    worst = std::max(worst, ulp_distance(cpu::exp_nonpositive(x), std::exp(x)));
  BOOST_TEST(worst <= 2);
  BOOST_TEST(cpu::exp_nonpositive(0.0f) == 1.0f);
  BOOST_TEST(cpu::exp_nonpositive(-200.0f) == 0.0f);
  BOOST_TEST(cpu::exp_nonpositive(-std::numeric_limits<float>::infinity()) == 0.0f);
}

BOOST_AUTO_TEST_CASE(row_softmax_zeroes_the_hidden_keys) {
  std::vector<float> row{3.0f, 1.0f, -2.0f, 5.0f, 0.5f, 7.0f};
  const float sum = cpu::exp_row_unnormalized(row.data(), 1, 4, 6);
  BOOST_TEST(row[0] == 0.0f);
  BOOST_TEST(row[4] == 0.0f);
  BOOST_TEST(row[5] == 0.0f);
  BOOST_TEST(row[3] == 1.0f);  // the row's maximum
  const double expect = std::exp(-4.0) + std::exp(-7.0) + 1.0;
  BOOST_TEST(std::abs(sum - expect) < 1e-6 * expect);
}

// Lengths that are not a multiple of the query block, grouped KV heads, full and sliding windows,
// keys in one tile and in tiles of 50 and 128 (a tile boundary inside a query block, rows with no
// key in a tile, the window starting past a block's first tile).
BOOST_AUTO_TEST_CASE(attention_matches_the_plain_loop) {
  const int64_t heads = 6, kv_heads = 2, D = 16;
  for (int64_t L : {1, 63, 200, 300})
    for (int64_t window : {0, 37, 130})
      for (int64_t tile : {int64_t{0}, int64_t{50}, int64_t{128}, cpu::kAttentionKeyTile}) {
        const auto q = pattern(L * heads * D, 1), k = pattern(L * kv_heads * D, 2), v = pattern(L * kv_heads * D, 3);
        const float scale = 1.0f / std::sqrt(static_cast<float>(D)) * 3.0f;  // sharper than head_dim^-0.5
        std::vector<float> out(static_cast<size_t>(L * heads * D), -1.0f);
        cpu::causal_attention(q.data(), k.data(), v.data(), L, heads, kv_heads, D, scale, out.data(), 2, window, tile);
        const auto ref = reference(q, k, v, L, heads, kv_heads, D, scale, window);
        double worst = 0;
        for (size_t i = 0; i < out.size(); ++i) worst = std::max(worst, std::abs(out[i] - ref[i]));
        BOOST_TEST_INFO("L " << L << " window " << window << " tile " << tile);
        BOOST_TEST(worst < 2e-6);  // fp32 dot products of 16 and sums of up to 300 terms of |x| <= 1
      }
}

// RB_CPU_ATTN_KEYS: unset is the default tile, 0 untiled, a bad value refused with the variable's name.
BOOST_AUTO_TEST_CASE(key_tile_from_the_environment) {
  unsetenv("RB_CPU_ATTN_KEYS");
  BOOST_TEST(cpu::attention_key_tile_from_env() == cpu::kAttentionKeyTile);
  for (const auto& [text, tile] : {std::pair<const char*, int64_t>{"0", 0}, {"512", 512}}) {
    setenv("RB_CPU_ATTN_KEYS", text, 1);
    BOOST_TEST(cpu::attention_key_tile_from_env() == tile);
  }
  for (const char* bad : {"-1", "1k", "tiles"}) {
    setenv("RB_CPU_ATTN_KEYS", bad, 1);
    try {
      (void)cpu::attention_key_tile_from_env();
      BOOST_ERROR("RB_CPU_ATTN_KEYS=" << bad << " was accepted");
    } catch (const InputError& e) {
      BOOST_TEST(e.file() == "RB_CPU_ATTN_KEYS");
      BOOST_TEST(std::string(e.what()).find("must be 0 or a positive integer, got '" + std::string(bad) + "'") !=
                     std::string::npos,
                 e.what());
    }
  }
  unsetenv("RB_CPU_ATTN_KEYS");
}
