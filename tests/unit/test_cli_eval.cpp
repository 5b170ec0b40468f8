// `ropebatch eval`, `tokenize`, `inspect`, `rope` through the real binary: perplexity against
// Hugging Face transformers' (tests/fixtures/make_fixtures.py) within 1e-4 relative, the JSON
// contract, and clear errors with exit status 2 for bad input.
#define BOOST_TEST_MODULE cli_eval
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace fs = std::filesystem;
using rbtest::fixture;
using rbtest::run_ropebatch;
using rbtest::shell_quote;

namespace {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  BOOST_REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  return nlohmann::json::parse(in);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Relative error of perplexity; 1e-4 is the contract (fp32 on both sides, see test_model_reference).
void check_ppl(const nlohmann::json& got, const nlohmann::json& want, const std::string& what) {
  BOOST_CHECK_EQUAL(got["windows"].get<int64_t>(), want["windows"].get<int64_t>());
  BOOST_CHECK_EQUAL(got["predictions"].get<int64_t>(), want["predictions"].get<int64_t>());
  const double rel = std::abs(got["ppl"].get<double>() / want["ppl"].get<double>() - 1.0);
  BOOST_CHECK_MESSAGE(rel <= 1e-4, what << ": ppl " << got["ppl"] << " vs HF " << want["ppl"] << " (rel " << rel << ")");
}

void check_model_eval(const std::string& name) {
  const std::string dir = fixture("models/" + name);
  const nlohmann::json ref = read_json(dir + "/reference.json");
  std::string lengths;
  for (const auto& r : ref["results"]) lengths += (lengths.empty() ? "" : ",") + std::to_string(r["length"].get<int64_t>());
  const auto res = run_ropebatch("eval --model " + dir + " --data " + fixture("text/genesis.txt") + " --lengths " +
                                 lengths + " --max-tokens " + std::to_string(ref["max_tokens"].get<int64_t>()) +
                                 " --format json");
  BOOST_REQUIRE_MESSAGE(res.status == 0, name << ": exit " << res.status << ": " << res.err);
  const auto out = nlohmann::json::parse(res.out);
  BOOST_CHECK(out.contains("model") && out.contains("rope"));
  BOOST_REQUIRE_EQUAL(out["results"].size(), ref["results"].size());
  for (size_t i = 0; i < ref["results"].size(); ++i) {
    BOOST_CHECK_EQUAL(out["results"][i]["length"], ref["results"][i]["length"]);
    check_ppl(out["results"][i], ref["results"][i], name + " L=" + ref["results"][i]["length"].dump());
  }
  if (ref.contains("sliding")) {
    const auto& s = ref["sliding"];
    const auto slide = run_ropebatch("eval --model " + dir + " --data " + fixture("text/genesis.txt") + " --lengths " +
                                     s["length"].dump() + " --stride " + s["stride"].dump() + " --max-tokens " +
                                     ref["max_tokens"].dump() + " --format json");
    BOOST_REQUIRE_MESSAGE(slide.status == 0, slide.err);
    const auto sj = nlohmann::json::parse(slide.out)["results"][0];
    BOOST_CHECK_EQUAL(sj["predictions"].get<int64_t>(), s["predictions"].get<int64_t>());
    const double rel = std::abs(sj["ppl"].get<double>() / s["ppl"].get<double>() - 1.0);
    BOOST_CHECK_MESSAGE(rel <= 1e-4, name << " sliding: ppl " << sj["ppl"] << " vs HF " << s["ppl"]);
  }
}

fs::path scratch_copy(const std::string& name) {
  fs::path dst = fs::temp_directory_path() / ("rb_cli_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dst);
  fs::copy(fixture("models/" + name), dst, fs::copy_options::recursive);
  return dst;
}

}  // namespace

BOOST_AUTO_TEST_CASE(eval_llama_gqa) { check_model_eval("llama_gqa"); }
BOOST_AUTO_TEST_CASE(eval_llama_sharded) { check_model_eval("llama_sharded"); }
BOOST_AUTO_TEST_CASE(eval_qwen2_bias) { check_model_eval("qwen2_bias"); }

BOOST_AUTO_TEST_CASE(eval_smollm2_gguf) {
  const std::string gguf = rbtest::smollm2_gguf();
  if (gguf.empty() || rbtest::sanitized()) {
    BOOST_TEST_MESSAGE("skipped: RB_SMOLLM2_GGUF not set or sanitizer build");
    return;
  }
  const nlohmann::json ref = read_json(fixture("models/smollm2_reference.json"));
  std::string lengths;
  for (const auto& r : ref["results"]) lengths += (lengths.empty() ? "" : ",") + r["length"].dump();
  const auto res = run_ropebatch("eval --model " + gguf + " --data " + fixture("text/smollm2.txt") + " --lengths " +
                                 lengths + " --max-tokens " + ref["max_tokens"].dump() + " --format json");
  BOOST_REQUIRE_MESSAGE(res.status == 0, res.err);
  const auto out = nlohmann::json::parse(res.out);
  for (size_t i = 0; i < ref["results"].size(); ++i)
    check_ppl(out["results"][i], ref["results"][i], "smollm2 L=" + ref["results"][i]["length"].dump());
}

BOOST_AUTO_TEST_CASE(tokenize_matches_reference_ids) {
  const std::string dir = fixture("models/qwen2_bias");
  const auto res = run_ropebatch("tokenize --model " + dir + " --text " + shell_quote("Hello  world, don't 3.14159 日本語 🙂") + " --format json");
  BOOST_REQUIRE_MESSAGE(res.status == 0, res.err);
  const auto ids = nlohmann::json::parse(res.out)["ids"];
  BOOST_CHECK(ids.is_array() && !ids.empty());
  const auto text = read_text(fixture("text/genesis.txt"));
  const auto full = run_ropebatch("tokenize --model " + fixture("models/llama_gqa") + " --add-special --text " + shell_quote(text));
  BOOST_REQUIRE_MESSAGE(full.status == 0, full.err);
  const auto got = nlohmann::json::parse(full.out)["ids"].get<std::vector<int32_t>>();
  const auto want = read_json(fixture("models/llama_gqa/reference.json"))["ids"].get<std::vector<int32_t>>();
  BOOST_REQUIRE_GE(got.size(), want.size());
  BOOST_CHECK(std::equal(want.begin(), want.end(), got.begin()));
}

BOOST_AUTO_TEST_CASE(inspect_reports_the_config) {
  const auto res = run_ropebatch("inspect --model " + fixture("models/qwen2_bias") + " --format json");
  BOOST_REQUIRE_MESSAGE(res.status == 0, res.err);
  const auto j = nlohmann::json::parse(res.out);
  BOOST_CHECK_EQUAL(j["architecture"], "Qwen2ForCausalLM");
  BOOST_CHECK_EQUAL(j["attention_bias"], true);
  BOOST_CHECK_EQUAL(j["tie_word_embeddings"], true);
  BOOST_CHECK(j["dtypes"].contains("BF16"));
}

BOOST_AUTO_TEST_CASE(rope_command_prints_frequencies) {
  const auto res = run_ropebatch("rope --model " + fixture("models/llama_gqa") +
                                 " --rope '{\"rope_type\":\"linear\",\"factor\":2}' --length 512");
  BOOST_REQUIRE_MESSAGE(res.status == 0, res.err);
  const auto j = nlohmann::json::parse(res.out);
  BOOST_CHECK_EQUAL(j["inv_freq"].size(), 8u);  // head_dim 16 -> 8 rotary pairs
}

BOOST_AUTO_TEST_CASE(bad_inputs_exit_2_with_a_clear_message) {
  const std::string text = fixture("text/genesis.txt");
  auto expect_error = [](const rbtest::CliResult& r, const std::vector<std::string>& needles) {
    BOOST_CHECK_EQUAL(r.status, 2);
    for (const auto& n : needles) BOOST_CHECK_MESSAGE(r.err.find(n) != std::string::npos, "'" << n << "' not in: " << r.err);
    BOOST_CHECK(r.err.find("error:") != std::string::npos);
  };
  expect_error(run_ropebatch("eval --model /nonexistent/model --data " + text + " --lengths 64"), {"/nonexistent/model"});
  expect_error(run_ropebatch("eval --model " + fixture("models/llama_gqa") + " --data /nonexistent.txt --lengths 64"),
               {"/nonexistent.txt"});
  expect_error(run_ropebatch("eval --model " + fixture("models/llama_gqa") + " --data " + text + " --lengths 64,abc"),
               {"--lengths", "abc"});
  expect_error(run_ropebatch("eval --model " + fixture("models/llama_gqa") + " --data " + text + " --lengths 10000000"),
               {"fewer than the window length"});
  expect_error(run_ropebatch("eval --model " + fixture("models/llama_gqa") + " --data " + text +
                             " --lengths 64 --rope '{\"rope_type\":\"yarnn\",\"factor\":2}'"),
               {"yarn"});
  expect_error(run_ropebatch("eval --model " + fixture("models/llama_gqa") + " --data " + text +
                             " --lengths 64 --rope '{not json'"),
               {"--rope", "JSON"});

  // Corrupt config.json
  fs::path dir = scratch_copy("llama_gqa");
  std::ofstream(dir / "config.json") << "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": ";
  expect_error(run_ropebatch("eval --model " + dir.string() + " --data " + text + " --lengths 64"), {"config.json"});
  // Unsupported architecture
  auto cfg = read_json(fixture("models/llama_gqa/config.json"));
  cfg["architectures"] = {"GPTNeoXForCausalLM"};
  cfg["model_type"] = "gpt_neox";
  std::ofstream(dir / "config.json") << cfg.dump();
  expect_error(run_ropebatch("inspect --model " + dir.string()), {"config.json", "GPTNeoXForCausalLM"});
  // Shapes that disagree with the config
  cfg = read_json(fixture("models/llama_gqa/config.json"));
  cfg["intermediate_size"] = cfg["intermediate_size"].get<int>() + 32;
  std::ofstream(dir / "config.json") << cfg.dump();
  expect_error(run_ropebatch("eval --model " + dir.string() + " --data " + text + " --lengths 64"), {"mlp", "shape"});
  // Truncated safetensors
  fs::copy_file(fixture("models/llama_gqa/config.json"), dir / "config.json", fs::copy_options::overwrite_existing);
  fs::resize_file(dir / "model.safetensors", fs::file_size(dir / "model.safetensors") / 2);
  expect_error(run_ropebatch("eval --model " + dir.string() + " --data " + text + " --lengths 64"), {"model.safetensors"});
  // Missing tokenizer
  fs::copy_file(fixture("models/llama_gqa/model.safetensors"), dir / "model.safetensors", fs::copy_options::overwrite_existing);
  fs::remove(dir / "tokenizer.model");
  expect_error(run_ropebatch("tokenize --model " + dir.string() + " --text hi"), {"tokenizer"});
  fs::remove_all(dir);

  // Truncated GGUF
  const std::string gguf = rbtest::smollm2_gguf();
  if (!gguf.empty()) {
    fs::path cut = fs::temp_directory_path() / ("rb_cut_" + std::to_string(::getpid()) + ".gguf");
    {
      std::ifstream in(gguf, std::ios::binary);
      std::vector<char> head(3 << 20);
      in.read(head.data(), head.size());
      std::ofstream(cut, std::ios::binary).write(head.data(), in.gcount());
    }
    expect_error(run_ropebatch("eval --model " + cut.string() + " --data " + text + " --lengths 64"), {cut.string()});
    fs::remove(cut);
  }
}
