#pragma once
// For the end-to-end sweep tests (test_run_*.cpp): scratch folders, mpirun command lines, reading
// a results file by run id and comparing two of them number for number.
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <map>
#include <string>

#include "cli_runner.hpp"
#include "reports/results_store.hpp"

namespace rbtest {

inline const std::string kSweepGrid = std::string(RB_SOURCE_DIR) + "/tests/grids/sweep_test.toml";  // 15 runs

inline std::filesystem::path sweep_scratch(const std::string& name) {
  namespace fs = std::filesystem;
  fs::path p = fs::temp_directory_path() / ("rb_sweep_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

inline std::string mpirun(int ranks) {
  std::string cmd = mpi_env() + "mpirun -n " + std::to_string(ranks) + " --oversubscribe";
  if (::geteuid() == 0) cmd += " --allow-run-as-root";
  return cmd + " " + std::string(RB_BINARY);
}

// " run --grid sweep_test.toml --out OUT --cache-dir DIR/cache"
inline std::string sweep_args(const std::filesystem::path& dir, const std::string& out) {
  return " run --grid " + kSweepGrid + " --out " + out + " --cache-dir " + (dir / "cache").string();
}

inline std::map<std::string, rb::reports::RunRecord> runs_by_id(const std::string& path) {
  std::map<std::string, rb::reports::RunRecord> m;
  for (auto& r : rb::reports::read_results(path)) {
    BOOST_CHECK_MESSAGE(!m.count(r.run_id), "duplicate run " << r.run_id << " in " << path);
    m[r.run_id] = r;
  }
  return m;
}

// Same runs, same status, bit-identical numbers (timings and hosts may differ).
inline void check_same_numbers(const std::string& a, const std::string& b) {
  const auto ra = runs_by_id(a), rb_ = runs_by_id(b);
  BOOST_REQUIRE_EQUAL(ra.size(), rb_.size());
  for (const auto& [id, x] : ra) {
    BOOST_REQUIRE_MESSAGE(rb_.count(id), "run " << id << " missing from " << b);
    const auto& y = rb_.at(id);
    BOOST_CHECK_EQUAL(x.status, y.status);
    BOOST_CHECK(x.window_nll == y.window_nll);
    BOOST_CHECK(x.ppl == y.ppl);
    BOOST_CHECK(x.ppl_stderr == y.ppl_stderr);
    BOOST_CHECK_EQUAL(x.passkey.size(), y.passkey.size());
  }
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace rbtest
