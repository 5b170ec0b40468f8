// `ropebatch eval --tp N` under mpirun (CPU backend, MPI collectives): every shard holds its heads,
// KV heads, MLP features and vocabulary rows; the perplexities equal `--tp 1` within 1e-5 relative
// (fp32 sums over the group in another order: observed differences are ~1e-7), on the fixture
// models (Llama GQA, Qwen2 with q/k/v biases, a GPTQ checkpoint) and several RoPE methods, with one
// group and with two. Bad --tp values are errors before any work.
#define BOOST_TEST_MODULE cli_tensor_parallel
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <tuple>
#include <utility>
#include <sys/wait.h>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace {

using rbtest::mpirun;

std::string eval_args(const std::string& model, const std::string& rope, const std::string& extra = "") {
  std::string args = " eval --model " + rbtest::fixture("models/" + model) + " --data text:" +
                     rbtest::fixture("text/genesis.txt") + " --lengths 64,200 --max-tokens 800 --threads 1 --format json";
  if (!rope.empty()) args += " --rope " + rbtest::shell_quote(rope);
  return args + extra;
}

// Runs `command` (a whole shell command line), returns its stdout as JSON (a failure fails the test).
nlohmann::json eval_json(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>/dev/null").c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = ::pclose(pipe);
  BOOST_REQUIRE_MESSAGE(status == 0, command << " failed (" << status << "): " << out);
  return nlohmann::json::parse(out);
}

void check_same(const std::string& model, const std::string& rope, int ranks, int tp, const std::string& extra = "") {
  const nlohmann::json one = eval_json(std::string(RB_BINARY) + eval_args(model, rope, extra));
  const nlohmann::json par = eval_json(mpirun(ranks) + eval_args(model, rope, extra + " --tp " + std::to_string(tp)));
  BOOST_TEST_CONTEXT(model << " rope " << (rope.empty() ? "(the model's)" : rope) << " -n " << ranks << " --tp " << tp) {
    BOOST_TEST(par["tp"] == tp);
    BOOST_REQUIRE_EQUAL(one["results"].size(), par["results"].size());
    for (size_t i = 0; i < one["results"].size(); ++i) {
      const auto& a = one["results"][i];
      const auto& b = par["results"][i];
      BOOST_TEST(a["windows"] == b["windows"]);
      BOOST_TEST(a["predictions"] == b["predictions"]);
      const double pa = a["ppl"], pb = b["ppl"];
      BOOST_TEST(std::abs(pb - pa) <= 1e-5 * pa, "length " << a["length"] << ": ppl " << pa << " vs " << pb);
      const double sa = a["ppl_stderr"], sb = b["ppl_stderr"];
      BOOST_TEST(std::abs(sb - sa) <= 1e-4 * sa);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(one_group_of_two_equals_the_whole_model) {
  for (const std::string rope : {"", R"({"rope_type":"linear","factor":2})", R"({"rope_type":"yarn","factor":4})",
                                 R"({"rope_type":"dynamic","factor":2})", R"({"rope_type":"llama3","factor":8,"low_freq_factor":1,"high_freq_factor":4,"original_max_position_embeddings":64})"})
    check_same("llama_gqa", rope, 2, 2);
  check_same("qwen2_bias", "", 2, 2);  // q/k/v biases column-split with their projections
  check_same("qwen2_bias", R"({"rope_type":"yarn","factor":2})", 2, 2);
}

BOOST_AUTO_TEST_CASE(two_groups_share_the_windows) {
  check_same("llama_gqa", R"({"rope_type":"ntk","factor":2})", 4, 2);
  check_same("qwen2_bias", "", 4, 2);
}

BOOST_AUTO_TEST_CASE(four_bit_weights_shard_without_requantizing) {
  check_same("llama_gqa_gptq", "", 2, 2);  // GPTQ as published, groups kept whole
  check_same("llama_gqa", "", 2, 2, " --quant int4 --group-size 16");  // quantized at load, then sliced
}

BOOST_AUTO_TEST_CASE(bad_tp_is_an_error_before_any_work) {
  const auto run = [](const std::string& cmd) {
    FILE* pipe = ::popen((cmd + " 2>&1").c_str(), "r");
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
    const int raw = ::pclose(pipe);
    return std::make_pair(WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, out);
  };
  auto [rc, out] = run(mpirun(2) + eval_args("llama_gqa", "", " --tp 3"));
  BOOST_TEST(rc != 0);
  BOOST_TEST(out.find("--tp: 3 does not divide the 2 MPI ranks") != std::string::npos, out);
  std::tie(rc, out) = run(mpirun(3) + eval_args("llama_gqa", "", " --tp 3"));  // 4 heads over 3 ranks
  BOOST_TEST(rc != 0);
  BOOST_TEST(out.find("heads") != std::string::npos, out);
  std::tie(rc, out) = run(std::string(RB_BINARY) + eval_args("llama_gqa", "", " --tp 2 --backend cuda"));
  BOOST_TEST(rc == 2);
  BOOST_TEST(out.find("--tp: tensor parallelism runs on the CPU backend") != std::string::npos, out);
  std::tie(rc, out) = run(std::string(RB_BINARY) + eval_args("llama_gqa", "", " --tp 0"));
  BOOST_TEST(rc == 2);
  BOOST_TEST(out.find("--tp: must be >= 1") != std::string::npos, out);
}
