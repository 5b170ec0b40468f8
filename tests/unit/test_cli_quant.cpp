// 4-bit weights through the real binary: --quant and --group-size on eval, pre-quantized GPTQ/AWQ
// checkpoints against transformers' reference perplexity, quantization in grids and run records,
// and a clear message (exit 2) for every bad input.
#define BOOST_TEST_MODULE cli_quant
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "reports/results_store.hpp"

namespace fs = std::filesystem;
using rbtest::fixture;
using rbtest::run_ropebatch;

namespace {

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  BOOST_REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  return nlohmann::json::parse(in);
}

nlohmann::json eval_json(const std::string& model, const std::string& extra, const std::string& lengths = "64,256") {
  const auto r = run_ropebatch("eval --model " + model + " --data " + fixture("text/genesis.txt") + " --lengths " +
                               lengths + " --max-tokens 512 --format json " + extra);
  BOOST_REQUIRE_MESSAGE(r.status == 0, model << " " << extra << ": exit " << r.status << ": " << r.err);
  return nlohmann::json::parse(r.out);
}

void expect_error(const rbtest::CliResult& r, const std::vector<std::string>& needles) {
  BOOST_CHECK_EQUAL(r.status, 2);
  for (const auto& n : needles) BOOST_CHECK_MESSAGE(r.err.find(n) != std::string::npos, "'" << n << "' not in: " << r.err);
}

fs::path scratch(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("rb_quant_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

BOOST_AUTO_TEST_CASE(prequantized_checkpoints_match_the_reference_perplexity) {
  for (const std::string name : {"llama_gqa_gptq", "llama_gqa_gptq_v2", "llama_gqa_awq"}) {
    const nlohmann::json ref = read_json(fixture("models/" + name + "/reference.json"));
    const nlohmann::json out = eval_json(fixture("models/" + name), "", "64,128,256");
    BOOST_CHECK_EQUAL(out["quant"].get<std::string>().substr(0, 3), name.substr(10, 3));
    for (size_t i = 0; i < ref["results"].size(); ++i) {
      const double rel = std::abs(out["results"][i]["ppl"].get<double>() / ref["results"][i]["ppl"].get<double>() - 1.0);
      BOOST_CHECK_MESSAGE(rel <= 1e-4, name << " L=" << ref["results"][i]["length"] << ": ppl " << out["results"][i]["ppl"]
                                            << " vs transformers " << ref["results"][i]["ppl"]);
    }
  }
}

BOOST_AUTO_TEST_CASE(quantize_at_load_labels_and_changes_the_numbers_a_little) {
  const std::string model = fixture("models/llama_gqa");
  const double full = eval_json(model, "")["results"][1]["ppl"].get<double>();
  const std::map<std::string, std::string> expected = {{"--quant nf4", "nf4"},
                                                       {"--quant nf4-dq", "nf4-dq"},
                                                       {"--quant int4 --group-size 32", "int4-g32"},
                                                       {"--quant int4-asym --group-size 16", "int4-asym-g16"}};
  for (const auto& [args, label] : expected) {
    const nlohmann::json out = eval_json(model, args);
    BOOST_CHECK_EQUAL(out["quant"], label);
    const double ppl = out["results"][1]["ppl"].get<double>();
    BOOST_TEST_MESSAGE(label << ": ppl " << ppl << " vs full precision " << full);
    BOOST_CHECK_NE(ppl, full);
    BOOST_CHECK_LT(std::abs(std::log(ppl / full)), 0.2);  // a 4-bit copy of the same model
  }
}

BOOST_AUTO_TEST_CASE(bad_quantization_inputs_are_refused) {
  const std::string model = fixture("models/llama_gqa");
  const std::string text = fixture("text/genesis.txt");
  const std::string eval = "eval --data " + text + " --lengths 64 --model ";
  expect_error(run_ropebatch(eval + model + " --quant nf5"), {"--quant", "nf5", "nf4"});
  expect_error(run_ropebatch(eval + model + " --quant int4 --group-size 48"),
               {"model.layers.0.self_attn.q_proj.weight", "group", "48"});
  expect_error(run_ropebatch(eval + model + " --quant nf4 --group-size 32"), {"group size", "nf4"});
  expect_error(run_ropebatch(eval + fixture("models/llama_gqa_awq") + " --quant int4"),
               {"config.json", "quantization_config", "already quantized", "awq"});

  const fs::path dir = scratch("bad");
  fs::copy(fixture("models/llama_gqa_gptq"), dir / "m", fs::copy_options::recursive);
  auto cfg = read_json(fixture("models/llama_gqa_gptq/config.json"));
  cfg["quantization_config"]["bits"] = 8;
  std::ofstream(dir / "m" / "config.json") << cfg.dump();
  expect_error(run_ropebatch(eval + (dir / "m").string()), {"quantization_config.bits", "8-bit"});
  cfg["quantization_config"]["bits"] = 4;
  cfg["quantization_config"]["quant_method"] = "exl2";
  std::ofstream(dir / "m" / "config.json") << cfg.dump();
  expect_error(run_ropebatch(eval + (dir / "m").string()), {"quant_method", "exl2", "gptq and awq"});
  cfg["quantization_config"]["quant_method"] = "awq";  // GPTQ tensors read as AWQ: shapes disagree
  std::ofstream(dir / "m" / "config.json") << cfg.dump();
  expect_error(run_ropebatch(eval + (dir / "m").string()), {"q_proj"});
  cfg.erase("quantization_config");  // integer tensors with no quantization_config
  std::ofstream(dir / "m" / "config.json") << cfg.dump();
  expect_error(run_ropebatch(eval + (dir / "m").string()), {"I32", "quantization_config"});
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(grids_sweep_quantization_and_records_say_how_weights_were_held) {
  const fs::path dir = scratch("grid");
  std::ofstream(dir / "g.toml") << "name = \"q\"\nmodels = [\"" << fixture("models/llama_gqa") << "\", \""
                                << fixture("models/llama_gqa_gptq") << "\"]\ndatasets = [\"text:"
                                << fixture("text/genesis.txt")
                                << "\"]\nlengths = [64]\nquant = [\"none\", \"int4-g32\"]\n[windows]\nmax_windows = 2\n"
                                   "[[methods]]\nname = \"o\"\nrope = {}\nbaseline = true\n";
  const auto r = run_ropebatch("run --grid " + (dir / "g.toml").string() + " --out " + (dir / "r.h5").string() +
                                   " --cache-dir " + (dir / "cache").string(),
                               rbtest::mpi_env());
  // int4 on the GPTQ checkpoint fails (already quantized); the other three runs complete.
  BOOST_CHECK_MESSAGE(r.status == 4, "exit " << r.status << ": " << r.err);
  std::map<std::string, std::string> weights;
  int failed = 0;
  for (const auto& rec : rb::reports::read_results(dir / "r.h5")) {
    const std::string model = fs::path(rec.config["model"].get<std::string>()).filename().string();
    if (rec.status != "ok") {
      ++failed;
      BOOST_CHECK_MESSAGE(rec.error.find("already quantized") != std::string::npos, rec.error);
      continue;
    }
    weights[model + " " + rec.config["quant"].get<std::string>()] = rec.config["weights"].get<std::string>();
  }
  BOOST_CHECK_EQUAL(failed, 1);
  BOOST_CHECK_EQUAL(weights["llama_gqa none"], "none");
  BOOST_CHECK_EQUAL(weights["llama_gqa int4-g32"], "int4-g32");
  BOOST_CHECK_EQUAL(weights["llama_gqa_gptq none"], "gptq-g32-act");

  std::ofstream(dir / "bad.toml") << "name = \"q\"\nmodels = [\"" << fixture("models/llama_gqa") << "\"]\ndatasets = [\"text:"
                                  << fixture("text/genesis.txt")
                                  << "\"]\nlengths = [64]\nquant = [\"none\", \"nf4x\"]\n[[methods]]\nname = \"o\"\nrope = {}\n"
                                     "baseline = true\n";
  const auto bad = run_ropebatch("plan --grid " + (dir / "bad.toml").string());
  expect_error(bad, {"bad.toml:5", "quant[1]", "nf4x", "did you mean 'nf4'"});
  fs::remove_all(dir);
}
