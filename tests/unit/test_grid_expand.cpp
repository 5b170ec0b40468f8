// Grid expansion: configuration and run counts (the built-in grids exactly), order, labels,
// per-model values (LongRoPE generators, Llama 3's original context), and RunSpec::canonical().
#define BOOST_TEST_MODULE grid_expand
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>
#include <set>

#include "harness/grid.hpp"

using rb::Grid;
using rb::RunSpec;
using nlohmann::json;

namespace {

const std::string kModel = std::string(RB_FIXTURES) + "/models/llama_gqa";  // head_dim 16, context 256

Grid fixture_grid(const std::string& name) { return rb::load_grid(name, {{kModel}, {"bible-kjv"}}); }

Grid parse(const std::string& methods) {
  return rb::parse_grid("models = [\"" + kModel + "\"]\ndatasets = [\"bible-kjv\"]\nlengths = [64, 128]\n"
                        "[[methods]]\nname = \"original\"\nbaseline = true\n" + methods,
                        "g.toml", "");
}

std::map<std::string, std::size_t> configs_per_family(const Grid& g) {
  std::map<std::string, std::size_t> n;
  for (const auto& m : g.methods) n[m.name] += rb::method_configs(m).size();
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(full_grid_counts) {
  const Grid g = rb::load_grid("full");
  const auto n = configs_per_family(g);
  BOOST_CHECK_EQUAL(n.at("yarn"), 25u);
  BOOST_CHECK_EQUAL(n.at("llama3"), 25u);
  BOOST_CHECK_EQUAL(n.at("ntk"), 25u);
  BOOST_CHECK_EQUAL(n.at("linear"), 6u);
  BOOST_CHECK_EQUAL(n.at("longrope"), 5u);
  BOOST_CHECK_EQUAL(n.at("dynamic"), 5u);
  // The six transformers methods: 91 configurations at 2k, 4k, 8k, 16k = 364 runs.
  std::size_t transformers_runs = 0;
  for (const auto& m : g.methods) {
    if (std::set<std::string>{"yarn", "llama3", "ntk", "linear", "longrope", "dynamic"}.count(m.name) == 0) continue;
    BOOST_CHECK((m.lengths.empty() && g.lengths == std::vector<int64_t>{2048, 4096, 8192, 16384}));
    transformers_runs += rb::method_configs(m).size() * 4;
  }
  BOOST_CHECK_EQUAL(transformers_runs, 364u);
  // original 5 lengths; geometric 3 + sigmoid 2 + hybrid 2 + random 3 at 5 lengths; compress 2 at 4.
  BOOST_CHECK_EQUAL(n.at("original"), 1u);
  BOOST_CHECK_EQUAL(n.at("geometric") + n.at("sigmoid") + n.at("hybrid") + n.at("random"), 10u);
  BOOST_CHECK_EQUAL(n.at("compress"), 2u);
  BOOST_CHECK_EQUAL(rb::runs_per_model_dataset(g), 364 + 5 + 50 + 8);
  BOOST_CHECK_EQUAL(rb::count_runs(g), 427);
}

BOOST_AUTO_TEST_CASE(smoke_grid_counts) {
  const Grid g = fixture_grid("smoke");
  BOOST_CHECK_EQUAL(rb::count_runs(g), 10);
  const auto runs = rb::expand_grid(g);
  BOOST_REQUIRE_EQUAL(runs.size(), 10u);
  BOOST_CHECK_EQUAL(runs[0].rope_label, "original");
  BOOST_CHECK(runs[0].baseline && runs[1].baseline && !runs[2].baseline);
  BOOST_CHECK(runs[0].rope.is_null());
  BOOST_CHECK_EQUAL(runs[2].rope_label, "linear factor=2");
  BOOST_CHECK_EQUAL(runs[2].rope, json::parse(R"({"rope_type": "linear", "factor": 2})"));
  BOOST_CHECK_EQUAL(runs[9].family, "ntk");
  BOOST_CHECK_EQUAL(runs[9].length, 128);
  BOOST_CHECK_EQUAL(runs[9].windows.max_windows, 2);
}

BOOST_AUTO_TEST_CASE(full_grid_expands_per_model) {
  const Grid g = rb::load_grid("full", {{kModel, std::string(RB_FIXTURES) + "/models/qwen2_bias"}, {"bible-kjv", "text:/t.txt"}});
  const auto runs = rb::expand_grid(g);
  BOOST_CHECK_EQUAL(runs.size(), 4u * 427u);
  std::set<std::string> ids;
  for (const auto& r : runs) ids.insert(r.canonical().dump());
  BOOST_CHECK_EQUAL(ids.size(), runs.size());  // every run distinct
  // Order: model, dataset, method, configuration, length.
  BOOST_CHECK_EQUAL(runs[0].model, kModel);
  BOOST_CHECK_EQUAL(runs[0].dataset, "bible-kjv");
  BOOST_CHECK_EQUAL(runs[427].dataset, "text:/t.txt");
  BOOST_CHECK_EQUAL(runs[2 * 427].model, std::string(RB_FIXTURES) + "/models/qwen2_bias");
  for (const auto& r : runs) {
    if (r.family == "longrope" && r.model == kModel) {
      BOOST_REQUIRE_EQUAL(r.rope.at("long_factor").size(), 8u);  // rotary_dim / 2 of the fixture
      BOOST_CHECK_EQUAL(r.rope.at("short_factor"), json::array({1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}));
      const double s = r.rope.at("factor").get<double>();
      BOOST_CHECK_CLOSE(r.rope.at("long_factor")[0].get<double>(), 1.0, 1e-12);
      BOOST_CHECK_CLOSE(r.rope.at("long_factor")[7].get<double>(), s, 1e-12);
    }
    if (r.family == "llama3" && r.model == kModel)
      BOOST_CHECK_EQUAL(r.rope.at("original_max_position_embeddings"), 256);
  }
}

BOOST_AUTO_TEST_CASE(longrope_ramp_formula) {
  const Grid g = parse(R"(
[[methods]]
name = "longrope"
rope = { factor = 4, short_factor = { constant = 1.5 }, long_factor = { ramp_to = 9, exponent = 2 } }
)");
  const auto runs = rb::expand_grid(g);
  const json& lf = runs.at(2).rope.at("long_factor");
  BOOST_REQUIRE_EQUAL(lf.size(), 8u);
  for (int i = 0; i < 8; ++i) BOOST_CHECK_CLOSE(lf[i].get<double>(), std::pow(9.0, std::pow(i / 7.0, 2.0)), 1e-12);
  BOOST_CHECK_EQUAL(runs.at(2).rope.at("short_factor")[3], 1.5);
}

BOOST_AUTO_TEST_CASE(cartesian_then_zip_order_and_labels) {
  const Grid g = parse(R"(
[[methods]]
name = "yarn"
lengths = [256]
sweep = { factor = [2, 4], mscale = [1, 2] }
zip = { beta_fast = [16, 32], beta_slow = [1, 2] }
)");
  const auto configs = rb::method_configs(g.methods[1]);
  BOOST_REQUIRE_EQUAL(configs.size(), 8u);
  BOOST_CHECK_EQUAL(configs[0].label, "yarn factor=2 mscale=1 beta_fast=16 beta_slow=1");
  BOOST_CHECK_EQUAL(configs[1].label, "yarn factor=2 mscale=1 beta_fast=32 beta_slow=2");
  BOOST_CHECK_EQUAL(configs[2].label, "yarn factor=2 mscale=2 beta_fast=16 beta_slow=1");
  BOOST_CHECK_EQUAL(configs[7].label, "yarn factor=4 mscale=2 beta_fast=32 beta_slow=2");
  BOOST_CHECK_EQUAL(configs[7].rope, json::parse(R"({"rope_type":"yarn","factor":4,"mscale":2,"beta_fast":32,"beta_slow":2})"));
  const auto runs = rb::expand_grid(g);
  BOOST_CHECK_EQUAL(runs.size(), 2u + 8u);
  BOOST_CHECK_EQUAL(runs.back().length, 256);
  BOOST_CHECK_EQUAL(runs.back().family, "yarn");
}

BOOST_AUTO_TEST_CASE(nested_sweep_sets_the_base) {
  const Grid g = parse(R"(
[[methods]]
name = "compress"
rope = { cf = 2.0, base = { rope_type = "yarn" } }
sweep = { base.factor = [2, 4] }
)");
  const auto configs = rb::method_configs(g.methods[1]);
  BOOST_REQUIRE_EQUAL(configs.size(), 2u);
  BOOST_CHECK_EQUAL(configs[1].label, "compress base.factor=4");
  BOOST_CHECK_EQUAL(configs[1].rope, json::parse(R"({"rope_type":"compress","cf":2.0,"base":{"rope_type":"yarn","factor":4}})"));
}

BOOST_AUTO_TEST_CASE(canonical_is_complete_and_stable) {
  RunSpec r;
  r.model = "/m";
  r.dataset = "bible-kjv";
  r.rope = json::parse(R"({"type": "yarn", "factor": 4.0, "base": {"type": "linear", "factor": 2}})");
  r.length = 2048;
  const json c = r.canonical();
  for (const char* key : {"model", "dataset", "rope", "rope_label", "family", "length", "quant", "metrics", "baseline",
                          "windows", "passkey", "longppl"})
    BOOST_CHECK_MESSAGE(c.contains(key), key);
  BOOST_CHECK_EQUAL(c.at("rope").dump(), R"({"base":{"factor":2,"rope_type":"linear"},"factor":4.0,"rope_type":"yarn"})");
  BOOST_CHECK_EQUAL(c.at("windows").dump(), R"({"max_tokens":0,"max_windows":0,"mode":"auto","stride":0})");
  BOOST_CHECK_EQUAL(c.at("passkey").dump(), R"({"depths":[0.0,0.25,0.5,0.75,1.0],"seed":0,"trials":5})");
  BOOST_CHECK_EQUAL(c.at("longppl").dump(), R"({"alpha":2.0,"beta":-2.0,"short_length":4096})");
  BOOST_CHECK_EQUAL(c.at("quant"), "none");
  BOOST_CHECK(c.at("baseline") == false);

  // "type" and "rope_type" spell the same run; the metrics' order does not matter; 4 and 4.0 differ.
  RunSpec same = r;
  same.rope = json::parse(R"({"rope_type": "yarn", "factor": 4.0, "base": {"rope_type": "linear", "factor": 2}})");
  BOOST_CHECK_EQUAL(same.canonical().dump(), c.dump());
  RunSpec a = r, b = r;
  a.metrics = {"ppl", "passkey"};
  b.metrics = {"passkey", "ppl"};
  BOOST_CHECK_EQUAL(a.canonical().dump(), b.canonical().dump());
  RunSpec integer = r;
  integer.rope["factor"] = 4;
  BOOST_CHECK_NE(integer.canonical().dump(), c.dump());

  // Expanding twice gives byte-identical canonical JSON.
  const auto one = rb::expand_grid(fixture_grid("smoke"));
  const auto two = rb::expand_grid(fixture_grid("smoke"));
  BOOST_REQUIRE_EQUAL(one.size(), two.size());
  for (std::size_t i = 0; i < one.size(); ++i) BOOST_CHECK_EQUAL(one[i].canonical().dump(), two[i].canonical().dump());
}
