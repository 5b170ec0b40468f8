// The CPU backend refuses inputs it cannot score, with messages naming what is wrong.
#define BOOST_TEST_MODULE cpu_inputs
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <string>

#include "common/error.hpp"
#include "model_core/backend.hpp"
#include "test_cpu_model.hpp"

using namespace rb;

namespace {

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  BOOST_FAIL("no exception");
  return {};
}

}  // namespace

BOOST_AUTO_TEST_CASE(token_out_of_vocabulary) {
  const Model m = test::make_tiny_model(test::TinySpec{}, 1);
  auto backend = make_cpu_backend(m, {});
  const auto s = test::plain_schedule(m.config, 6);
  std::vector<int32_t> good{1, 2, 3, 4, 5, 6}, too_big{1, 2, 3, 50, 5, 6}, negative{-1, 2, 3, 4, 5, 6};
  const std::string msg = message_of<InputError>([&] {
    backend->score({std::span<const int32_t>(good), std::span<const int32_t>(too_big)}, s);
  });
  BOOST_TEST(contains(msg, "window 1"));
  BOOST_TEST(contains(msg, "position 3"));
  BOOST_TEST(contains(msg, "token id 50"));
  BOOST_TEST(contains(message_of<InputError>([&] { backend->score({std::span<const int32_t>(negative)}, s); }),
                      "token id -1"));
}

BOOST_AUTO_TEST_CASE(schedule_must_fit_window_and_model) {
  test::TinySpec spec;
  spec.partial_rotary = 0.5;  // rotary_dim 8: 4 pairs
  const Model m = test::make_tiny_model(spec, 2);
  auto backend = make_cpu_backend(m, {});
  const std::vector<int32_t> tokens{1, 2, 3, 4, 5};
  auto run = [&](const rope::RopeSchedule& s) { backend->score({std::span<const int32_t>(tokens)}, s); };

  BOOST_CHECK_NO_THROW(run(test::plain_schedule(m.config, 5)));
  BOOST_TEST(contains(message_of<Error>([&] { run(test::plain_schedule(m.config, 6)); }), "6 positions"));
  auto s = test::plain_schedule(m.config, 5);
  s.inv_freq.assign(9, 0.5f);  // rotary_dim 18 > head_dim 16
  BOOST_TEST(contains(message_of<Error>([&] { run(s); }), "inv_freq"));
  s.inv_freq.clear();
  BOOST_TEST(contains(message_of<Error>([&] { run(s); }), "inv_freq"));
  s.inv_freq.assign(8, 0.5f);  // full rotary on a partial-rotary config: the schedule decides
  BOOST_CHECK_NO_THROW(run(s));
  s = test::plain_schedule(m.config, 5);
  s.query_scale = {1.0f, 1.0f};
  BOOST_TEST(contains(message_of<Error>([&] { run(s); }), "query_scale"));
  s = test::plain_schedule(m.config, 5);
  s.q_band_scale = std::vector<float>(8, 1.0f);
  BOOST_TEST(contains(message_of<Error>([&] { run(s); }), "q_band_scale"));
  s = test::plain_schedule(m.config, 5);
  s.k_band_scale = std::vector<float>(3, 1.0f);
  BOOST_TEST(contains(message_of<Error>([&] { run(s); }), "k_band_scale"));
}

BOOST_AUTO_TEST_CASE(single_token_window_has_no_scores) {
  const Model m = test::make_tiny_model(test::TinySpec{}, 3);
  auto backend = make_cpu_backend(m, {});
  const std::vector<int32_t> one{7};
  const auto out = backend->score({std::span<const int32_t>(one)}, test::plain_schedule(m.config, 1));
  BOOST_REQUIRE_EQUAL(out.size(), 1u);
  BOOST_TEST(out[0].logprob.empty());
  BOOST_TEST(out[0].is_argmax.empty());
}

BOOST_AUTO_TEST_CASE(missing_or_misshapen_weights) {
  Model m = test::make_tiny_model(test::TinySpec{}, 4);
  m.weights.tensors.erase("model.layers.1.mlp.up_proj.weight");
  BOOST_TEST(contains(message_of<InputError>([&] { make_cpu_backend(m, {}); }), "model.layers.1.mlp.up_proj.weight"));
  Model m2 = test::make_tiny_model(test::TinySpec{}, 4);
  auto& k = m2.weights.tensors["model.layers.0.self_attn.q_proj.weight"];
  k.shape = {k.shape[1], k.shape[0]};  // transposed
  const std::string msg = message_of<InputError>([&] { make_cpu_backend(m2, {}); });
  BOOST_TEST(contains(msg, "q_proj"));
  BOOST_TEST(contains(msg, "expected shape [64, 32]"));
}
