#pragma once
// For the end-to-end sweep tests (test_run_*.cpp): scratch folders, reading a results file by run
// id, comparing two of them number for number, and a sweep started in the background and
// signalled once it has finished some runs.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "cli_runner.hpp"
#include "reports/results_store.hpp"

namespace rbtest {

inline const std::string kSweepGrid = std::string(RB_SOURCE_DIR) + "/tests/grids/sweep_test.toml";  // 15 runs

inline std::filesystem::path sweep_scratch(const std::string& name) { return scratch_dir("rb_sweep_", name); }

// " run --grid GRID --out DIR/OUT --cache-dir DIR/cache"
inline std::string run_args(const std::string& grid, const std::filesystem::path& dir, const std::string& out) {
  return " run --grid " + grid + " --out " + (dir / out).string() + " --cache-dir " + (dir / "cache").string();
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
    BOOST_CHECK(x.window_predictions == y.window_predictions);
    BOOST_CHECK(x.ppl == y.ppl);
    BOOST_CHECK(x.ppl_stderr == y.ppl_stderr);
    BOOST_CHECK_EQUAL(x.passkey.size(), y.passkey.size());
  }
}

// Same runs, same status, counts and passkey answers; every number within `rel` relative (a
// tensor-parallel sweep sums in another order than a whole-model one). Returns the largest
// relative difference of a window NLL seen.
inline double check_close_numbers(const std::string& a, const std::string& b, double rel) {
  const auto ra = runs_by_id(a), rb_ = runs_by_id(b);
  BOOST_REQUIRE_EQUAL(ra.size(), rb_.size());
  double worst = 0.0;
  const auto close = [&](double x, double y) {
    const double d = std::abs(x - y) / std::max(std::abs(x), 1e-30);
    worst = std::max(worst, d);
    return d <= rel;
  };
  const auto close_optional = [&](const std::optional<double>& x, const std::optional<double>& y) {
    return x.has_value() == y.has_value() && (!x || close(*x, *y));
  };
  for (const auto& [id, x] : ra) {
    BOOST_REQUIRE_MESSAGE(rb_.count(id), "run " << id << " missing from " << b);
    const auto& y = rb_.at(id);
    BOOST_TEST_CONTEXT("run " << x.config.value("rope_label", "") << " L=" << x.config.value("length", 0) << " "
                              << x.config.value("quant", "") << " " << x.config.value("model", "")) {
      BOOST_CHECK_EQUAL(x.status, y.status);
      BOOST_CHECK_EQUAL(x.error, y.error);
      BOOST_CHECK(x.window_predictions == y.window_predictions);
      BOOST_REQUIRE_EQUAL(x.window_nll.size(), y.window_nll.size());
      for (size_t w = 0; w < x.window_nll.size(); ++w)
        BOOST_CHECK_MESSAGE(close(x.window_nll[w], y.window_nll[w]),
                            "window " << w << ": nll " << x.window_nll[w] << " vs " << y.window_nll[w]);
      BOOST_CHECK(close_optional(x.ppl, y.ppl));
      BOOST_CHECK(close_optional(x.longppl, y.longppl));
      BOOST_CHECK_EQUAL(x.longppl_key_tokens, y.longppl_key_tokens);
      BOOST_REQUIRE_EQUAL(x.passkey.size(), y.passkey.size());
      for (size_t k = 0; k < x.passkey.size(); ++k) BOOST_CHECK_EQUAL(x.passkey[k].retrieved, y.passkey[k].retrieved);
    }
  }
  return worst;
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The pid of the process of this sweep (its --out) whose Open MPI rank is `rank`, or 0.
inline pid_t rank_pid(const std::string& out, int rank) {
  FILE* p = ::popen(("pgrep -f '^[^ ]*ropebatch run.*" + out + "'").c_str(), "r");
  pid_t found = 0;
  int pid = 0;
  while (p && std::fscanf(p, "%d", &pid) == 1) {
    const std::string env = read_text("/proc/" + std::to_string(pid) + "/environ");
    if (env.find(std::string("OMPI_COMM_WORLD_RANK=") + std::to_string(rank) + '\0') != std::string::npos) found = pid;
  }
  if (p) ::pclose(p);
  return found;
}

// A shell command run in the background in its own process group, its stdout and stderr in `log`;
// `exec` makes the command itself (mpirun) the process whose pid() this is. Killed, the whole group,
// if still running when it goes out of scope.
class Background {
 public:
  Background(const std::string& command, const std::filesystem::path& log) : log_(log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::execl("/bin/sh", "sh", "-c", ("exec " + command + " >" + log.string() + " 2>&1").c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::setpgid(pid_, pid_);
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  ~Background() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      wait();
    }
  }
  pid_t pid() const { return pid_; }
  // Waits (at most `seconds`) until the log holds `marker`; false on timeout.
  bool wait_for(const std::string& marker, int seconds = 120) const {
    for (int i = 0; i < seconds * 20; ++i) {
      if (read_text(log_).find(marker) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string log() const { return read_text(log_); }

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_;
};

}  // namespace rbtest
