#pragma once
// For the tensor-parallel tests (tests/unit/test_cli_tensor_parallel.cpp on the CPU,
// tests/gpu/test_tensor_parallel_multi.cpp on GPUs): `ropebatch eval` of a fixture model on the
// fixture text as JSON, and any shell command's exit status and output.
#include <sys/wait.h>

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "tests/unit/cli_runner.hpp"

namespace rbtest {

// " eval --model FIXTURE --data text:genesis.txt --lengths 64,200 ... --format json [--rope R] EXTRA"
inline std::string tp_eval_args(const std::string& model, const std::string& rope, const std::string& extra = "") {
  std::string args = " eval --model " + fixture("models/" + model) + " --data text:" + fixture("text/genesis.txt") +
                     " --lengths 64,200 --max-tokens 800 --threads 1 --format json";
  if (!rope.empty()) args += " --rope " + shell_quote(rope);
  return args + extra;
}

// Runs a whole shell command line: its exit status and its output (stderr too unless dropped).
inline std::pair<int, std::string> shell(const std::string& command, bool with_stderr = true) {
  FILE* pipe = ::popen((command + (with_stderr ? " 2>&1" : " 2>/dev/null")).c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while (pipe && (n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int raw = pipe ? ::pclose(pipe) : -1;
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, out};
}

// The command's stdout as JSON; a failure fails the test.
inline nlohmann::json shell_json(const std::string& command) {
  const auto [status, out] = shell(command, false);
  BOOST_REQUIRE_MESSAGE(status == 0, command << " failed (" << status << "): " << out);
  return nlohmann::json::parse(out);
}

}  // namespace rbtest
