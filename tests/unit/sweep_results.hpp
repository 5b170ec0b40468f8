#pragma once
// Helpers for the end-to-end sweep tests: results by run_id, comparison of two results files,
// a sweep started in the background and signalled once it has finished some runs.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "reports/results_store.hpp"

namespace rbtest {

inline std::map<std::string, rb::reports::RunRecord> results_by_id(const std::string& path) {
  std::map<std::string, rb::reports::RunRecord> m;
  for (auto& r : rb::reports::read_results(path)) {
    BOOST_CHECK_MESSAGE(!m.count(r.run_id), "duplicate run " << r.run_id << " in " << path);
    m[r.run_id] = r;
  }
  return m;
}

// Same runs, same status, bit-identical numbers (timings and hosts may differ).
inline void check_same_results(const std::string& a, const std::string& b) {
  const auto ra = results_by_id(a), rb_ = results_by_id(b);
  BOOST_REQUIRE_EQUAL(ra.size(), rb_.size());
  for (const auto& [id, x] : ra) {
    BOOST_REQUIRE_MESSAGE(rb_.count(id), "run " << id << " missing from " << b);
    const auto& y = rb_.at(id);
    BOOST_CHECK_EQUAL(x.status, y.status);
    BOOST_CHECK(x.window_nll == y.window_nll);
    BOOST_CHECK(x.window_predictions == y.window_predictions);
    BOOST_CHECK(x.ppl == y.ppl);
    BOOST_CHECK_EQUAL(x.passkey.size(), y.passkey.size());
  }
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A shell command run in the background, its own process group, output to `log`; `exec` makes the
// command itself (mpirun) the process whose pid is returned.
struct Background {
  pid_t pid = -1;
  Background(const std::string& command, const std::filesystem::path& log) {
    pid = ::fork();
    if (pid == 0) {
      ::setpgid(0, 0);
      ::execl("/bin/sh", "sh", "-c", ("exec " + command + " >" + log.string() + " 2>&1").c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::setpgid(pid, pid);
  }
  // Waits until `log` shows `text` (at most `seconds`); false on timeout.
  static bool wait_for(const std::filesystem::path& log, const std::string& text, int seconds = 120) {
    for (int i = 0; i < seconds * 20; ++i) {
      if (read_text(log).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  int wait() {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

}  // namespace rbtest
