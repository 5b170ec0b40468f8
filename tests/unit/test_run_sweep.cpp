// `ropebatch run` end to end over real MPI: the same numbers on 1, 2 and 3 ranks; a SIGKILL or
// SIGTERM mid-sweep followed by --resume gives the same results as an uninterrupted run, with
// nothing lost or duplicated; stored perplexities equal `ropebatch eval`; bad inputs are refused
// with a clear message before any work.
#define BOOST_TEST_MODULE run_sweep
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <cmath>
#include <map>
#include <optional>
#include <thread>

#include "cli_runner.hpp"
#include "sweep_helpers.hpp"
#include "reports/results_store.hpp"

namespace fs = std::filesystem;
using rb::reports::RunRecord;

namespace {

const std::string kGrid = std::string(RB_SOURCE_DIR) + "/tests/grids/sweep_test.toml";

fs::path scratch(const std::string& name) { return rbtest::sweep_scratch(name); }

using rbtest::mpirun;

std::string run_args(const fs::path& dir, const std::string& out) { return rbtest::run_args(kGrid, dir, out); }

std::map<std::string, RunRecord> by_id(const std::string& path) {
  std::map<std::string, RunRecord> m;
  for (auto& r : rb::reports::read_results(path)) {
    BOOST_CHECK_MESSAGE(!m.count(r.run_id), "duplicate run " << r.run_id << " in " << path);
    m[r.run_id] = r;
  }
  return m;
}

// Same runs, same status, bit-identical numbers (timings and hosts may differ).
void check_same_numbers(const std::string& a, const std::string& b) {
  const auto ra = by_id(a), rb_ = by_id(b);
  BOOST_REQUIRE_EQUAL(ra.size(), rb_.size());
  for (const auto& [id, x] : ra) {
    BOOST_REQUIRE_MESSAGE(rb_.count(id), "run " << id << " missing from " << b);
    const RunRecord& y = rb_.at(id);
    BOOST_CHECK_EQUAL(x.status, y.status);
    BOOST_CHECK(x.window_nll == y.window_nll);
    BOOST_CHECK(x.window_predictions == y.window_predictions);
    BOOST_CHECK(x.ppl == y.ppl);
    BOOST_CHECK(x.ppl_stderr == y.ppl_stderr);
    BOOST_CHECK(x.position_mean_nll == y.position_mean_nll);
    BOOST_CHECK(x.position_predictions == y.position_predictions);
    BOOST_CHECK(x.ratio_ci_low == y.ratio_ci_low);
    BOOST_CHECK_EQUAL(x.passkey.size(), y.passkey.size());
    for (size_t i = 0; i < std::min(x.passkey.size(), y.passkey.size()); ++i)
      BOOST_CHECK_EQUAL(x.passkey[i].retrieved, y.passkey[i].retrieved);
  }
}

// Starts a sweep in the background, waits until `completed` runs are reported, then signals it.
int interrupt_after(const std::string& command, const std::string& out, const fs::path& log, int completed, int sig) {
  const pid_t child = ::fork();
  if (child == 0) {
    ::setpgid(0, 0);
    ::execl("/bin/sh", "sh", "-c", (command + " >" + log.string() + " 2>&1").c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(child, child);
  const std::string marker = "[" + std::to_string(completed) + "/";
  for (int i = 0; i < 1200; ++i) {
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str().find(marker) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (sig == SIGKILL) {
    // Kill one rank (not mpirun, whose command line starts with "mpirun"): the oldest, rank 0,
    // which holds the results file.
    const std::string pick = "pgrep -o -f '^[^ ]*ropebatch run.*" + out + "'";
    FILE* p = ::popen(pick.c_str(), "r");
    int pid = 0;
    if (p && std::fscanf(p, "%d", &pid) == 1 && pid > 0) ::kill(pid, SIGKILL);
    if (p) ::pclose(p);
  } else {
    // As Slurm does on preemption: the signal goes to every rank (mpirun itself would escalate
    // to SIGKILL after a second).
    const std::string signal_ranks = "pkill -" + std::to_string(sig) + " -f '^[^ ]*ropebatch run.*" + out + "'";
    BOOST_CHECK(std::system(signal_ranks.c_str()) == 0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

BOOST_AUTO_TEST_CASE(one_two_three_ranks_give_identical_numbers) {
  const fs::path dir = scratch("ranks");
  for (int n : {1, 2, 3}) {
    const int rc = std::system((mpirun(n) + run_args(dir, "n" + std::to_string(n) + ".h5") + " 2>" +
                                (dir / ("n" + std::to_string(n) + ".log")).string())
                                   .c_str());
    BOOST_REQUIRE_MESSAGE(rc == 0, "mpirun -n " << n << " failed");
  }
  const auto one = by_id((dir / "n1.h5").string());
  BOOST_CHECK_EQUAL(one.size(), 15u);
  for (const auto& [id, r] : one) BOOST_CHECK_EQUAL(r.status, "ok");
  check_same_numbers((dir / "n1.h5").string(), (dir / "n2.h5").string());
  check_same_numbers((dir / "n1.h5").string(), (dir / "n3.h5").string());

  // The stored perplexity of a run equals `ropebatch eval` for the same configuration.
  for (const auto& [id, r] : one) {
    if (r.config["family"] != "linear" || r.config["length"] != 128 || r.config["rope"]["factor"] != 2.0) continue;
    const auto e = rbtest::run_ropebatch("eval --model " + rbtest::fixture("models/llama_gqa") + " --data " +
                                         rbtest::fixture("text/genesis.txt") +
                                         " --lengths 128 --max-windows 3 --rope '{\"rope_type\":\"linear\",\"factor\":2.0}' --format json");
    BOOST_REQUIRE_MESSAGE(e.status == 0, e.err);
    const double ppl = nlohmann::json::parse(e.out)["results"][0]["ppl"];
    BOOST_CHECK_EQUAL(ppl, *r.ppl);
  }

  // Each run stores its model's trained length, its resolved RoPE parameters, and loss by position:
  // buckets that together hold every scored prediction and whose weighted mean is the run's mean NLL.
  for (const auto& [id, r] : one) {
    BOOST_TEST_CONTEXT("run " << r.config["rope_label"] << " at " << r.config["length"]) {
      BOOST_CHECK(r.trained_length == std::optional<int64_t>(256));  // llama_gqa's max_position_embeddings
      const auto rope = nlohmann::json::parse(r.rope_resolved);
      BOOST_CHECK(rope.contains("rope_type"));
      if (r.config["family"] == "yarn") BOOST_CHECK(rope.contains("beta_fast"));
      BOOST_REQUIRE(!r.position_bucket_start.empty());
      BOOST_CHECK_EQUAL(r.position_bucket_start.front(), 1);
      int64_t predictions = 0;
      double nll = 0.0;
      for (std::size_t b = 0; b < r.position_bucket_start.size(); ++b) {
        predictions += r.position_predictions[b];
        nll += r.position_mean_nll[b] * static_cast<double>(r.position_predictions[b]);
      }
      BOOST_CHECK_EQUAL(predictions, r.predictions);
      BOOST_CHECK_CLOSE(nll, r.nll_sum, 1e-9);  // summed in another order: rounding only
      // Every run has its interval against the baseline (the baseline's own is [1, 1]).
      BOOST_CHECK_EQUAL(r.ratio_ci_low.has_value(), r.window_nll.size() > 1);
      if (r.config.value("baseline", false) && r.ratio_ci_low) BOOST_CHECK_EQUAL(*r.ratio_ci_low, 1.0);
    }
  }
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(sigkill_then_resume_loses_and_duplicates_nothing) {
  const fs::path dir = scratch("kill");
  BOOST_REQUIRE(std::system((mpirun(1) + run_args(dir, "full.h5") + " 2>/dev/null").c_str()) == 0);
  const int rc = interrupt_after(mpirun(2) + run_args(dir, "cut.h5"), (dir / "cut.h5").string(), dir / "cut.log", 1, SIGKILL);
  BOOST_CHECK_NE(rc, 0);
  const auto partial = by_id((dir / "cut.h5").string());
  BOOST_TEST_MESSAGE("runs saved before the kill: " << partial.size());
  BOOST_CHECK_GE(partial.size(), 1u);
  BOOST_CHECK_LT(partial.size(), 15u);
  BOOST_REQUIRE(std::system((mpirun(2) + run_args(dir, "cut.h5") + " --resume 2>" + (dir / "resume.log").string()).c_str()) == 0);
  check_same_numbers((dir / "full.h5").string(), (dir / "cut.h5").string());
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(sigterm_stops_cleanly_then_resume_finishes) {
  const fs::path dir = scratch("term");
  BOOST_REQUIRE(std::system((mpirun(1) + run_args(dir, "full.h5") + " 2>/dev/null").c_str()) == 0);
  const int rc = interrupt_after(mpirun(1) + run_args(dir, "cut.h5"), (dir / "cut.h5").string(), dir / "cut.log", 1, SIGTERM);
  std::ifstream in(dir / "cut.log");
  std::stringstream log;
  log << in.rdbuf();
  BOOST_CHECK_MESSAGE(rc == 3, "exit " << rc << "\n" << log.str());
  BOOST_CHECK(log.str().find("--resume") != std::string::npos);
  const auto partial = by_id((dir / "cut.h5").string());
  BOOST_CHECK_LT(partial.size(), 15u);
  BOOST_REQUIRE(std::system((mpirun(1) + run_args(dir, "cut.h5") + " --resume 2>/dev/null").c_str()) == 0);
  check_same_numbers((dir / "full.h5").string(), (dir / "cut.h5").string());
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(bad_inputs_are_refused_before_any_work) {
  const fs::path dir = scratch("bad");
  auto expect = [&](const std::string& args, const std::vector<std::string>& needles) {
    const auto r = rbtest::run_ropebatch(args, rbtest::mpi_env());
    BOOST_CHECK_NE(r.status, 0);
    for (const auto& n : needles) BOOST_CHECK_MESSAGE(r.err.find(n) != std::string::npos, "'" << n << "' not in: " << r.err);
  };
  expect("run --grid no-such-grid --out " + (dir / "a.h5").string(), {"no-such-grid"});
  std::ofstream(dir / "bad.toml") << "name = \"x\"\nlengths = [64\n";
  expect("run --grid " + (dir / "bad.toml").string() + " --out " + (dir / "a.h5").string(), {"bad.toml"});
  std::ofstream(dir / "method.toml") << "name = \"x\"\nmodels = [\"" << rbtest::fixture("models/llama_gqa")
                                     << "\"]\ndatasets = [\"text:" << rbtest::fixture("text/genesis.txt")
                                     << "\"]\nlengths = [64]\n[[methods]]\nname = \"o\"\nrope = {}\nbaseline = true\n"
                                        "[[methods]]\nname = \"y\"\nrope = { rope_type = \"yarnn\", factor = 2.0 }\n";
  expect("run --grid " + (dir / "method.toml").string() + " --out " + (dir / "a.h5").string(), {"yarn"});
  expect("run --grid smoke --model " + rbtest::fixture("models/llama_gqa") + " --data /no/such/text.txt --out " +
             (dir / "a.h5").string(),
         {"/no/such/text.txt"});
  std::ofstream(dir / "notours.h5") << "this is not an HDF5 file";
  expect("run --grid smoke --model " + rbtest::fixture("models/llama_gqa") + " --data " + rbtest::fixture("text/genesis.txt") +
             " --resume --out " + (dir / "notours.h5").string(),
         {"notours.h5"});
  BOOST_CHECK(!fs::exists(dir / "a.h5"));
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_failing_run_is_recorded_and_the_sweep_goes_on) {
  const fs::path dir = scratch("fail");
  const std::string grid = std::string(RB_SOURCE_DIR) + "/tests/grids/failing_runs.toml";
  const int rc = std::system((mpirun(1) + " run --grid " + grid + " --out " + (dir / "f.h5").string() + " --cache-dir " +
                              (dir / "cache").string() + " 2>" + (dir / "f.log").string())
                                 .c_str());
  BOOST_CHECK_EQUAL(WEXITSTATUS(rc), 4);  // finished, some runs failed
  const auto runs = by_id((dir / "f.h5").string());
  BOOST_REQUIRE_EQUAL(runs.size(), 4u);
  for (const auto& [id, r] : runs) {
    if (r.config["length"] == 64) {
      BOOST_CHECK_EQUAL(r.status, "failed");
      BOOST_CHECK_MESSAGE(r.error.find("passkey") != std::string::npos, r.error);
    } else {
      BOOST_CHECK_EQUAL(r.status, "ok");
      BOOST_CHECK(r.ppl && std::isfinite(*r.ppl));
      BOOST_CHECK_EQUAL(r.passkey.size(), 1u);
      // LongPPL ran; this random model predicts no token with log-prob > beta = -2, so it finds
      // no key token and stores no LongPPL (the SmolLM2 case below finds some).
      BOOST_CHECK_EQUAL(r.longppl_key_tokens, 0);
      BOOST_CHECK(!r.longppl);
    }
  }
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(dataset_shorter_than_every_length_and_foreign_tokenizer_are_refused) {
  const fs::path dir = scratch("short");
  std::ofstream(dir / "tiny.txt") << "In the beginning God created the heaven and the earth.";
  std::ofstream(dir / "g.toml") << "name = \"x\"\nmodels = [\"" << rbtest::fixture("models/llama_gqa")
                                << "\"]\ndatasets = [\"text:" << (dir / "tiny.txt").string()
                                << "\"]\nlengths = [64, 128]\n[[methods]]\nname = \"o\"\nrope = {}\nbaseline = true\n";
  auto r = rbtest::run_ropebatch("run --grid " + (dir / "g.toml").string() + " --out " + (dir / "a.h5").string() +
                                     " --cache-dir " + (dir / "cache").string(),
                                 rbtest::mpi_env());
  BOOST_CHECK_EQUAL(r.status, 2);
  BOOST_CHECK_MESSAGE(r.err.find("fewer than every length") != std::string::npos && r.err.find("tiny.txt") != std::string::npos, r.err);
  // A model directory whose tokenizer is another model's (ids beyond its vocabulary).
  const fs::path mixed = dir / "mixed";
  fs::copy(rbtest::fixture("models/qwen2_bias"), mixed, fs::copy_options::recursive);
  auto cfg = nlohmann::json::parse(std::ifstream(mixed / "config.json"));
  cfg["vocab_size"] = 1000;
  std::ofstream(mixed / "config.json") << cfg.dump();
  std::ofstream(dir / "m.toml") << "name = \"x\"\nmodels = [\"" << mixed.string() << "\"]\ndatasets = [\"text:"
                                << rbtest::fixture("text/genesis.txt")
                                << "\"]\nlengths = [64]\n[[methods]]\nname = \"o\"\nrope = {}\nbaseline = true\n";
  r = rbtest::run_ropebatch("run --grid " + (dir / "m.toml").string() + " --out " + (dir / "b.h5").string() + " --cache-dir " +
                                (dir / "cache").string(),
                            rbtest::mpi_env());
  BOOST_CHECK_EQUAL(r.status, 2);
  BOOST_CHECK_MESSAGE(r.err.find("tokenizer") != std::string::npos && r.err.find("vocab_size") != std::string::npos, r.err);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(longppl_on_a_real_model) {
  if (rbtest::smollm2_gguf().empty() || rbtest::sanitized()) {
    BOOST_TEST_MESSAGE("skipped: RB_SMOLLM2_GGUF not set or sanitizer build");
    return;
  }
  const fs::path dir = scratch("longppl");
  const std::string grid = std::string(RB_SOURCE_DIR) + "/tests/grids/longppl_smollm2.toml";
  BOOST_REQUIRE(std::system((rbtest::mpi_env() + std::string(RB_BINARY) + " run --grid " + grid + " --out " + (dir / "l.h5").string() +
                             " --cache-dir " + (dir / "cache").string() + " --save-token-nll 2>/dev/null")
                                .c_str()) == 0);
  const auto runs = by_id((dir / "l.h5").string());
  BOOST_REQUIRE_EQUAL(runs.size(), 1u);
  const RunRecord& r = runs.begin()->second;
  BOOST_TEST_MESSAGE("SmolLM2 L=512: ppl " << *r.ppl << ", LongPPL " << (r.longppl ? *r.longppl : NAN) << " over "
                                           << r.longppl_key_tokens << " key tokens of " << r.predictions);
  BOOST_CHECK_GT(r.longppl_key_tokens, 0);
  BOOST_CHECK_LT(r.longppl_key_tokens, r.predictions);
  BOOST_REQUIRE(r.longppl.has_value());
  // Every key token has log-prob > beta = -2 under the long context, so LongPPL < e^2.
  BOOST_CHECK_LT(*r.longppl, std::exp(2.0));
  BOOST_CHECK_GE(*r.longppl, 1.0);
  // The stored key-token mask marks exactly those tokens, one entry per scored prediction, and
  // --save-token-nll gives the per-token NLL that LongPPL averages over them.
  BOOST_REQUIRE_EQUAL(static_cast<int64_t>(r.longppl_key_mask.size()), r.predictions);
  BOOST_REQUIRE_EQUAL(static_cast<int64_t>(r.token_nll.size()), r.predictions);
  double sum = 0.0;
  int64_t n = 0;
  for (size_t i = 0; i < r.token_nll.size(); ++i)
    if (r.longppl_key_mask[i]) sum += r.token_nll[i], ++n;
  BOOST_CHECK_EQUAL(n, r.longppl_key_tokens);
  BOOST_CHECK_CLOSE(std::exp(sum / static_cast<double>(n)), *r.longppl, 1e-4);  // token_nll is stored in fp32
  fs::remove_all(dir);
}
