// validate_grid: the built-in grids pass on the fixture models; every bad input fails up front
// with the grid, the key path and the problem.
#define BOOST_TEST_MODULE grid_validate
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cstdlib>

#include "common/error.hpp"
#include "harness/grid.hpp"

using rb::Grid;
using rb::InputError;

namespace {

const std::string kFixtures = RB_FIXTURES;
const std::string kModel = kFixtures + "/models/llama_gqa";
const std::string kText = "text:" + kFixtures + "/text/genesis.txt";

Grid parse(const std::string& body, const std::string& model = kModel, const std::string& dataset = kText) {
  return rb::parse_grid("models = [\"" + model + "\"]\ndatasets = [\"" + dataset + "\"]\nlengths = [64, 128]\n" + body +
                            "\n[[methods]]\nname = \"original\"\nbaseline = true\n",
                        "g.toml", "");
}

void check_invalid(const Grid& g, const std::vector<std::string>& parts) {
  try {
    rb::validate_grid(g);
  } catch (const InputError& e) {
    const std::string m = e.what();
    for (const auto& p : parts) BOOST_CHECK_MESSAGE(m.find(p) != std::string::npos, "'" << p << "' not in: " << m);
    return;
  }
  BOOST_ERROR("the grid validated");
}

}  // namespace

BOOST_AUTO_TEST_CASE(builtin_grids_validate_on_fixture_models) {
  for (const std::string model : {kModel, kFixtures + "/models/qwen2_bias", kFixtures + "/gguf/tiny_llama.gguf"})
    for (const std::string name : {"smoke", "full"}) {
      const Grid g = rb::load_grid(name, {{model}, {kText}});
      BOOST_CHECK_NO_THROW(rb::validate_grid(g, rb::expand_grid(g)));
    }
}

BOOST_AUTO_TEST_CASE(bad_swept_value_names_the_sweep) {
  check_invalid(parse("[[methods]]\nname = \"yarn\"\nsweep = { factor = [2, 0.5] }"),
                {"g.toml:4", "methods[0].sweep.factor", "0.5", "configuration \"yarn factor=0.5\"", kModel});
  check_invalid(parse("[[methods]]\nname = \"yarn\"\nrope = { factor = 2, beta_fast = 1, beta_slow = 2 }"),
                {"methods[0].rope.beta_fast"});
  check_invalid(parse("[[methods]]\nname = \"yarn\"\nrope = { factor = 2, bta_fast = 1 }"),
                {"methods[0].rope.bta_fast", "did you mean \"beta_fast\""});
  check_invalid(parse("[[methods]]\nname = \"longrope\"\nrope = { short_factor = [1.0, 2.0], long_factor = [1.0, 2.0] }"),
                {"methods[0].rope.short_factor"});
}

BOOST_AUTO_TEST_CASE(missing_inputs) {
  check_invalid(parse("", kModel, "text:/no/such/file.txt"), {"g.toml", "datasets[0]", "/no/such/file.txt"});
  check_invalid(parse("", kModel, "bible"), {"datasets[0]", "did you mean \"bible-kjv\""});
  check_invalid(parse("", "/no/such/model"), {"models[0]", "no such model"});
  // The smollm2 alias without its variable.
  const char* saved = std::getenv("RB_SMOLLM2_GGUF");
  const std::string keep = saved ? saved : "";
  ::unsetenv("RB_SMOLLM2_GGUF");
  check_invalid(rb::load_grid("smoke", {{}, {kText}}), {"models[0]", "RB_SMOLLM2_GGUF", "not set"});
  if (saved) ::setenv("RB_SMOLLM2_GGUF", keep.c_str(), 1);
}

BOOST_AUTO_TEST_CASE(windows_against_lengths) {
  check_invalid(parse("[windows]\nstride = 100\n"), {"windows.stride", "longer than the length 64"});
}

BOOST_AUTO_TEST_CASE(duplicate_configurations) {
  check_invalid(parse("[[methods]]\nname = \"linear\"\nsweep = { factor = [2, 3] }\n"
                      "[[methods]]\nname = \"linear\"\nrope = { factor = 3 }\n"),
                {"the same as run", "remove one"});
  check_invalid(parse("[[methods]]\nname = \"yarn\"\nrope = { factor = 2 }\n"
                      "[[methods]]\nname = \"yarn\"\nrope = { factor = 2, beta_fast = 16 }\nsweep = { rope_theta = [20000] }\n"
                      "[[methods]]\nname = \"yarn\"\nrope = { factor = 2, beta_fast = 8 }\nsweep = { rope_theta = [20000] }\n"),
                {"share the label \"yarn rope_theta=20000\""});
}

BOOST_AUTO_TEST_CASE(no_models_or_datasets) {
  const Grid bare = rb::parse_grid("lengths = [64]\n[[methods]]\nname = \"o\"\nbaseline = true\n", "g.toml", "");
  Grid g = bare;
  try {
    rb::apply_overrides(g, {});
    BOOST_ERROR("no error without models");
  } catch (const InputError& e) {
    BOOST_CHECK(std::string(e.what()).find("models: no models") != std::string::npos);
  }
  g = bare;
  BOOST_CHECK_NO_THROW(rb::apply_overrides(g, {{kModel}, {kText}}));
  BOOST_CHECK_NO_THROW(rb::validate_grid(g));
}
