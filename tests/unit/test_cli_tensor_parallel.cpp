// `ropebatch eval --tp N` and `ropebatch run --tp N` under mpirun (CPU backend, MPI collectives):
// every shard holds its heads, KV heads, MLP features and vocabulary rows; the perplexities (and a
// sweep's per-window NLLs, passkey answers and LongPPL in the HDF5 file) equal `--tp 1` within 1e-5
// relative (fp32 sums over the group in another order: observed differences are ~1e-7), on the
// fixture models (Llama GQA, Qwen2 with q/k/v biases, a GPTQ checkpoint, int4 quantized at load)
// and the RoPE methods, with one group and with two. A group member killed with kill -9 ends the
// sweep with the finished runs saved, and --resume completes it. Bad --tp values are errors before
// any work.
#define BOOST_TEST_MODULE cli_tensor_parallel
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <tuple>
#include <utility>
#include <sys/wait.h>
#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "sweep_helpers.hpp"
#include "tp_eval.hpp"

namespace fs = std::filesystem;

namespace {

using rbtest::mpirun;
using rbtest::shell;
using rbtest::shell_json;
using rbtest::tp_eval_args;

void check_same(const std::string& model, const std::string& rope, int ranks, int tp, const std::string& extra = "") {
  const nlohmann::json one = shell_json(std::string(RB_BINARY) + tp_eval_args(model, rope, extra));
  const nlohmann::json par = shell_json(mpirun(ranks) + tp_eval_args(model, rope, extra + " --tp " + std::to_string(tp)));
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

// Qwen3 (q/k norms replicated), Mistral (sliding window on every layer) and Phi-3 (qkv_proj and
// gate_up_proj split on load, then each part sharded like Llama's; partial rotary, longrope).
BOOST_AUTO_TEST_CASE(other_families_shard_as_llama_does) {
  for (const std::string model : {"qwen3_sw", "mistral_sw", "phi3_lr"}) check_same(model, "", 2, 2);
  // Gemma-3: q/k norms, sandwich norms and both RoPEs per shard; overrides without and with layer types.
  for (const std::string rope : {std::string(), std::string(R"({"rope_type":"yarn","factor":4})"),
                                 std::string(R"({"full_attention":{"rope_type":"linear","factor":2},"sliding_attention":{"rope_type":"dynamic","factor":2}})")})
    check_same("gemma3_sw", rope, 2, 2);
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
  auto [rc, out] = shell(mpirun(2) + tp_eval_args("llama_gqa", "", " --tp 3"));
  BOOST_TEST(rc != 0);
  BOOST_TEST(out.find("--tp: 3 does not divide the 2 MPI ranks") != std::string::npos, out);
  std::tie(rc, out) = shell(mpirun(3) + tp_eval_args("llama_gqa", "", " --tp 3"));  // 4 heads over 3 ranks
  BOOST_TEST(rc != 0);
  BOOST_TEST(out.find("heads") != std::string::npos, out);
  // CUDA groups need a device per rank: without a GPU (CI) or with one, a clear error before any work.
  std::tie(rc, out) = shell(mpirun(2) + tp_eval_args("llama_gqa", "", " --tp 2 --backend cuda"));
  BOOST_TEST(rc != 0);
  BOOST_TEST((out.find("no CUDA device") != std::string::npos ||
              out.find("--tp: 2 ranks of a group need a CUDA device each") != std::string::npos ||
              out.find("built without the CUDA backend") != std::string::npos),
             out);
  std::tie(rc, out) = shell(std::string(RB_BINARY) + tp_eval_args("llama_gqa", "", " --tp 0"));
  BOOST_TEST(rc == 2);
  BOOST_TEST(out.find("--tp: must be >= 1") != std::string::npos, out);
}

// ---- run --tp --------------------------------------------------------------------------------

namespace {

const std::string kTpGrid = std::string(RB_SOURCE_DIR) + "/tests/grids/tp_test.toml";  // 48 runs

// The sweep of `grid` (with `extra` arguments) under `ranks` ranks and --tp `tp` into DIR/OUT;
// a sweep whose runs all finished exits 0, one with failed runs 4.
std::string sweep(const fs::path& dir, const std::string& out, int ranks, int tp, const std::string& extra = "",
                  const std::string& grid = kTpGrid) {
  return mpirun(ranks) + rbtest::run_args(grid, dir, out) + " --threads 1 --tp " + std::to_string(tp) + extra;
}

// The --tp 1 results of the grid, made once for the tests below.
const std::string& whole_model_results() {
  static const std::string path = [] {
    const fs::path dir = rbtest::sweep_scratch("tp_reference");
    const auto [rc, out] = shell(sweep(dir, "tp1.h5", 1, 1));
    BOOST_REQUIRE_MESSAGE(rc == 0, out);
    return (dir / "tp1.h5").string();
  }();
  return path;
}

}  // namespace

BOOST_AUTO_TEST_CASE(run_tp_2_equals_tp_1_run_by_run_and_window_by_window) {
  const fs::path dir = rbtest::sweep_scratch("tp_run");
  const auto [rc, out] = shell(sweep(dir, "tp2.h5", 2, 2));
  BOOST_REQUIRE_MESSAGE(rc == 0, out);
  BOOST_TEST(out.find("2 rank(s) in 1 tensor-parallel group(s) of 2") != std::string::npos, out);
  const double worst = rbtest::check_close_numbers(whole_model_results(), (dir / "tp2.h5").string(), 1e-5);
  BOOST_TEST_MESSAGE("run --tp 2: largest relative window-NLL difference from --tp 1: " << worst);
  for (const auto& r : rb::reports::read_results((dir / "tp2.h5").string()))
    BOOST_TEST(r.device == "cpu (tp 2: ranks 0-1)");
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(run_with_two_groups_of_two_equals_tp_1) {
  const fs::path dir = rbtest::sweep_scratch("tp_groups");
  const auto [rc, out] = shell(sweep(dir, "tp2x2.h5", 4, 2));
  BOOST_REQUIRE_MESSAGE(rc == 0, out);
  rbtest::check_close_numbers(whole_model_results(), (dir / "tp2x2.h5").string(), 1e-5);
  std::set<std::string> devices;  // both groups did work
  for (const auto& r : rb::reports::read_results((dir / "tp2x2.h5").string())) devices.insert(r.device);
  BOOST_TEST(devices.count("cpu (tp 2: ranks 0-1)") == 1u);
  BOOST_TEST(devices.count("cpu (tp 2: ranks 2-3)") == 1u);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(run_tp_2_on_a_gptq_checkpoint_equals_tp_1) {
  // The grid's int4-g16 runs of a GPTQ checkpoint fail (it is 4-bit already) the same way at both
  // sizes; its published weights run as they are, groups kept whole in every slice.
  const fs::path dir = rbtest::sweep_scratch("tp_gptq");
  const std::string model = " --model " + rbtest::fixture("models/llama_gqa_gptq");
  auto [rc, out] = shell(sweep(dir, "tp1.h5", 1, 1, model));
  BOOST_REQUIRE_MESSAGE(rc == 4, out);
  std::tie(rc, out) = shell(sweep(dir, "tp2.h5", 2, 2, model));
  BOOST_REQUIRE_MESSAGE(rc == 4, out);
  rbtest::check_close_numbers((dir / "tp1.h5").string(), (dir / "tp2.h5").string(), 1e-5);
  int ok = 0;
  for (const auto& r : rb::reports::read_results((dir / "tp2.h5").string())) ok += r.status == "ok";
  BOOST_TEST(ok == 12);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(kill_9_of_a_group_member_then_resume_completes_the_sweep) {
  const fs::path dir = rbtest::sweep_scratch("tp_kill");
  const std::string cut = (dir / "cut.h5").string();
  {
    rbtest::Background sweeping(sweep(dir, "cut.h5", 4, 2), dir / "cut.log");
    BOOST_REQUIRE_MESSAGE(sweeping.wait_for("[1/"), sweeping.log());
    const pid_t member = rbtest::rank_pid(cut, 3);  // group 1's second rank, not a leader
    BOOST_REQUIRE_MESSAGE(member > 0, "rank 3 not found");
    ::kill(member, SIGKILL);
    BOOST_CHECK_NE(sweeping.wait(), 0);
    BOOST_TEST_MESSAGE("after kill -9 of rank 3:\n" << sweeping.log());
  }
  const size_t saved = rbtest::runs_by_id(cut).size();
  BOOST_TEST_MESSAGE("runs saved before rank 3 was killed: " << saved);
  BOOST_CHECK_GE(saved, 1u);
  BOOST_CHECK_LT(saved, 48u);
  const auto [rc, out] = shell(sweep(dir, "cut.h5", 4, 2, " --resume"));
  BOOST_REQUIRE_MESSAGE(rc == 0, out);
  BOOST_TEST(out.find("(" + std::to_string(saved) + " already complete") != std::string::npos, out);
  rbtest::check_close_numbers(whole_model_results(), cut, 1e-5);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(bad_run_tp_is_an_error_before_any_work) {
  const fs::path dir = rbtest::sweep_scratch("tp_bad");
  const auto refused = [&](const std::string& cmd, const std::string& expected) {
    const auto [rc, out] = shell(cmd);
    BOOST_TEST(rc == 2, cmd << "\n" << out);
    BOOST_TEST(out.find(expected) != std::string::npos, out);
    BOOST_TEST(out.find("[1/") == std::string::npos, out);  // no run was scored
    BOOST_TEST(!fs::exists(dir / "r.h5"));
  };
  refused(sweep(dir, "r.h5", 2, 3), "--tp: 3 does not divide the 2 MPI ranks");
  refused(sweep(dir, "r.h5", 3, 3), "--tp: 3 does not divide num_attention_heads 4");
  refused(sweep(dir, "r.h5", 1, 0), "--tp: must be >= 1");
  // nf4's blocks of 64 weights do not fit o_proj's 32 input features per rank at --tp 2.
  const fs::path grid = dir / "nf4.toml";
  std::ofstream(grid) << "name = \"tp-nf4\"\nmodels = [\"" << rbtest::fixture("models/llama_gqa") << "\"]\n"
                      << "datasets = [\"text:" << rbtest::fixture("text/genesis.txt") << "\"]\n"
                      << "lengths = [128]\nquant = [\"nf4\"]\n[[methods]]\nname = \"original\"\nrope = {}\nbaseline = true\n";
  refused(sweep(dir, "r.h5", 2, 2, "", grid.string()),
          "--tp: 2 ranks give o_proj 32 input features per rank, which would cut nf4's groups of 64 weights");
  fs::remove_all(dir);
}
