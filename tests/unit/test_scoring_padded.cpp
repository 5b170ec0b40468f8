// score_padded (model_core/backend.hpp): windows of different lengths scored in one call, padded to
// the longest, give each window what scoring it alone gives, on the CPU backend with a real
// (tiny, random-weight) Llama fixture: for a method whose schedule does not depend on the length,
// and for dynamic NTK across its switch at the fixture's original 256 positions, where the windows
// that cannot be padded are scored alone.
#define BOOST_TEST_MODULE scoring_padded
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <memory>
#include <utility>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "harness/model_rope.hpp"
#include "model_core/backend.hpp"
#include "model_core/model.hpp"

using namespace rb;
using nlohmann::json;

namespace {

// The CPU backend, counting its calls and the lengths it is asked for.
class CountingBackend final : public Backend {
 public:
  explicit CountingBackend(std::unique_ptr<Backend> inner) : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  std::vector<WindowScores> score(const std::vector<std::span<const int32_t>>& windows,
                                  const rope::RopeSchedules& schedules) override {
    calls.push_back({static_cast<int64_t>(windows.size()), schedules.length()});
    return inner_->score(windows, schedules);
  }
  std::vector<std::pair<int64_t, int64_t>> calls;  // (windows, length) of each call

 private:
  std::unique_ptr<Backend> inner_;
};

std::vector<int32_t> tokens_of(int64_t n, int64_t salt) {
  std::vector<int32_t> t;
  for (int64_t i = 0; i < n; ++i) t.push_back(static_cast<int32_t>((i * 37 + salt * 101 + 11) % 2000));
  return t;
}

// `calls`: the (windows, length) of each backend call score_padded must make.
void check_padded_equals_alone(const json& rope_arg, const std::vector<int64_t>& lengths,
                               const std::vector<std::pair<int64_t, int64_t>>& calls) {
  const Model m = load_model(rbtest::fixture("models/llama_gqa"), LoadOptions{.load_tokenizer = false});
  const cli::ModelRope rope = cli::model_rope(m.config, rope_arg);
  CountingBackend counting(make_cpu_backend(m, {}));
  Backend* backend = &counting;
  std::vector<std::vector<int32_t>> owned;
  for (std::size_t i = 0; i < lengths.size(); ++i) owned.push_back(tokens_of(lengths[i], static_cast<int64_t>(i)));
  std::vector<std::span<const int32_t>> windows(owned.begin(), owned.end());
  const std::vector<WindowScores> padded = score_padded(*backend, windows, [&rope](int64_t n) { return rope.schedules(n); });
  const auto text = [](const std::vector<std::pair<int64_t, int64_t>>& v) {
    std::string t;
    for (const auto& [n, length] : v) t += std::to_string(n) + " x " + std::to_string(length) + "; ";
    return t;
  };
  BOOST_TEST(text(counting.calls) == text(calls));
  BOOST_REQUIRE_EQUAL(padded.size(), windows.size());
  for (std::size_t i = 0; i < windows.size(); ++i) {
    const auto n = static_cast<int64_t>(windows[i].size());
    const WindowScores alone = backend->score({windows[i]}, rope.schedules(n)).at(0);
    BOOST_TEST_CONTEXT(rope_arg.dump() << ", window " << i << " of " << n << " tokens") {
      BOOST_REQUIRE_EQUAL(padded[i].logprob.size(), alone.logprob.size());
      BOOST_TEST(padded[i].is_argmax == alone.is_argmax, boost::test_tools::per_element());
      // fp32 on the CPU: the same sums in another blocking (more rows per GEMM, more keys per
      // window) move log-probs of ~-8 by a few ulps (measured: up to 2.9e-6); 1e-5 is the CPU
      // backend's exactness bound (docs/PERFORMANCE.md) and far below a wrong position or RoPE.
      double worst = 0.0;
      for (std::size_t t = 0; t < alone.logprob.size(); ++t)
        worst = std::max(worst, std::abs(static_cast<double>(padded[i].logprob[t]) - alone.logprob[t]));
      BOOST_TEST(worst <= 1e-5, "largest |difference| " << worst);
      BOOST_TEST_MESSAGE(rope_arg.dump() << ", window " << i << " of " << n << " tokens: largest |difference| " << worst);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(static_method_windows_of_several_lengths) {
  // One call: all five padded to 301.
  check_padded_equals_alone(json{{"rope_type", "linear"}, {"factor", 2}}, {300, 293, 301, 2, 297}, {{5, 301}});
}

BOOST_AUTO_TEST_CASE(dynamic_ntk_across_its_switch) {
  // Past the fixture's 256 original positions the frequencies follow the length: 250, 256 and 259
  // are no prefix of 262's schedule and are scored alone, at their own lengths; 262 is the longest.
  check_padded_equals_alone(json{{"rope_type", "dynamic"}, {"factor", 2}}, {250, 262, 256, 259},
                            {{1, 250}, {1, 256}, {1, 259}, {1, 262}});
  // Below the switch dynamic NTK is the default RoPE: one call.
  check_padded_equals_alone(json{{"rope_type", "dynamic"}, {"factor", 2}}, {250, 240, 256}, {{3, 256}});
}
