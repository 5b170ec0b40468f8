// Gemma-3 through the real binary: `rope` prints one schedule per layer type (an override without a
// layer type changes only the full-attention layers'), `inspect` of the multimodal checkpoint shows
// its text model, a RoPE keyed by layer type is refused for a model with one RoPE, `eval --tp 2`
// equals `--tp 1` within 1e-5 relative, and a grid with RoPE keyed by layer type runs on gemma3_sw
// (records keyed by layer type) and is refused before any work on Llama.
#define BOOST_TEST_MODULE cli_gemma3
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "sweep_helpers.hpp"
#include "tp_eval.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using rbtest::fixture;
using rbtest::run_ropebatch;
using rbtest::shell_quote;

namespace {

const std::string kGrid = std::string(RB_SOURCE_DIR) + "/tests/grids/gemma3_test.toml";  // 6 runs on gemma3_sw

json rope_json(const std::string& model, const std::string& rope = "") {
  const auto r = run_ropebatch("rope --model " + fixture("models/" + model) + " --length 512 --format json" +
                               (rope.empty() ? "" : " --rope " + shell_quote(rope)));
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  return json::parse(r.out);
}

// `eval` of the fixture text at lengths 64 and 200 (windows beyond the sliding window of 64).
json eval_json(const std::string& model, const std::string& rope = "", const std::string& extra = "") {
  return rbtest::shell_json(std::string(RB_BINARY) + rbtest::tp_eval_args(model, rope, extra));
}

}  // namespace

BOOST_AUTO_TEST_CASE(rope_prints_one_schedule_per_layer_type) {
  const json j = rope_json("gemma3_sw");
  BOOST_TEST(j["method"] == "full_attention: default, sliding_attention: default");
  BOOST_REQUIRE_EQUAL(j["schedules"].size(), 2u);
  const json& full = j["schedules"][0];
  const json& sliding = j["schedules"][1];
  BOOST_TEST(full["layer_type"] == "full_attention");
  BOOST_TEST(full["layers"] == json({1, 3}));
  BOOST_TEST(full["rope_theta"] == 1e6);
  BOOST_TEST(sliding["layer_type"] == "sliding_attention");
  BOOST_TEST(sliding["layers"] == json({0, 2}));
  BOOST_TEST(sliding["rope_theta"] == 1e4);
  BOOST_TEST(full["inv_freq"].size() == 8u);
  BOOST_TEST(full["inv_freq"] != sliding["inv_freq"]);
  BOOST_TEST(full["length"] == 512);

  // A model with one RoPE keeps the single report.
  const json llama = rope_json("llama_gqa");
  BOOST_TEST(!llama.contains("schedules"));
  BOOST_TEST(llama["inv_freq"].size() == 8u);
}

BOOST_AUTO_TEST_CASE(rope_override_without_a_layer_type_changes_only_the_full_layers) {
  const json plain = rope_json("gemma3_sw");
  const json linear = rope_json("gemma3_sw", R"({"rope_type":"linear","factor":2})");
  BOOST_TEST(linear["method"] == "full_attention: linear, sliding_attention: default");
  BOOST_REQUIRE_EQUAL(linear["schedules"].size(), 2u);
  const json& full = linear["schedules"][0];
  BOOST_TEST(full["method"] == "linear");
  BOOST_TEST(full["rope_theta"] == 1e6);
  BOOST_TEST(full["layers"] == json({1, 3}));
  BOOST_REQUIRE_EQUAL(full["inv_freq"].size(), plain["schedules"][0]["inv_freq"].size());
  for (size_t i = 0; i < full["inv_freq"].size(); ++i) {
    const double got = full["inv_freq"][i], was = plain["schedules"][0]["inv_freq"][i];
    BOOST_TEST(std::abs(got - was / 2) <= 1e-7 * was, "pair " << i << ": " << got << " vs " << was << " / 2");
  }
  BOOST_TEST(linear["schedules"][1] == plain["schedules"][1]);  // the sliding layers' report, unchanged

  // Keyed by layer type: the sliding layers' alone.
  const json keyed = rope_json("gemma3_sw", R"({"sliding_attention":{"rope_type":"linear","factor":2}})");
  BOOST_TEST(keyed["method"] == "full_attention: default, sliding_attention: linear");
  BOOST_TEST(keyed["schedules"][0] == plain["schedules"][0]);
  BOOST_TEST(keyed["schedules"][1]["inv_freq"] != plain["schedules"][1]["inv_freq"]);
  BOOST_TEST(keyed["schedules"][1]["rope_theta"] == 1e4);
}

BOOST_AUTO_TEST_CASE(rope_text_has_a_header_per_layer_type) {
  const auto r = run_ropebatch("rope --model " + fixture("models/gemma3_sw") + " --length 512 --format text");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  const size_t full = r.out.find("layer type full_attention");
  const size_t sliding = r.out.find("layer type sliding_attention");
  BOOST_TEST(full != std::string::npos, r.out);
  BOOST_TEST(sliding != std::string::npos, r.out);
  BOOST_TEST(full < sliding);
  BOOST_TEST(r.out.find("rope_theta 1000000") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("rope_theta 10000.0") != std::string::npos, r.out);
}

BOOST_AUTO_TEST_CASE(inspect_the_multimodal_checkpoint_shows_its_text_model) {
  const auto r = run_ropebatch("inspect --model " + fixture("models/gemma3_mm") + " --format json");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  const json j = json::parse(r.out);
  BOOST_TEST(j["architecture"] == "Gemma3ForConditionalGeneration");
  BOOST_TEST(j["model_type"] == "gemma3_text");
  BOOST_TEST(j["hidden_size"] == 64);
  BOOST_TEST(j["num_layers"] == 4);
  BOOST_TEST(j["sandwich_norms"] == true);
  BOOST_TEST(j["qk_norm"] == true);
  BOOST_TEST(j["parameters"] == 276864);  // the numel of gemma3_sw's model.safetensors: the text model alone
  BOOST_TEST(j["hidden_act"] == "gelu_pytorch_tanh");
  BOOST_TEST(j["embedding_scale"] == 8.0);  // sqrt(64)
  BOOST_TEST(j["norm_weight_offset"] == 1.0);
  BOOST_TEST(std::abs(j["attention_scale"].get<double>() - 1.0 / std::sqrt(32.0)) < 1e-12);  // query_pre_attn_scalar 32
  BOOST_TEST(j["sliding_window"] == 64);
  BOOST_TEST(j["layer_types"] == json({"sliding_attention", "full_attention", "sliding_attention", "full_attention"}));
  BOOST_REQUIRE_EQUAL(j["rope_by_layer_type"].size(), 2u);
  BOOST_TEST(j["rope_by_layer_type"][0]["layer_type"] == "full_attention");
  BOOST_TEST(j["rope_by_layer_type"][0]["rope_theta"] == 1e6);
  BOOST_TEST(j["rope_by_layer_type"][1]["layer_type"] == "sliding_attention");
  BOOST_TEST(j["rope_by_layer_type"][1]["rope_theta"] == 1e4);
  BOOST_TEST(j["rope"].contains("full_attention"));
  BOOST_TEST(j["rope"].contains("sliding_attention"));

  // Its text model is gemma3_sw's: the same inspection but the architecture and path.
  const auto sw = run_ropebatch("inspect --model " + fixture("models/gemma3_sw") + " --format json");
  BOOST_REQUIRE_MESSAGE(sw.status == 0, sw.err);
  json a = json::parse(sw.out), b = j;
  for (const char* k : {"architecture", "model", "parameters", "dtypes"}) {
    a.erase(k);
    b.erase(k);
  }
  BOOST_TEST(a == b, "gemma3_sw: " << a.dump() << "\ngemma3_mm: " << b.dump());
}

BOOST_AUTO_TEST_CASE(eval_of_the_multimodal_checkpoint_equals_its_text_model) {
  for (const std::string rope : {std::string(), std::string(R"({"sliding_attention":{"rope_type":"linear","factor":2}})")}) {
    const json sw = eval_json("gemma3_sw", rope), mm = eval_json("gemma3_mm", rope);
    BOOST_REQUIRE_EQUAL(sw["results"].size(), mm["results"].size());
    for (size_t i = 0; i < sw["results"].size(); ++i) BOOST_TEST(sw["results"][i]["ppl"] == mm["results"][i]["ppl"]);
  }
}

BOOST_AUTO_TEST_CASE(eval_with_a_rope_keyed_by_layer_type_on_llama_is_refused) {
  const std::string eval = "eval --model " + fixture("models/llama_gqa") + " --data " + fixture("text/genesis.txt") +
                           " --lengths 64 --rope ";
  auto r = run_ropebatch(eval + shell_quote(R"({"full_attention":{"rope_type":"linear","factor":2}})"));
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("--rope: full_attention") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("applies one RoPE to every layer") != std::string::npos, r.err);
  BOOST_TEST(r.out.empty());
  r = run_ropebatch(eval + shell_quote(R"({"sliding_attention":{"rope_type":"linear","factor":2}})"));
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("sliding_attention") != std::string::npos, r.err);

  // On gemma3_sw: layer types mixed with parameters, and a bad parameter under its layer type.
  const std::string gemma = "eval --model " + fixture("models/gemma3_sw") + " --data " + fixture("text/genesis.txt") +
                            " --lengths 64 --rope ";
  r = run_ropebatch(gemma + shell_quote(R"({"full_attention":{"rope_type":"linear","factor":2},"factor":2})"));
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("beside the layer type \"full_attention\"") != std::string::npos, r.err);
  r = run_ropebatch(gemma + shell_quote(R"({"full_attention":{"rope_type":"linear","factor":0.5}})"));
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("full_attention") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("below 1") != std::string::npos, r.err);
}

// ---- run --grid --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_grid_with_rope_keyed_by_layer_type_runs_and_records_each_type) {
  const fs::path dir = rbtest::sweep_scratch("gemma3_grid");
  const auto r = run_ropebatch(rbtest::run_args(kGrid, dir, "r.h5"), rbtest::mpi_env());
  BOOST_REQUIRE_MESSAGE(r.status == 0, "exit " << r.status << ": " << r.err);
  std::map<std::string, rb::reports::RunRecord> by_label;
  for (const auto& [id, rec] : rbtest::runs_by_id((dir / "r.h5").string())) by_label[rec.config["rope_label"]] = rec;
  BOOST_REQUIRE_EQUAL(by_label.size(), 6u);
  std::map<std::string, json> resolved;
  for (const auto& [label, rec] : by_label) {
    BOOST_TEST_CONTEXT(label) {
      BOOST_TEST(rec.status == "ok", rec.error);
      BOOST_REQUIRE(rec.ppl.has_value());
      resolved[label] = json::parse(rec.rope_resolved);
      BOOST_TEST(resolved[label].size() == 2u, resolved[label].dump());  // keyed by layer type, every run
      BOOST_TEST(resolved[label]["full_attention"]["rope_theta"] == 1e6);
      BOOST_TEST(resolved[label]["sliding_attention"].contains("rope_type"));
    }
  }
  const json& per_type = resolved["per-type full_attention.factor=4 sliding_attention.factor=2"];
  BOOST_TEST(per_type["full_attention"]["rope_type"] == "yarn");
  BOOST_TEST(per_type["full_attention"]["factor"] == 4.0);
  BOOST_TEST(per_type["full_attention"].contains("beta_fast"));  // defaults filled in
  BOOST_TEST(per_type["sliding_attention"]["rope_type"] == "linear");
  BOOST_TEST(per_type["sliding_attention"]["factor"] == 2.0);
  BOOST_TEST(per_type["sliding_attention"]["rope_theta"] == 1e4);
  BOOST_TEST(resolved["yarn factor=4"]["sliding_attention"]["rope_type"] == "default");
  BOOST_TEST(resolved["original"]["full_attention"]["rope_type"] == "default");
  BOOST_TEST(resolved["sliding-linear sliding_attention.factor=4"]["sliding_attention"]["factor"] == 4.0);
  BOOST_TEST(resolved["sliding-linear sliding_attention.factor=4"]["full_attention"]["rope_type"] == "default");

  // An override without a layer type is the full layers': the same numbers as the keyed one.
  const auto& yarn = by_label.at("yarn factor=4");
  const auto& yarn_keyed = by_label.at("yarn-keyed full_attention.factor=4");
  BOOST_TEST(yarn.window_nll == yarn_keyed.window_nll);
  BOOST_TEST(resolved["yarn factor=4"] == resolved["yarn-keyed full_attention.factor=4"]);
  BOOST_TEST(*by_label.at("original").ppl != *yarn.ppl);
  BOOST_TEST(*by_label.at("sliding-linear sliding_attention.factor=2").ppl !=
             *by_label.at("sliding-linear sliding_attention.factor=4").ppl);

  // A run of the grid equals `eval` of its configuration over the same windows.
  const auto e = run_ropebatch("eval --model " + fixture("models/gemma3_sw") + " --data " + fixture("text/genesis.txt") +
                               " --lengths 128 --max-windows 2 --format json --rope " +
                               shell_quote(R"({"full_attention":{"rope_type":"yarn","factor":4.0},"sliding_attention":{"rope_type":"linear","factor":2.0}})"));
  BOOST_REQUIRE_MESSAGE(e.status == 0, e.err);
  BOOST_TEST(json::parse(e.out)["results"][0]["ppl"].get<double>() ==
             *by_label.at("per-type full_attention.factor=4 sliding_attention.factor=2").ppl);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(the_grid_on_llama_is_refused_before_any_work) {
  const fs::path dir = rbtest::sweep_scratch("gemma3_grid_llama");
  const auto r = run_ropebatch(rbtest::run_args(kGrid, dir, "r.h5") + " --model " + fixture("models/llama_gqa"),
                               rbtest::mpi_env());
  BOOST_TEST(r.status == 2, r.err);
  BOOST_TEST(r.err.find(kGrid) != std::string::npos, r.err);       // the grid file
  BOOST_TEST(r.err.find("methods[2].rope") != std::string::npos, r.err);  // the first keyed method, "yarn-keyed"
  BOOST_TEST(r.err.find("yarn-keyed") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("applies one RoPE to every layer") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("[1/") == std::string::npos, r.err);  // no run was scored
  BOOST_TEST(!fs::exists(dir / "r.h5"));
  fs::remove_all(dir);
}

// A bad value in a keyed entry names its key path in the grid: under .rope when written there,
// under .sweep when swept (as for a model with one RoPE).
BOOST_AUTO_TEST_CASE(a_bad_keyed_value_names_its_key_path_in_the_grid) {
  const fs::path dir = rbtest::sweep_scratch("gemma3_grid_bad");
  const std::string head = "name = \"g\"\nmodels = [\"" + fixture("models/gemma3_sw") + "\"]\ndatasets = [\"text:" +
                           fixture("text/genesis.txt") + "\"]\nlengths = [128]\n[[methods]]\nname = \"original\"\n"
                           "rope = {}\nbaseline = true\n";
  const auto refused = [&](const std::string& method, const std::string& field) {
    std::ofstream(dir / "g.toml") << head << method;
    const auto r = run_ropebatch(rbtest::run_args((dir / "g.toml").string(), dir, "r.h5"), rbtest::mpi_env());
    BOOST_TEST(r.status == 2, r.err);
    BOOST_TEST(r.err.find((dir / "g.toml").string() + ":9: " + field + ": ") != std::string::npos,
               "'" << field << "' not in: " << r.err);
    BOOST_TEST(r.err.find("below 1") != std::string::npos, r.err);
    BOOST_TEST(!fs::exists(dir / "r.h5"));
  };
  refused("[[methods]]\nname = \"keyed\"\nrope = { full_attention = { rope_type = \"linear\", factor = 0.5 } }\n",
          "methods[1].rope.full_attention.factor");
  refused("[[methods]]\nname = \"keyed\"\nrope = { full_attention = { rope_type = \"linear\" } }\n"
          "[methods.sweep]\n\"full_attention.factor\" = [0.5, 2.0]\n",
          "methods[1].sweep.full_attention.factor");
  fs::remove_all(dir);
}
