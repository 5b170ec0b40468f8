// RoPE scaling factors beyond what the formulas and fp32 can represent (issue #12, finding 8):
// a factor of 1e308 used to be accepted and give a number; now every method that takes one refuses
// factors above kMaxRopeFactor, naming the bound, and at the bound still yields finite, positive
// inverse frequencies.
#define BOOST_TEST_MODULE rope_factor_bounds
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

#include "common/error.hpp"
#include "rope_methods/rope_method.hpp"

using nlohmann::json;

namespace {

rb::rope::RopeModelInfo model() {
  rb::rope::RopeModelInfo info;
  info.head_dim = 64;
  info.rope_theta = 1e6;
  info.max_position_embeddings = 4096;
  return info;
}

const std::vector<json> kMethods = {
    {{"rope_type", "linear"}},
    {{"rope_type", "yarn"}},
    {{"rope_type", "ntk"}},
    {{"rope_type", "dynamic"}},
    {{"rope_type", "llama3"}, {"low_freq_factor", 1.0}, {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 4096}},
};

}  // namespace

BOOST_AUTO_TEST_CASE(factor_1e308_is_refused_with_the_bound) {
  for (json rope : kMethods) {
    rope["factor"] = 1e308;
    BOOST_TEST_CONTEXT(rope.dump()) {
      try {
        rb::rope::make_rope_method(rope, model(), "cfg.json");
        BOOST_ERROR("accepted");
      } catch (const rb::InputError& e) {
        const std::string m = e.what();
        BOOST_TEST(m.find("cfg.json: rope.factor: 1e+308 is above 1000000") != std::string::npos, m);
        BOOST_TEST(m.find("allowed: a number in [1, 1000000]") != std::string::npos, m);
      }
    }
  }
  json compress = {{"rope_type", "compress"}, {"compression_factor", 1e308}};
  BOOST_CHECK_THROW(rb::rope::make_rope_method(compress, model(), "cfg.json"), rb::InputError);
}

BOOST_AUTO_TEST_CASE(factor_at_the_bound_gives_finite_positive_frequencies) {
  for (json rope : kMethods) {
    rope["factor"] = 1e6;
    BOOST_TEST_CONTEXT(rope.dump()) {
      const auto method = rb::rope::make_rope_method(rope, model(), "cfg.json");
      for (const int64_t length : {1, 4096, 1000000}) {
        const rb::rope::RopeSchedule s = method->schedule(length);
        BOOST_TEST(std::isfinite(s.attention_scaling));
        for (const float f : s.inv_freq) {
          BOOST_TEST(std::isfinite(f));
          BOOST_TEST(f >= std::numeric_limits<float>::min());  // normal, not flushed to zero
        }
      }
    }
  }
}
