// rope_methods: closed forms of ropebatch's own methods (ntk, geometric, sigmoid, hybrid, random,
// compress), configuration handling, one test per invalid configuration (checking the message), and
// rope_report. The transformers methods are checked against transformers itself in test_rope_transformers.
//
// Tolerances: inv_freq are float32; a closed form evaluated in double and compared after rounding agrees
// to within the float32 rounding of the powers (<= 2 ulp = 2.4e-7 relative), so 1e-6 relative is used.
// Where two routes must perform the very same float operations, equality is required.
#define BOOST_TEST_MODULE rope_methods
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "rope_methods/rope_method.hpp"
#include "rope_methods/rope_report.hpp"

using nlohmann::json;
using rb::rope::make_rope_method;
using rb::rope::RopeModelInfo;
using rb::rope::RopeSchedule;

namespace {

RopeModelInfo model(int64_t head_dim = 128, double theta = 10000.0, int64_t max_pos = 4096) {
  RopeModelInfo info;
  info.head_dim = head_dim;
  info.rope_theta = theta;
  info.max_position_embeddings = max_pos;
  return info;
}

RopeSchedule schedule_of(const json& rope, int64_t seq_len, const RopeModelInfo& info = model()) {
  return make_rope_method(rope, info)->schedule(seq_len);
}

double default_inv_freq(double theta, int64_t i, int64_t d) { return std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(d)); }

void check_close(const std::vector<float>& got, const std::vector<double>& want, double tolerance = 1e-6) {
  BOOST_REQUIRE_EQUAL(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    BOOST_TEST(std::fabs(got[i] - want[i]) <= tolerance * std::fabs(want[i]), "element " << i << ": " << got[i] << " vs " << want[i]);
}

// The message make_rope_method throws for `rope`, or "" when it does not throw.
std::string error_of(const json& rope, const RopeModelInfo& info = model()) {
  try {
    make_rope_method(rope, info, "cfg.json");
  } catch (const rb::InputError& e) {
    return e.what();
  }
  return "";
}

#define CHECK_ERROR(rope, expected)                                                  \
  do {                                                                               \
    const std::string message = error_of(rope);                                      \
    BOOST_TEST(message == std::string(expected), "got: " << message);                \
  } while (0)

#define CHECK_ERROR_CONTAINS(rope, ...)                                              \
  do {                                                                               \
    const std::string message = error_of(rope);                                      \
    BOOST_TEST(!message.empty());                                                    \
    for (const char* part : {__VA_ARGS__})                                           \
      BOOST_TEST(message.find(part) != std::string::npos, "'" << part << "' not in: " << message); \
  } while (0)

}  // namespace

// ---------------------------------------------------------------------------------------------- methods

BOOST_AUTO_TEST_CASE(default_is_the_closed_form) {
  const auto s = schedule_of(nullptr, 10);
  std::vector<double> want;
  for (int64_t i = 0; i < 64; ++i) want.push_back(default_inv_freq(10000.0, i, 128));
  check_close(s.inv_freq, want);
  BOOST_TEST(s.attention_scaling == 1.0f);
  BOOST_TEST(s.positions.size() == 10u);
  BOOST_TEST(s.positions[9] == 9.0f);
  BOOST_TEST(s.query_scale.empty());
  BOOST_TEST(s.q_band_scale.empty());
  BOOST_TEST(s.k_band_scale.empty());
  BOOST_TEST(schedule_of(json::object(), 10).inv_freq == s.inv_freq);
}

BOOST_AUTO_TEST_CASE(partial_rotary_factor_shortens_inv_freq) {
  RopeModelInfo info = model(128);
  info.partial_rotary_factor = 0.5;
  BOOST_TEST(schedule_of(nullptr, 4, info).inv_freq.size() == 32u);
  // inside the parameters it wins over the model's
  BOOST_TEST(schedule_of(json{{"partial_rotary_factor", 0.25}}, 4).inv_freq.size() == 16u);
}

BOOST_AUTO_TEST_CASE(ntk_raises_the_base) {
  const double s = 4.0, d = 128.0;
  const double theta = 10000.0 * std::pow(s, d / (d - 2.0));
  std::vector<double> want;
  for (int64_t i = 0; i < 64; ++i) want.push_back(default_inv_freq(theta, i, 128));
  check_close(schedule_of(json{{"rope_type", "ntk"}, {"factor", s}}, 8).inv_freq, want);
  // factor 1 is plain RoPE, bit for bit
  BOOST_TEST(schedule_of(json{{"rope_type", "ntk"}, {"factor", 1}}, 8).inv_freq == schedule_of(nullptr, 8).inv_freq);
  // = geometric with that base (same float32 route)
  BOOST_TEST(schedule_of(json{{"rope_type", "ntk"}, {"factor", s}}, 8).inv_freq ==
             schedule_of(json{{"rope_type", "geometric"}, {"rope_theta", theta}}, 8).inv_freq);
}

BOOST_AUTO_TEST_CASE(geometric_and_geo_100k) {
  const auto geo = schedule_of(json{{"rope_type", "geometric"}, {"rope_theta", 100000}}, 8).inv_freq;
  BOOST_TEST(geo == schedule_of(json{{"rope_type", "geo_100k"}}, 8).inv_freq);
  BOOST_TEST(geo == schedule_of(nullptr, 8, model(128, 100000.0)).inv_freq);
  std::vector<double> want;
  for (int64_t i = 0; i < 64; ++i) want.push_back(default_inv_freq(100000.0, i, 128));
  check_close(geo, want);
  BOOST_TEST(make_rope_method(json{{"rope_type", "geo_100k"}}, model())->config().at("rope_theta").get<double>() == 100000.0);
}

BOOST_AUTO_TEST_CASE(sigmoid_closed_form) {
  const double k = 8, m = 0.5, omf = 0.3;
  std::vector<double> want;
  for (int64_t i = 0; i < 64; ++i) {
    const double r = static_cast<double>(i) / 63.0;
    const double w = 1.0 / (1.0 + std::exp(-k * (r - m)));
    want.push_back(default_inv_freq(10000.0, i, 128) * (1.0 - w * (1.0 - omf)));
  }
  const auto s = schedule_of(json{{"rope_type", "sigmoid"}}, 8);
  check_close(s.inv_freq, want);
  // highest frequency nearly untouched (w_0 = 0.018), lowest scaled by ~omf (w_63 = 0.982)
  BOOST_TEST(s.inv_freq[0] / 1.0 == 1.0 - (1.0 / (1.0 + std::exp(4.0))) * 0.7, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(std::is_sorted(s.inv_freq.rbegin(), s.inv_freq.rend()));
  // omf = 1 changes nothing
  BOOST_TEST(schedule_of(json{{"rope_type", "sigmoid"}, {"omf", 1}}, 8).inv_freq == schedule_of(nullptr, 8).inv_freq);
  // explicit parameters and theta
  const auto custom = schedule_of(json{{"rope_type", "sigmoid"}, {"k", 2}, {"m", 0.25}, {"omf", 0.5}, {"rope_theta", 500000}}, 8);
  std::vector<double> want2;
  for (int64_t i = 0; i < 64; ++i) {
    const double w = 1.0 / (1.0 + std::exp(-2.0 * (static_cast<double>(i) / 63.0 - 0.25)));
    want2.push_back(default_inv_freq(500000.0, i, 128) * (1.0 - w * 0.5));
  }
  check_close(custom.inv_freq, want2);
}

BOOST_AUTO_TEST_CASE(hybrid_closed_form) {
  std::vector<double> want;
  for (int64_t i = 0; i < 64; ++i) {
    const double r = static_cast<double>(i) / 63.0;
    const double w = 0.2 * r * r + 0.8 / (1.0 + std::exp(-8.0 * (r - 0.5)));
    want.push_back(default_inv_freq(10000.0, i, 128) * (1.0 - w * 0.7));
  }
  check_close(schedule_of(json{{"rope_type", "hybrid"}}, 8).inv_freq, want);
  // alpha = 0 is sigmoid, bit for bit
  BOOST_TEST(schedule_of(json{{"rope_type", "hybrid"}, {"alpha", 0}}, 8).inv_freq == schedule_of(json{{"rope_type", "sigmoid"}}, 8).inv_freq);
  // alpha = 1, p = 1: w = r, a linear ramp to omf
  std::vector<double> ramp;
  for (int64_t i = 0; i < 64; ++i) ramp.push_back(default_inv_freq(10000.0, i, 128) * (1.0 - (static_cast<double>(i) / 63.0) * 0.7));
  check_close(schedule_of(json{{"rope_type", "hybrid"}, {"alpha", 1}, {"p", 1}}, 8).inv_freq, ramp);
}

BOOST_AUTO_TEST_CASE(random_is_seeded_log_uniform_and_portable) {
  const auto a = schedule_of(json{{"rope_type", "random"}}, 8).inv_freq;
  const auto b = schedule_of(json{{"rope_type", "random"}, {"seed", 0}}, 8).inv_freq;
  const auto c = schedule_of(json{{"rope_type", "random"}, {"seed", 7}}, 8).inv_freq;
  BOOST_TEST(a == b);
  BOOST_TEST(a != c);
  BOOST_TEST(std::is_sorted(a.rbegin(), a.rend()));
  const auto reference = schedule_of(nullptr, 8).inv_freq;
  for (float f : a) BOOST_TEST((f >= reference.back() && f <= reference.front()));
  // Independent recomputation: splitmix64 from state 0 (first output 0xe220a8397b1dcdaf, the published
  // reference value), u = top 53 bits / 2^53, log-uniform over [min, max] of default inv_freq.
  uint64_t state = 0;
  auto next = [&state] {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  std::vector<double> want;
  const double lo = std::log(static_cast<double>(reference.back())), hi = std::log(static_cast<double>(reference.front()));
  for (int i = 0; i < 64; ++i) {
    const uint64_t x = next();
    if (i == 0) BOOST_TEST(x == 0xe220a8397b1dcdafULL);
    want.push_back(std::exp(lo + static_cast<double>(x >> 11) * 0x1.0p-53 * (hi - lo)));
  }
  std::sort(want.begin(), want.end(), std::greater<double>());
  check_close(a, want, 1e-7);
}

BOOST_AUTO_TEST_CASE(compress_maps_positions_and_keeps_the_base) {
  const json rope = {{"rope_type", "compress"}, {"cf", 2}, {"base", {{"rope_type", "yarn"}, {"factor", 4}}}};
  auto method = make_rope_method(rope, model(128, 10000.0, 1000));
  BOOST_TEST(method->name() == "compress+yarn");
  const auto s = method->schedule(3001);
  const auto yarn = schedule_of(json{{"rope_type", "yarn"}, {"factor", 4}}, 3001, model(128, 10000.0, 1000));
  BOOST_TEST(s.inv_freq == yarn.inv_freq);
  BOOST_TEST(s.attention_scaling == yarn.attention_scaling);
  BOOST_REQUIRE_EQUAL(s.positions.size(), 3001u);
  BOOST_TEST(s.positions[0] == 0.0f);
  BOOST_TEST(s.positions[1000] == 1000.0f);        // T itself is kept
  BOOST_TEST(s.positions[1001] == 1000.5f);        // T + 1/2
  BOOST_TEST(s.positions[3000] == 2000.0f);        // T + 2000/2
  // the long spelling and an explicit T
  const auto t = schedule_of(json{{"rope_type", "compress"}, {"compression_factor", 4}, {"original_max_position_embeddings", 10}}, 30);
  BOOST_TEST(t.positions[10] == 10.0f);
  BOOST_TEST(t.positions[14] == 11.0f);
  BOOST_TEST(t.positions[29] == 14.75f);
  BOOST_TEST(t.inv_freq == schedule_of(nullptr, 30).inv_freq);  // default base
  const auto config = make_rope_method(rope, model())->config();
  BOOST_TEST(config.at("base").at("rope_type") == "yarn");
  BOOST_TEST(config.at("compression_factor").get<double>() == 2.0);
}

BOOST_AUTO_TEST_CASE(compress_gives_length_dependent_bases_the_effective_length) {
  // dynamic over compressed positions sees max position + 1 = ceil(1000 + 1999/2) + 1 = 2001
  const auto info = model(128, 10000.0, 1000);
  const auto s = schedule_of(json{{"rope_type", "compress"}, {"cf", 2}, {"base", {{"rope_type", "dynamic"}, {"factor", 2}}}}, 3000, info);
  BOOST_TEST(s.inv_freq == schedule_of(json{{"rope_type", "dynamic"}, {"factor", 2}}, 2001, info).inv_freq);
  BOOST_TEST(s.inv_freq != schedule_of(json{{"rope_type", "dynamic"}, {"factor", 2}}, 3000, info).inv_freq);
  // Qwen-1's LogN indexes tokens: the base's query_scale at the window length
  const auto q = schedule_of(json{{"rope_type", "compress"}, {"cf", 4}, {"base", {{"rope_type", "qwen1"}}}}, 3000, info);
  BOOST_TEST(q.query_scale == schedule_of(json{{"rope_type", "qwen1"}}, 3000, info).query_scale);
  BOOST_TEST(q.inv_freq == schedule_of(json{{"rope_type", "qwen1"}}, 1501, info).inv_freq);
}

BOOST_AUTO_TEST_CASE(dynamic_and_longrope_switch_at_the_original_context) {
  const auto info = model(64, 10000.0, 2048);
  const json dynamic = {{"rope_type", "dynamic"}, {"factor", 4}};
  BOOST_TEST(schedule_of(dynamic, 2048, info).inv_freq == schedule_of(nullptr, 2048, info).inv_freq);
  BOOST_TEST(schedule_of(dynamic, 2049, info).inv_freq != schedule_of(nullptr, 2049, info).inv_freq);
  const json longrope = {{"rope_type", "longrope"}, {"short_factor", std::vector<double>(32, 1.0)},
                         {"long_factor", std::vector<double>(32, 2.0)}, {"original_max_position_embeddings", 1024}};
  const auto at = schedule_of(longrope, 1024, info), beyond = schedule_of(longrope, 1025, info);
  BOOST_TEST(at.inv_freq == schedule_of(nullptr, 1, info).inv_freq);
  BOOST_TEST(beyond.inv_freq[5] == at.inv_freq[5] / 2.0f);
  // factor = 2048 / 1024 = 2: sqrt(1 + ln 2 / ln 1024)
  BOOST_TEST(at.attention_scaling == static_cast<float>(std::sqrt(1.0 + std::log(2.0) / std::log(1024.0))));
}

// is_prefix_of decides when a short window may be padded and scored at a longer length
// (model_core/backend.hpp, score_padded): for methods whose schedule does not depend on the length,
// and for dynamic ones on the same side of their switch; never across it.
BOOST_AUTO_TEST_CASE(schedule_prefix_across_lengths) {
  const auto info = model(64, 10000.0, 2048);
  const auto prefix = [&](const json& rope, int64_t shorter, int64_t longer) {
    return rb::rope::is_prefix_of(schedule_of(rope, shorter, info), schedule_of(rope, longer, info));
  };
  for (const json& fixed : {json(nullptr), json{{"rope_type", "linear"}, {"factor", 4}},
                            json{{"rope_type", "yarn"}, {"factor", 4}, {"original_max_position_embeddings", 2048}},
                            json{{"rope_type", "compress"}, {"cf", 2}}}) {
    BOOST_TEST(prefix(fixed, 4000, 4100), fixed.dump());
    BOOST_TEST(prefix(fixed, 1, 4100), fixed.dump());
  }
  const json dynamic = {{"rope_type", "dynamic"}, {"factor", 4}};
  BOOST_TEST(prefix(dynamic, 1000, 2048));   // both at the original frequencies
  BOOST_TEST(!prefix(dynamic, 2040, 2056));  // across the switch
  BOOST_TEST(!prefix(dynamic, 3000, 3010));  // past it, the frequencies follow the length
  const json longrope = {{"rope_type", "longrope"}, {"short_factor", std::vector<double>(32, 1.0)},
                         {"long_factor", std::vector<double>(32, 2.0)}, {"original_max_position_embeddings", 1024}};
  BOOST_TEST(prefix(longrope, 500, 1024));
  BOOST_TEST(!prefix(longrope, 1000, 1030));
  BOOST_TEST(prefix(longrope, 1030, 1040));  // long factors on both sides
  BOOST_TEST(!prefix(json{{"rope_type", "qwen1"}}, 2000, 2100));  // LogN query scales appear past 2048
  BOOST_TEST(!prefix(nullptr, 10, 9));  // a longer "shorter" is no prefix
}

BOOST_AUTO_TEST_CASE(qwen1_alpha_and_logn) {
  const auto info = model(128, 10000.0, 2048);
  const auto inside = schedule_of(json{{"rope_type", "qwen1"}}, 2048, info);
  BOOST_TEST(inside.inv_freq == schedule_of(nullptr, 2048, info).inv_freq);
  BOOST_TEST(inside.query_scale.empty());
  // L = 3000: log2(3000/2048) + 1 = 1.55 -> alpha = 2^2 - 1 = 3
  const auto beyond = schedule_of(json{{"rope_type", "qwen1"}}, 3000, info);
  const double theta = 10000.0 * std::pow(3.0, 128.0 / 126.0);
  BOOST_TEST(beyond.inv_freq == schedule_of(json{{"rope_type", "geometric"}, {"rope_theta", theta}}, 8, info).inv_freq);
  BOOST_REQUIRE_EQUAL(beyond.query_scale.size(), 3000u);
  BOOST_TEST(beyond.query_scale[2047] == 1.0f);                                                     // t + 1 = S
  BOOST_TEST(beyond.query_scale[2999] == static_cast<float>(std::log(3000.0) / std::log(2048.0)));  // t + 1 = 3000
  const auto no_logn = schedule_of(json{{"rope_type", "qwen1"}, {"use_logn_attn", false}}, 3000, info);
  BOOST_TEST(no_logn.query_scale.empty());
  const auto no_ntk = schedule_of(json{{"rope_type", "qwen1"}, {"use_dynamic_ntk", false}, {"seq_length", 1024}}, 3000, info);
  BOOST_TEST(no_ntk.inv_freq == schedule_of(nullptr, 8, info).inv_freq);
  BOOST_TEST(no_ntk.query_scale[1024] == static_cast<float>(std::log(1025.0) / std::log(1024.0)));
}

// ------------------------------------------------------------------------------------- configuration

BOOST_AUTO_TEST_CASE(hf_spellings_are_accepted) {
  // older "type"; both keys when they agree
  BOOST_TEST(make_rope_method(json{{"type", "linear"}, {"factor", 2}}, model())->name() == "linear");
  BOOST_TEST(make_rope_method(json{{"type", "yarn"}, {"rope_type", "yarn"}, {"factor", 2}}, model())->name() == "yarn");
  // rope_theta inside the parameters wins over the model's
  const auto inside = schedule_of(json{{"rope_type", "default"}, {"rope_theta", 500000.0}}, 4, model(128, 10000.0));
  BOOST_TEST(inside.inv_freq == schedule_of(nullptr, 4, model(128, 500000.0)).inv_freq);
}

BOOST_AUTO_TEST_CASE(transformers5_yarn_with_theta_only_inside_rope_parameters) {
  // The configuration that failed in the study: transformers 5 moved rope_theta into rope_parameters,
  // so the model config carries none. Accepted here, the base taken from the parameters.
  RopeModelInfo info = model(128, std::numeric_limits<double>::quiet_NaN(), 131072);
  const json rope = {{"rope_type", "yarn"}, {"factor", 4.0}, {"original_max_position_embeddings", 32768},
                     {"rope_theta", 1000000.0}};
  auto method = make_rope_method(rope, info);
  BOOST_TEST(method->config().at("rope_theta").get<double>() == 1000000.0);
  BOOST_TEST(method->schedule(8).inv_freq == schedule_of(rope, 8, model(128, 1000000.0, 131072)).inv_freq);
}

BOOST_AUTO_TEST_CASE(missing_theta_everywhere_is_a_clear_error) {
  RopeModelInfo info = model(128, 0.0);
  const std::string message = error_of(json{{"rope_type", "yarn"}, {"factor", 4.0}}, info);
  BOOST_TEST(message ==
             "cfg.json: rope.rope_theta: missing: neither the RoPE parameters nor the model give a usable base (model "
             "rope_theta = 0); allowed: a number > 1, in the RoPE parameters or the model config");
}

BOOST_AUTO_TEST_CASE(ignored_keys_are_listed) {
  const auto config = make_rope_method(json{{"rope_type", "dynamic"}, {"factor", 2}, {"original_max_position_embeddings", 4096}}, model())->config();
  BOOST_TEST(config.at("ignored") == json::array({"original_max_position_embeddings"}));
}

BOOST_AUTO_TEST_CASE(method_names_list_everything) {
  const auto names = rb::rope::method_names();
  for (const char* n : {"default", "linear", "dynamic", "yarn", "longrope", "llama3", "ntk", "geometric", "geo_100k",
                        "sigmoid", "hybrid", "random", "compress", "qwen1"})
    BOOST_TEST((std::find(names.begin(), names.end(), n) != names.end()), n);
}

BOOST_AUTO_TEST_CASE(zero_length_window_is_rejected) {
  BOOST_CHECK_THROW(make_rope_method(nullptr, model())->schedule(0), rb::Error);
}

// ---------------------------------------------------------------------------- invalid configurations

BOOST_AUTO_TEST_CASE(error_unknown_method_suggests_the_nearest) {
  CHECK_ERROR(json({{"rope_type", "yarnn"}, {"factor", 2}}),
              "cfg.json: rope.rope_type: unknown method \"yarnn\" (did you mean \"yarn\"?); allowed: default, linear, "
              "dynamic, yarn, longrope, llama3, ntk, geometric, geo_100k, sigmoid, hybrid, random, compress, qwen1");
  CHECK_ERROR_CONTAINS(json({{"type", "lama3"}}), "rope.type: unknown method \"lama3\" (did you mean \"llama3\"?)");
}

BOOST_AUTO_TEST_CASE(error_unsupported_hf_types) {
  CHECK_ERROR_CONTAINS(json({{"rope_type", "mrope"}, {"mrope_section", {16, 24, 24}}}), "rope.rope_type: multimodal RoPE (M-RoPE) is not supported; allowed: default,");
  CHECK_ERROR_CONTAINS(json({{"rope_type", "default"}, {"mrope_section", {16, 24, 24}}}), "rope.mrope_section: multimodal RoPE (M-RoPE) is not supported");
  CHECK_ERROR_CONTAINS(json({{"rope_type", "proportional"}}), "rope.rope_type: proportional RoPE");
  CHECK_ERROR_CONTAINS(json({{"full_attention", {{"rope_type", "default"}}}, {"sliding_attention", {{"rope_type", "default"}}}}),
                       "rope.full_attention: per-layer-type RoPE parameters are not supported");
}

BOOST_AUTO_TEST_CASE(error_unknown_key_suggests_the_nearest) {
  CHECK_ERROR(json({{"rope_type", "yarn"}, {"factr", 2}}),
              "cfg.json: rope.factr: unknown parameter for yarn (did you mean \"factor\"?); allowed: attention_factor, "
              "beta_fast, beta_slow, factor, mscale, mscale_all_dim, original_max_position_embeddings, "
              "partial_rotary_factor, rope_theta, rope_type, truncate");
  CHECK_ERROR_CONTAINS(json({{"rope_type", "llama3"}, {"factor", 8}, {"beta_fast", 32}}), "rope.beta_fast: unknown parameter for llama3");
  CHECK_ERROR_CONTAINS(json({{"rope_type", "linear"}, {"factor", 2}, {"zzz", 1}}), "rope.zzz: unknown parameter for linear; allowed:");
}

BOOST_AUTO_TEST_CASE(error_missing_required_parameters) {
  CHECK_ERROR(json({{"rope_type", "yarn"}}), "cfg.json: rope.factor: missing: yarn needs it; allowed: a number >= 1");
  CHECK_ERROR(json({{"rope_type", "linear"}}), "cfg.json: rope.factor: missing: linear needs it; allowed: a number >= 1");
  CHECK_ERROR(json({{"rope_type", "dynamic"}}), "cfg.json: rope.factor: missing: dynamic needs it; allowed: a number >= 1");
  CHECK_ERROR(json({{"rope_type", "ntk"}}), "cfg.json: rope.factor: missing: ntk needs it; allowed: a number >= 1");
  CHECK_ERROR(json({{"rope_type", "longrope"}, {"long_factor", std::vector<double>(64, 1.0)}}),
              "cfg.json: rope.short_factor: missing: longrope needs it; allowed: a list of 64 numbers > 0 (rotary_dim / 2)");
  CHECK_ERROR(json({{"rope_type", "longrope"}, {"short_factor", std::vector<double>(64, 1.0)}}),
              "cfg.json: rope.long_factor: missing: longrope needs it; allowed: a list of 64 numbers > 0 (rotary_dim / 2)");
  CHECK_ERROR(json({{"rope_type", "llama3"}, {"factor", 8}, {"high_freq_factor", 4}, {"original_max_position_embeddings", 8192}}),
              "cfg.json: rope.low_freq_factor: missing: llama3 needs it; allowed: a number > 0");
  CHECK_ERROR(json({{"rope_type", "llama3"}, {"factor", 8}, {"low_freq_factor", 1}, {"original_max_position_embeddings", 8192}}),
              "cfg.json: rope.high_freq_factor: missing: llama3 needs it; allowed: a number > low_freq_factor");
  CHECK_ERROR(json({{"rope_type", "llama3"}, {"factor", 8}, {"low_freq_factor", 1}, {"high_freq_factor", 4}}),
              "cfg.json: rope.original_max_position_embeddings: missing: llama3 needs it; allowed: an integer >= 1 (the pretraining context)");
  CHECK_ERROR(json({{"rope_type", "geometric"}}), "cfg.json: rope.rope_theta: missing: geometric needs the new base; allowed: a number > 1 (e.g. 100000)");
  CHECK_ERROR(json({{"rope_type", "compress"}}), "cfg.json: rope.compression_factor: missing: compress needs it; allowed: a number >= 1");
}

BOOST_AUTO_TEST_CASE(error_factor_below_one) {
  CHECK_ERROR(json({{"rope_type", "yarn"}, {"factor", 0.5}}), "cfg.json: rope.factor: 0.5 is below 1; allowed: a number >= 1");
  CHECK_ERROR(json({{"rope_type", "linear"}, {"factor", 0.5}}), "cfg.json: rope.factor: 0.5 is below 1; allowed: a number >= 1");
  CHECK_ERROR_CONTAINS(json({{"rope_type", "dynamic"}, {"factor", 0.9}}), "rope.factor: 0.9 is below 1");
  CHECK_ERROR_CONTAINS(json({{"rope_type", "llama3"}, {"factor", 0}, {"low_freq_factor", 1}, {"high_freq_factor", 4}, {"original_max_position_embeddings", 8192}}),
                       "rope.factor: 0 is below 1");
  CHECK_ERROR_CONTAINS(json({{"rope_type", "compress"}, {"cf", 0.5}}), "rope.cf: 0.5 is below 1");
  // linear with factor 1 is allowed (and is default)
  BOOST_TEST(schedule_of(json{{"rope_type", "linear"}, {"factor", 1}}, 4).inv_freq == schedule_of(nullptr, 4).inv_freq);
}

BOOST_AUTO_TEST_CASE(error_beta_fast_not_above_beta_slow) {
  CHECK_ERROR(json({{"rope_type", "yarn"}, {"factor", 4}, {"beta_fast", 1}, {"beta_slow", 1}}),
              "cfg.json: rope.beta_fast: 1 is not above beta_slow = 1; allowed: a number > beta_slow");
  CHECK_ERROR(json({{"rope_type", "yarn"}, {"factor", 4}, {"beta_fast", 2}, {"beta_slow", 8}}),
              "cfg.json: rope.beta_fast: 2 is not above beta_slow = 8; allowed: a number > beta_slow");
  CHECK_ERROR(json({{"rope_type", "yarn"}, {"factor", 4}, {"beta_slow", 0}}),
              "cfg.json: rope.beta_slow: 0 is not above 0; allowed: a number > 0");
}

BOOST_AUTO_TEST_CASE(error_llama3_high_not_above_low) {
  CHECK_ERROR(json({{"rope_type", "llama3"}, {"factor", 8}, {"low_freq_factor", 4}, {"high_freq_factor", 4}, {"original_max_position_embeddings", 8192}}),
              "cfg.json: rope.high_freq_factor: 4 is not above low_freq_factor = 4; allowed: a number > low_freq_factor");
}

BOOST_AUTO_TEST_CASE(error_longrope_list_length_and_values) {
  CHECK_ERROR(json({{"rope_type", "longrope"}, {"short_factor", std::vector<double>(63, 1.0)}, {"long_factor", std::vector<double>(64, 1.0)}}),
              "cfg.json: rope.short_factor: has 63 numbers; allowed: a list of 64 numbers > 0 (rotary_dim / 2)");
  std::vector<double> bad(64, 1.0);
  bad[3] = -1.0;
  CHECK_ERROR(json({{"rope_type", "longrope"}, {"short_factor", std::vector<double>(64, 1.0)}, {"long_factor", bad}}),
              "cfg.json: rope.long_factor: element 3 is -1; allowed: a list of 64 numbers > 0 (rotary_dim / 2)");
  CHECK_ERROR(json({{"rope_type", "longrope"}, {"short_factor", "1,2"}, {"long_factor", std::vector<double>(64, 1.0)}}),
              "cfg.json: rope.short_factor: must be a list of numbers, got \"1,2\"; allowed: a list of 64 numbers > 0 (rotary_dim / 2)");
}

BOOST_AUTO_TEST_CASE(error_wrong_types_and_non_finite_values) {
  CHECK_ERROR(json({{"rope_type", "yarn"}, {"factor", "4"}}), "cfg.json: rope.factor: must be a number, got \"4\"; allowed: a number >= 1");
  CHECK_ERROR(json({{"rope_type", "yarn"}, {"factor", true}}), "cfg.json: rope.factor: must be a number, got true; allowed: a number >= 1");
  CHECK_ERROR(json({{"rope_type", "yarn"}, {"factor", std::numeric_limits<double>::infinity()}}),
              "cfg.json: rope.factor: must be finite, got inf; allowed: a number >= 1");
  CHECK_ERROR(json({{"rope_type", "yarn"}, {"factor", 4}, {"truncate", "no"}}),
              "cfg.json: rope.truncate: must be true or false, got \"no\"; allowed: true, false");
  CHECK_ERROR(json({{"rope_type", "yarn"}, {"factor", 4}, {"original_max_position_embeddings", 4096.5}}),
              "cfg.json: rope.original_max_position_embeddings: must be an integer, got 4096.5; allowed: an integer >= 1");
  CHECK_ERROR(json({{"rope_type", 3}}),
              "cfg.json: rope.rope_type: must be a method name, got 3; allowed: default, linear, dynamic, yarn, longrope, "
              "llama3, ntk, geometric, geo_100k, sigmoid, hybrid, random, compress, qwen1");
  CHECK_ERROR(json("yarn"), "cfg.json: rope: must be an object such as {\"rope_type\": \"yarn\", \"factor\": 4} or null, got \"yarn\"");
  CHECK_ERROR(json({{"rope_theta", -5}}), "cfg.json: rope.rope_theta: -5 is not above 1; allowed: a number > 1");
  CHECK_ERROR(json({{"rope_type", "random"}, {"seed", -1}}), "cfg.json: rope.seed: -1 is negative; allowed: an integer >= 0");
  CHECK_ERROR(json({{"rope_type", "qwen1"}, {"seq_length", 1}}), "cfg.json: rope.seq_length: 1 is below 2; allowed: an integer >= 2");
  CHECK_ERROR(json({{"rope_type", "sigmoid"}, {"omf", 0}}), "cfg.json: rope.omf: 0 is outside (0, 1]; allowed: a number in (0, 1]");
  CHECK_ERROR(json({{"rope_type", "hybrid"}, {"alpha", 1.5}}), "cfg.json: rope.alpha: 1.5 is outside [0, 1]; allowed: a number in [0, 1]");
  CHECK_ERROR(json({{"rope_type", "yarn"}, {"factor", 4}, {"attention_factor", 0}}),
              "cfg.json: rope.attention_factor: 0 is not above 0; allowed: a number > 0");
}

BOOST_AUTO_TEST_CASE(error_type_and_rope_type_disagree) {
  CHECK_ERROR(json({{"type", "linear"}, {"rope_type", "yarn"}, {"factor", 2}}),
              "cfg.json: rope.type: \"linear\" disagrees with rope_type \"yarn\"; allowed: the same name, or only one of the two keys");
}

BOOST_AUTO_TEST_CASE(error_partial_rotary_factor_giving_an_odd_dim) {
  CHECK_ERROR(json({{"partial_rotary_factor", 0.0234375}}),
              "cfg.json: rope.partial_rotary_factor: gives rotary_dim = int(128 * 0.0234375) = 3; allowed: a factor giving an even rotary_dim >= 2");
  CHECK_ERROR_CONTAINS(json({{"partial_rotary_factor", 0.01}}), "int(128 * 0.01) = 1;");
  CHECK_ERROR(json({{"partial_rotary_factor", 1.5}}), "cfg.json: rope.partial_rotary_factor: 1.5 is outside (0, 1]; allowed: a number in (0, 1]");
}

BOOST_AUTO_TEST_CASE(error_compress_options) {
  CHECK_ERROR(json({{"rope_type", "compress"}, {"cf", 2}, {"compression_factor", 2}}),
              "cfg.json: rope.cf: given together with compression_factor; allowed: one of compression_factor or cf");
  // errors inside the base name its path
  CHECK_ERROR(json({{"rope_type", "compress"}, {"cf", 2}, {"base", {{"rope_type", "yarn"}}}}),
              "cfg.json: rope.base.factor: missing: yarn needs it; allowed: a number >= 1");
  CHECK_ERROR(json({{"rope_type", "compress"}, {"cf", 2}, {"base", {{"rope_type", "yarm"}, {"factor", 2}}}}),
              "cfg.json: rope.base.rope_type: unknown method \"yarm\" (did you mean \"yarn\"?); allowed: default, linear, "
              "dynamic, yarn, longrope, llama3, ntk, geometric, geo_100k, sigmoid, hybrid, random, compress, qwen1");
  CHECK_ERROR(json({{"rope_type", "compress"}, {"cf", 2}, {"base", "yarn"}}),
              "cfg.json: rope.base: must be an object such as {\"rope_type\": \"yarn\", \"factor\": 4}, got \"yarn\"");
}

BOOST_AUTO_TEST_CASE(error_geo_100k_with_another_theta) {
  CHECK_ERROR(json({{"rope_type", "geo_100k"}, {"rope_theta", 500000}}),
              "cfg.json: rope.rope_theta: 500000 contradicts geo_100k (rope_theta = 100000); allowed: 100000, or rope_type "
              "\"geometric\" with the base you want");
}

// ------------------------------------------------------------------------------------------- report

BOOST_AUTO_TEST_CASE(report_lists_pairs_and_wavelengths) {
  const auto info = model(64, 10000.0, 2048);
  auto method = make_rope_method(json{{"rope_type", "yarn"}, {"factor", 4}, {"original_max_position_embeddings", 1024}}, info);
  const json report = rb::rope::rope_report(*method, info, 4096);
  BOOST_TEST(report.at("method") == "yarn");
  BOOST_TEST(report.at("length") == 4096);
  BOOST_TEST(report.at("original_context") == 1024);
  BOOST_TEST(report.at("rotary_dim") == 64);
  BOOST_TEST(report.at("config").at("factor").get<double>() == 4.0);
  BOOST_TEST(report.at("attention_scaling").get<double>() == static_cast<double>(static_cast<float>(0.1 * std::log(4.0) + 1.0)));
  BOOST_REQUIRE_EQUAL(report.at("pairs").size(), 32u);
  BOOST_REQUIRE_EQUAL(report.at("inv_freq").size(), 32u);
  for (const auto& pair : report.at("pairs")) {
    const double inv = pair.at("inv_freq").get<double>();
    const double wavelength = pair.at("wavelength").get<double>();
    BOOST_TEST(wavelength == 2.0 * std::numbers::pi / inv, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(pair.at("wavelength_over_original").get<double>() == wavelength / 1024.0, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(pair.at("wavelength_over_target").get<double>() == wavelength / 4096.0, boost::test_tools::tolerance(1e-12));
  }
  BOOST_TEST(report.at("pairs")[0].at("wavelength").get<double>() == 2.0 * std::numbers::pi, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(report.at("query_scale").is_null());
  // qwen1 reports its training length as the original context, and its LogN range
  auto qwen = make_rope_method(json{{"rope_type", "qwen1"}, {"seq_length", 1024}}, info);
  const json q = rb::rope::rope_report(*qwen, info, 4096);
  BOOST_TEST(q.at("original_context") == 1024);
  BOOST_TEST(q.at("query_scale").at("last").get<double>() == static_cast<double>(static_cast<float>(std::log(4096.0) / std::log(1024.0))));
}
