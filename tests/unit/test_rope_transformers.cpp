// rope_methods against Hugging Face transformers 5.17 (torch 2.11, CPU): tests/fixtures/rope/transformers.json,
// written by tests/fixtures/make_rope_fixtures.py, holds the inv_freq and attention_scaling the real
// LlamaRotaryEmbedding ends up with for a window of seq_len tokens, for every transformers rope_type over
// a grid of parameters, head dims (64, 80, 96, 128), bases (1e4, 5e5) and lengths (0.5x .. 16x the
// original context); and Qwen-1 numbers from the fixture script's transcription of modeling_qwen.py.
//
// Tolerance: 1e-6 relative per element. We repeat torch's float32 operations one by one, so most
// elements are bit-identical; the exception is base ** exponent: torch evaluates blocks of 16 elements
// with SLEEF's vectorised powf (error <= 1 ulp) and the rest with libm's powf, which we use everywhere.
// Those elements differ by 1 float32 ulp (<= 1.2e-7 relative), slightly more after YaRN's / Llama 3's
// blending. 1e-6 relative is 8 ulp: it passes that and fails anything computed differently (a double
// intermediate where torch rounds to float changes ~half the elements; a wrong formula changes far more).
// A second check keeps that honest: per method, at least 97% of the elements must be bit-identical
// (99% and more when this was written; one double intermediate where torch rounds to float32, as in an
// early version of dynamic, brought that method down to 80% while staying within 1e-6).
#define BOOST_TEST_MODULE rope_transformers
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "rope_methods/rope_method.hpp"

using rb::rope::make_rope_method;
using rb::rope::RopeModelInfo;

namespace {

const nlohmann::json& fixtures() {
  static const nlohmann::json doc = [] {
    std::ifstream in(std::string(RB_FIXTURES) + "/rope/transformers.json");
    BOOST_REQUIRE_MESSAGE(in, "missing tests/fixtures/rope/transformers.json (run tests/fixtures/make_rope_fixtures.py)");
    return nlohmann::json::parse(in);
  }();
  return doc;
}

RopeModelInfo info_of(const nlohmann::json& c) {
  RopeModelInfo info;
  info.head_dim = c.at("head_dim").get<int64_t>();
  info.partial_rotary_factor = c.value("partial_rotary_factor", 1.0);
  info.rope_theta = c.at("rope_theta").get<double>();
  info.max_position_embeddings = c.at("max_position_embeddings").get<int64_t>();
  return info;
}

double relative_error(double got, double want) {
  if (got == want) return 0.0;
  return std::fabs(got - want) / std::max(std::fabs(want), 1e-30);
}

struct Tally {
  std::size_t elements = 0, identical = 0;
  double worst = 0.0;
};

void compare(const std::string& label, const std::vector<float>& got, const nlohmann::json& want, Tally& tally) {
  BOOST_TEST_CONTEXT(label) {
    BOOST_REQUIRE_EQUAL(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      const float w = static_cast<float>(want[i].get<double>());  // 9 significant digits round-trip a float32
      const double err = relative_error(got[i], w);
      tally.elements++;
      tally.identical += got[i] == w;
      tally.worst = std::max(tally.worst, err);
      BOOST_TEST(err <= 1e-6, "element " << i << ": got " << got[i] << ", transformers " << w << " (rel " << err << ")");
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(fixture_pins_the_reference_versions) {
  BOOST_TEST(fixtures().at("transformers").get<std::string>() == "5.17.0");
  BOOST_TEST(fixtures().at("torch").get<std::string>().rfind("2.11.0", 0) == 0);
  BOOST_TEST(fixtures().at("cases").size() > 400u);
}

BOOST_AUTO_TEST_CASE(every_transformers_method_matches) {
  Tally tally;
  std::map<std::string, Tally> per_method;
  for (const auto& c : fixtures().at("cases")) {
    const std::string label = c.at("rope").dump() + " head_dim=" + std::to_string(c.at("head_dim").get<int>()) +
                              " max_pos=" + std::to_string(c.at("max_position_embeddings").get<int>()) +
                              " seq_len=" + std::to_string(c.at("seq_len").get<int>());
    auto method = make_rope_method(c.at("rope"), info_of(c), "fixture");
    const auto schedule = method->schedule(c.at("seq_len").get<int64_t>());
    Tally& m = per_method[c.at("method").get<std::string>()];
    Tally before = m;
    compare(label, schedule.inv_freq, c.at("inv_freq"), m);
    tally.elements += m.elements - before.elements;
    tally.identical += m.identical - before.identical;
    tally.worst = std::max(tally.worst, m.worst);
    const double want_scaling = c.at("attention_scaling").get<double>();
    BOOST_TEST(relative_error(schedule.attention_scaling, want_scaling) <= 1e-6,
               label << ": attention_scaling " << schedule.attention_scaling << " vs " << want_scaling);
    BOOST_TEST(schedule.positions.size() == c.at("seq_len").get<std::size_t>());
    BOOST_TEST(schedule.query_scale.empty());
  }
  for (const auto& [name, t] : per_method) {
    BOOST_TEST_MESSAGE(name << ": " << t.identical << "/" << t.elements << " bit-identical, worst rel " << t.worst);
    BOOST_TEST(t.identical >= 0.97 * static_cast<double>(t.elements),
               name << ": only " << t.identical << " of " << t.elements << " elements bit-identical");
  }
  BOOST_TEST(tally.elements > 20000u);
}

BOOST_AUTO_TEST_CASE(qwen1_matches_the_transcription) {
  Tally tally;
  for (const auto& c : fixtures().at("qwen1")) {
    const int64_t seq_len = c.at("seq_len").get<int64_t>();
    const std::string label = c.at("rope").dump() + " head_dim=" + std::to_string(c.at("head_dim").get<int>()) +
                              " seq_len=" + std::to_string(seq_len);
    auto method = make_rope_method(c.at("rope"), info_of(c), "fixture");
    const auto schedule = method->schedule(seq_len);
    compare(label, schedule.inv_freq, c.at("inv_freq"), tally);
    BOOST_TEST(method->config().at("seq_length").get<int64_t>() > 0);
    const auto& positions = c.at("query_scale_positions");
    const auto& values = c.at("query_scale");
    for (std::size_t k = 0; k < positions.size(); ++k) {
      const auto t = positions[k].get<std::size_t>();
      const float want = static_cast<float>(values[k].get<double>());
      const float got = schedule.query_scale.empty() ? 1.0f : schedule.query_scale.at(t);
      BOOST_TEST(got == want, label << ": query_scale[" << t << "] " << got << " vs " << want);
    }
  }
  BOOST_TEST_MESSAGE("qwen1: " << tally.identical << "/" << tally.elements << " bit-identical, worst rel " << tally.worst);
}
