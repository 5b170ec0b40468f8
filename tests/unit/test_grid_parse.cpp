// Grid TOML: every feature of the schema (docs/GRIDS.md), and a clear message naming the file, the
// key path and the problem for each kind of bad input.
#define BOOST_TEST_MODULE grid_parse
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "common/error.hpp"
#include "harness/grid.hpp"

using rb::Grid;
using rb::InputError;
using nlohmann::json;

namespace {

const std::string kHeader = R"(
models = ["/models/m1"]
datasets = ["bible-kjv"]
lengths = [64, 128]
)";

Grid parse(const std::string& text) { return rb::parse_grid(text, "g.toml", "/grids"); }

// The message of the InputError that parsing `text` throws ("" when none is thrown).
std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

void check_error(const std::string& text, const std::vector<std::string>& parts) {
  const std::string message = error_of(text);
  BOOST_REQUIRE_MESSAGE(!message.empty(), "no error for:\n" << text);
  for (const auto& part : parts)
    BOOST_CHECK_MESSAGE(message.find(part) != std::string::npos, "'" << part << "' not in: " << message);
}

const std::string kBaseline = "[[methods]]\nname = \"original\"\nbaseline = true\n";

}  // namespace

BOOST_AUTO_TEST_CASE(every_feature) {
  const Grid g = parse(R"(
name = "features"
description = "all of it"
models = ["/models/m1", "rel/m2", "smollm2"]
datasets = ["bible-kjv", "text:texts/a.txt", "jsonl:/data/b.jsonl"]
lengths = [2048, "4k"]
metrics = ["ppl", "passkey", "longppl"]
quant = "none"

[windows]
stride = 512
max_windows = 8
max_tokens = 100000
mode = "per-document"

[passkey]
depths = [0.0, 0.5, 1]
trials = 3
seed = 7

[longppl]
short_length = 1024
alpha = 1.5
beta = -1

[[methods]]
name = "original"
baseline = true

[[methods]]
name = "yarn"
lengths = ["8k"]
rope = { original_max_position_embeddings = 2048 }
  [methods.sweep]
  factor = [2, 4.0]
  [methods.zip]
  beta_fast = [16, 32]
  beta_slow = [1, 2]

[[methods]]
name = "json-style"
rope = '{"type": "linear", "factor": 2}'

[[methods]]
name = "compress"
rope = { cf = 2, base = { rope_type = "yarn" } }
sweep = { base.factor = [2, 4] }
)");
  BOOST_CHECK_EQUAL(g.name, "features");
  BOOST_CHECK_EQUAL(g.description, "all of it");
  BOOST_CHECK_EQUAL(g.source, "g.toml");
  BOOST_REQUIRE_EQUAL(g.models.size(), 3u);
  BOOST_CHECK_EQUAL(g.models[0], "/models/m1");
  BOOST_CHECK_EQUAL(g.models[1], "/grids/rel/m2");  // relative to the grid file's folder
  BOOST_REQUIRE_EQUAL(g.datasets.size(), 3u);
  BOOST_CHECK_EQUAL(g.datasets[0], "bible-kjv");
  BOOST_CHECK_EQUAL(g.datasets[1], "text:/grids/texts/a.txt");
  BOOST_CHECK_EQUAL(g.datasets[2], "jsonl:/data/b.jsonl");
  BOOST_CHECK((g.lengths == std::vector<int64_t>{2048, 4096}));
  BOOST_CHECK((g.metrics == std::vector<std::string>{"ppl", "passkey", "longppl"}));
  BOOST_CHECK((g.quant == std::vector<std::string>{"none"}));
  BOOST_CHECK_EQUAL(g.windows.stride, 512);
  BOOST_CHECK_EQUAL(g.windows.max_windows, 8);
  BOOST_CHECK_EQUAL(g.windows.max_tokens, 100000);
  BOOST_CHECK_EQUAL(g.windows.mode, "per-document");
  BOOST_CHECK((g.passkey.depths == std::vector<double>{0.0, 0.5, 1.0}));
  BOOST_CHECK_EQUAL(g.passkey.trials, 3);
  BOOST_CHECK_EQUAL(g.passkey.seed, 7u);
  BOOST_CHECK_EQUAL(g.longppl.short_length, 1024);
  BOOST_CHECK_EQUAL(g.longppl.alpha, 1.5);
  BOOST_CHECK_EQUAL(g.longppl.beta, -1.0);

  BOOST_REQUIRE_EQUAL(g.methods.size(), 4u);
  const auto& original = g.methods[0];
  BOOST_CHECK(original.baseline);
  BOOST_CHECK(original.rope.is_null());  // the model's own settings
  const auto& yarn = g.methods[1];
  BOOST_CHECK_EQUAL(yarn.where, "methods[1]");
  BOOST_CHECK((yarn.lengths == std::vector<int64_t>{8192}));
  BOOST_CHECK_EQUAL(yarn.rope.at("rope_type"), "yarn");  // implied by the name
  BOOST_REQUIRE_EQUAL(yarn.sweep.size(), 1u);
  BOOST_CHECK_EQUAL(yarn.sweep[0].key, "factor");
  BOOST_CHECK(yarn.sweep[0].values[0].is_number_integer());
  BOOST_CHECK(yarn.sweep[0].values[1].is_number_float());  // numbers as written
  BOOST_REQUIRE_EQUAL(yarn.zip.size(), 2u);
  BOOST_CHECK_EQUAL(yarn.zip[0].key, "beta_fast");
  BOOST_CHECK_EQUAL(yarn.zip[1].key, "beta_slow");
  BOOST_CHECK_EQUAL(g.methods[2].rope, json::parse(R"({"type": "linear", "factor": 2})"));
  BOOST_REQUIRE_EQUAL(g.methods[3].sweep.size(), 1u);
  BOOST_CHECK_EQUAL(g.methods[3].sweep[0].key, "base.factor");
}

BOOST_AUTO_TEST_CASE(axes_keep_file_order) {
  const Grid g = parse(kHeader + kBaseline + R"(
[[methods]]
name = "llama3"
sweep = { low_freq_factor = [1, 2], high_freq_factor = [4, 8], factor = [2] }
)");
  const auto& sweep = g.methods[1].sweep;
  BOOST_REQUIRE_EQUAL(sweep.size(), 3u);
  BOOST_CHECK_EQUAL(sweep[0].key, "low_freq_factor");
  BOOST_CHECK_EQUAL(sweep[1].key, "high_freq_factor");
  BOOST_CHECK_EQUAL(sweep[2].key, "factor");
}

BOOST_AUTO_TEST_CASE(quantization_names_are_stored_canonically) {
  const Grid g = parse("quant = [\"none\", \"int4\", \"nf4-dq\", \"int4-asym-g32\"]\n" + kHeader + kBaseline);
  BOOST_CHECK((g.quant == std::vector<std::string>{"none", "int4-g128", "nf4-dq", "int4-asym-g32"}));
}

BOOST_AUTO_TEST_CASE(defaults) {
  const Grid g = parse(kHeader + kBaseline);
  BOOST_CHECK_EQUAL(g.name, "g");  // the file's stem
  BOOST_CHECK((g.metrics == std::vector<std::string>{"ppl"}));
  BOOST_CHECK((g.quant == std::vector<std::string>{"none"}));
  BOOST_CHECK_EQUAL(g.windows.stride, 0);
  BOOST_CHECK_EQUAL(g.windows.mode, "auto");
  BOOST_CHECK_EQUAL(g.passkey.trials, 5);
}

BOOST_AUTO_TEST_CASE(malformed_toml_names_the_line) {
  check_error(kHeader + kBaseline + "[[methods]]\nname = \"yarn\nrope = {}\n", {"g.toml:9", "not valid TOML"});
}

BOOST_AUTO_TEST_CASE(unknown_keys_suggest) {
  check_error(kHeader + "lenghts = [2]\n" + kBaseline, {"g.toml:5", "lenghts", "unknown key", "did you mean \"lengths\""});
  check_error(kHeader + kBaseline + "baseilne = true\n", {"methods[0].baseilne", "did you mean \"baseline\""});
  check_error(kHeader + "[windows]\nstrides = 2\n" + kBaseline, {"windows.strides", "did you mean \"stride\""});
  check_error(kHeader + "[passkey]\ntrails = 2\n" + kBaseline, {"passkey.trails", "did you mean \"trials\""});
}

BOOST_AUTO_TEST_CASE(unknown_method_suggests) {
  check_error(kHeader + kBaseline + "[[methods]]\nname = \"x\"\nrope = { rope_type = \"yarm\", factor = 2 }\n",
              {"g.toml:8", "methods[1].rope.rope_type", "unknown method \"yarm\"", "did you mean \"yarn\"", "allowed:"});
  check_error(kHeader + kBaseline + "[[methods]]\nname = \"x\"\nsweep = { rope_type = [\"linear\", \"lineer\"] }\n",
              {"methods[1].sweep.rope_type", "did you mean \"linear\""});
}

BOOST_AUTO_TEST_CASE(bad_lengths) {
  check_error("lengths = [1]\n" + kBaseline, {"lengths[0]", "too short"});
  check_error("lengths = [\"4q\"]\n" + kBaseline, {"lengths[0]", "not a length"});
  check_error("lengths = [64, 64]\n" + kBaseline, {"lengths[1]", "listed twice"});
  check_error("lengths = []\n" + kBaseline, {"lengths", "empty"});
  check_error(kHeader + kBaseline + "lengths = [0]\n", {"methods[0].lengths[0]", "too short"});
  check_error(kBaseline, {"methods[0].lengths", "missing"});
}

BOOST_AUTO_TEST_CASE(baselines) {
  check_error(kHeader + kBaseline + kBaseline, {"methods[1].baseline", "second baseline", "methods[0]"});
  check_error(kHeader + "[[methods]]\nname = \"original\"\n", {"no baseline"});
  check_error(kHeader + "[[methods]]\nname = \"linear\"\nbaseline = true\nsweep = { factor = [2, 4] }\n",
              {"methods[0].baseline", "one configuration"});
}

BOOST_AUTO_TEST_CASE(sweeps_and_zips) {
  check_error(kHeader + kBaseline + "[[methods]]\nname = \"yarn\"\nzip = { factor = [2, 4], beta_fast = [32] }\n",
              {"methods[1].zip.", "same length"});
  check_error(kHeader + kBaseline + "[[methods]]\nname = \"yarn\"\nsweep = { factor = [] }\n",
              {"methods[1].sweep.factor", "empty"});
  check_error(kHeader + kBaseline + "[[methods]]\nname = \"yarn\"\nsweep = { factor = 2 }\n",
              {"methods[1].sweep.factor", "list of values"});
  check_error(kHeader + kBaseline + "[[methods]]\nname = \"yarn\"\nsweep = { factor = [2, 2] }\n",
              {"methods[1].sweep.factor[1]", "listed twice"});
  check_error(kHeader + kBaseline + "[[methods]]\nname = \"yarn\"\nrope = { factor = 2 }\nsweep = { factor = [2, 4] }\n",
              {"methods[1].sweep.factor", "also set in methods[1].rope"});
  check_error(kHeader + kBaseline + "[[methods]]\nname = \"yarn\"\nsweep = { factor = [2] }\nzip = { factor = [2] }\n",
              {"methods[1].zip.factor", "also in methods[1].sweep"});
  check_error(kHeader + kBaseline + "[[methods]]\nname = \"yarn\"\nzip = { factor = [2, 2], beta_fast = [8, 8] }\n",
              {"methods[1].zip", "row 1 repeats row 0"});
}

BOOST_AUTO_TEST_CASE(settings_values) {
  check_error("metrics = [\"ppl\", \"paskey\"]\n" + kHeader + kBaseline, {"metrics[1]", "did you mean \"passkey\""});
  // GGUF's own types are used as published (quant "none"), not named in grids.
  check_error("quant = [\"q4_1\"]\n" + kHeader + kBaseline, {"quant[0]", "unknown quantization", "q4_1"});
  check_error("quant = [\"nf4\", \"nf4-dq\", \"int4\", \"int4-g128\"]\n" + kHeader + kBaseline,
              {"quant[3]", "\"int4-g128\" is listed twice"});
  check_error("quant = [\"int4-g0\"]\n" + kHeader + kBaseline, {"quant[0]", "group size"});
  check_error("quant = [\"nf4-g32\"]\n" + kHeader + kBaseline, {"quant[0]", "nf4"});
  check_error("quant = \"int3\"\n" + kHeader + kBaseline, {"quant[0]", "unknown quantization"});
  check_error(kHeader + "[windows]\nmode = \"per-doc\"\n" + kBaseline, {"windows.mode", "per-document"});
  check_error(kHeader + "[windows]\nstride = -1\n" + kBaseline, {"windows.stride", "below 0"});
  check_error(kHeader + "[passkey]\ndepths = [1.5]\n" + kBaseline, {"passkey.depths[0]", "outside [0, 1]"});
  check_error(kHeader + "[passkey]\ntrials = 0\n" + kBaseline, {"passkey.trials", "below 1"});
  check_error("models = \"m\"\ndatasets = [3]\nlengths = [64]\n" + kBaseline, {"datasets[0]", "must be a string"});
  check_error(kHeader + kBaseline + "rope = 3\n", {"methods[0].rope", "must be a table"});
  check_error(kHeader + kBaseline + "[[methods]]\nname = \"x\"\nrope = '{\"rope_type\": '\n", {"methods[1].rope", "not valid JSON"});
  check_error(kHeader, {"methods", "missing"});
  check_error(kHeader + "[[methods]]\nbaseline = true\n", {"methods[0].name", "missing"});
}

BOOST_AUTO_TEST_CASE(generator_checked_without_a_model) {
  check_error(kHeader + kBaseline +
                  "[[methods]]\nname = \"longrope\"\nrope = { short_factor = { constant = 1 }, long_factor = { ramp = 2 } }\n",
              {"methods[1].rope.long_factor.ramp", "unknown generator key"});
}

BOOST_AUTO_TEST_CASE(load_grid_names_and_files) {
  try {
    rb::load_grid("fulll");
    BOOST_FAIL("no error for an unknown grid");
  } catch (const InputError& e) {
    const std::string m = e.what();
    BOOST_CHECK(m.find("--grid") != std::string::npos);
    BOOST_CHECK(m.find("unknown grid \"fulll\"") != std::string::npos);
    BOOST_CHECK(m.find("did you mean \"full\"") != std::string::npos);
    BOOST_CHECK(m.find("smoke") != std::string::npos);
  }
  BOOST_CHECK_THROW(rb::load_grid("/no/such/grid.toml"), InputError);

  const auto dir = std::filesystem::temp_directory_path() / ("rb_grid_parse_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir / "mine.toml");
    out << "models = [\"model.gguf\"]\ndatasets = [\"a.txt\"]\nlengths = [64]\n" << kBaseline;
  }
  const Grid g = rb::load_grid((dir / "mine.toml").string());
  BOOST_CHECK_EQUAL(g.name, "mine");
  BOOST_CHECK_EQUAL(g.models.at(0), (dir / "model.gguf").string());
  BOOST_CHECK_EQUAL(g.datasets.at(0), "text:" + (dir / "a.txt").string());

  // Overrides replace the grid's lists, relative to the working directory.
  const Grid o = rb::load_grid((dir / "mine.toml").string(), {{"/abs/m.gguf"}, {"bible-kjv"}});
  BOOST_CHECK((o.models == std::vector<std::string>{"/abs/m.gguf"}));
  BOOST_CHECK((o.datasets == std::vector<std::string>{"bible-kjv"}));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(builtin_grids_parse) {
  const Grid full = rb::load_grid("full");
  BOOST_CHECK_EQUAL(full.name, "full");
  BOOST_CHECK_EQUAL(full.source, "builtin grid 'full'");
  BOOST_CHECK((full.datasets == std::vector<std::string>{"bible-kjv"}));
  const Grid smoke = rb::load_grid("smoke");
  BOOST_CHECK_EQUAL(smoke.windows.max_windows, 2);
  BOOST_CHECK((smoke.lengths == std::vector<int64_t>{64, 128}));
}
