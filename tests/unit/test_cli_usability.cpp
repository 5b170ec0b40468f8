// The everyday command line through the real binary: eval's standard error, tokens/s and progress
// on stderr, --quiet, "did you mean" for mistyped flags and commands, -V, an example in every
// --help, and --format json for run, merge and report.
#define BOOST_TEST_MODULE cli_usability
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace fs = std::filesystem;
using rbtest::fixture;
using rbtest::run_ropebatch;

namespace {

const std::string kModel = fixture("models/llama_gqa");
const std::string kText = fixture("text/genesis.txt");

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

fs::path scratch(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("rb_usability_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(eval_reports_the_standard_error_over_windows) {
  const auto r = run_ropebatch("eval --model " + kModel + " --data " + kText + " --lengths 64,128 --max-windows 4 --format json");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  const auto j = nlohmann::json::parse(r.out);
  for (const auto& x : j["results"]) {
    BOOST_TEST(x["windows"].get<int>() == 4);
    BOOST_REQUIRE(x["ppl_stderr"].is_number());
    const double ppl = x["ppl"], se = x["ppl_stderr"];
    BOOST_TEST(se > 0.0);
    BOOST_TEST(se < ppl);
    BOOST_TEST(x["tokens_per_second"].get<double>() > 0.0);
  }
  // One window: the standard error is undefined, and JSON says so with null.
  const auto one = run_ropebatch("eval --model " + kModel + " --data " + kText + " --lengths 64 --max-windows 1 --format json");
  BOOST_REQUIRE_MESSAGE(one.status == 0, one.err);
  BOOST_TEST(nlohmann::json::parse(one.out)["results"][0]["ppl_stderr"].is_null());
}

BOOST_AUTO_TEST_CASE(eval_text_shows_ppl_plus_minus_stderr_and_progress_lines) {
  const auto r = run_ropebatch("eval --model " + kModel + " --data " + kText + " --lengths 64 --max-windows 3");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  BOOST_TEST(contains(r.out, "ppl "));
  BOOST_TEST(contains(r.out, " ± "));
  BOOST_TEST(contains(r.out, "tokens/s"));
  // stderr is not a terminal here: plain lines, the last one at 100% with an ETA field.
  BOOST_TEST(contains(r.err, "eval: 100%"), r.err);
  BOOST_TEST(contains(r.err, "ETA"));
  BOOST_TEST(!contains(r.err, "\r"));
  const auto quiet = run_ropebatch("--quiet eval --model " + kModel + " --data " + kText + " --lengths 64 --max-windows 3");
  BOOST_REQUIRE_MESSAGE(quiet.status == 0, quiet.err);
  BOOST_TEST(quiet.err.empty(), quiet.err);
  BOOST_TEST(contains(quiet.out, " ± "));  // the results themselves stay on stdout
  const auto verbose = run_ropebatch("eval --verbose --model " + kModel + " --data " + kText + " --lengths 64 --max-windows 3");
  BOOST_REQUIRE_MESSAGE(verbose.status == 0, verbose.err);
  BOOST_TEST(contains(verbose.err, "weights loaded"), verbose.err);
}

BOOST_AUTO_TEST_CASE(mistyped_flags_and_commands_get_a_suggestion) {
  auto r = run_ropebatch("eval --model " + kModel + " --data " + kText + " --lenghts 64");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(contains(r.err, "--lenghts: unknown option (did you mean --lengths?)"), r.err);
  r = run_ropebatch("report x.h5 --out d --no-pgn");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(contains(r.err, "did you mean --no-png?"), r.err);
  r = run_ropebatch("merge a.h5 b.h5 --fromat json");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(contains(r.err, "did you mean --format?"), r.err);
  r = run_ropebatch("evl --model x");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(contains(r.err, "did you mean 'eval'?"), r.err);
  r = run_ropebatch("eval --model x --qqq");  // nothing near: no suggestion
  BOOST_TEST(r.status == 2);
  BOOST_TEST(!contains(r.err, "did you mean"), r.err);
}

BOOST_AUTO_TEST_CASE(version_and_help_with_examples) {
  for (const std::string flag : {"-V", "--version"}) {
    const auto r = run_ropebatch(flag);
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.out.starts_with("ropebatch 0."), r.out);
  }
  const auto top = run_ropebatch("--help");
  BOOST_TEST(top.status == 0);
  BOOST_TEST(contains(top.out, "example:"));
  BOOST_TEST(contains(top.out, "--quiet"));
  for (const std::string command : {"eval", "tokenize", "inspect", "rope", "run", "plan", "grids", "merge", "report"}) {
    const auto r = run_ropebatch(command + " --help");
    BOOST_TEST(r.status == 0, command);
    BOOST_TEST(contains(r.out, "example:\n  " + (command == "run" ? std::string("mpirun -n 2 ropebatch run") : "ropebatch " + command)),
               command << ": " << r.out);
  }
}

BOOST_AUTO_TEST_CASE(run_merge_and_report_speak_json) {
  const fs::path dir = scratch("json");
  const std::string grid = std::string(RB_SOURCE_DIR) + "/tests/grids/failing_runs.toml";
  const std::string out = (dir / "f.h5").string();
  auto r = run_ropebatch("run --grid " + grid + " --out " + out + " --cache-dir " + (dir / "cache").string() +
                             " --format json --quiet",
                         rbtest::mpi_env());
  BOOST_REQUIRE_MESSAGE(r.status == 4, r.err);  // finished, the runs at 64 tokens failed by design
  auto j = nlohmann::json::parse(r.out);
  BOOST_TEST(j["out"] == out);
  BOOST_TEST(j["runs"] == 4);
  BOOST_TEST(j["ok"] == 2);
  BOOST_TEST(j["failed"] == 2);
  BOOST_TEST(j["already_complete"] == 0);
  BOOST_TEST(j["not_ok"].size() == 2u);
  BOOST_TEST(j["not_ok"][0]["length"] == 64);
  BOOST_TEST(j["interrupted_by_signal"].is_null());

  r = run_ropebatch("merge " + (dir / "m.h5").string() + " " + out + " " + out + " --format json");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  j = nlohmann::json::parse(r.out);
  BOOST_TEST(j["runs"] == 4);
  BOOST_TEST(j["duplicates_agreed"] == 4);

  r = run_ropebatch("report " + (dir / "m.h5").string() + " --out " + (dir / "report").string() + " --no-png --format json");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  j = nlohmann::json::parse(r.out);
  BOOST_TEST(j["runs"]["total"] == 4);
  BOOST_TEST(j["runs"]["failed"] == 2);
  bool has_markdown = false;
  for (const auto& f : j["files"]) {
    has_markdown |= f == "report.md";
    BOOST_TEST(fs::exists(dir / "report" / f.get<std::string>()), f);
  }
  BOOST_TEST(has_markdown);
  fs::remove_all(dir);
}
