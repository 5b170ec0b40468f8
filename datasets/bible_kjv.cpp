#include "datasets/bible_kjv.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <vector>

#include "common/error.hpp"
#include "datasets/file_io.hpp"
#include "common/utf8.hpp"

extern char** environ;

namespace rb::data {
namespace {

constexpr const char* kInstallHint = "install it with `apt-get install bible-kjv`";

std::string command_line(const std::string& program) {
  std::string cmd = program;
  for (const char* arg : kBibleArguments) cmd += std::string(" ") + arg;
  return cmd;
}

void warn(const SourceOptions& options, const std::string& message) {
  if (options.warn) {
    options.warn(message);
  } else {
    std::cerr << "ropebatch: warning: " << message << "\n";
  }
}

}  // namespace

std::string run_bible_program(const std::string& program) {
  const std::string cmd = command_line(program);
  int fds[2];
  if (::pipe(fds) != 0) throw InputError("bible-kjv", "", std::string("pipe failed: ") + std::strerror(errno));

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);

  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const char* arg : kBibleArguments) argv.push_back(const_cast<char*>(arg));
  argv.push_back(nullptr);

  pid_t pid = 0;
  const int spawn_error = ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (spawn_error != 0) {
    ::close(fds[0]);
    if (spawn_error == ENOENT) {
      throw InputError("bible-kjv", "", "program '" + program + "' not found; " + kInstallHint);
    }
    throw InputError("bible-kjv", "", "cannot run '" + cmd + "': " + std::strerror(spawn_error));
  }

  std::string output;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n > 0) {
      output.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                              : std::string("was killed");
    throw InputError("bible-kjv", "", "'" + cmd + "' " + how + " (the text is in package bible-kjv-text); " +
                                          kInstallHint);
  }
  if (output.empty()) throw InputError("bible-kjv", "", "'" + cmd + "' printed nothing; " + kInstallHint);
  if (const auto bad = first_invalid_utf8(output)) {
    throw InputError("bible-kjv", "byte " + std::to_string(*bad), "'" + cmd + "' printed invalid UTF-8");
  }
  return output;
}

std::string bible_kjv_text(const SourceOptions& options) {
  if (options.cache_dir.empty()) return run_bible_program(options.bible_program);
  const std::filesystem::path cached = options.cache_dir / "bible-kjv.txt";
  std::error_code ec;
  if (std::filesystem::is_regular_file(cached, ec)) {
    try {
      return read_utf8_text_file(cached);
    } catch (const InputError& e) {
      warn(options, std::string("ignoring cached bible-kjv text: ") + e.what());
    }
  }
  std::string text = run_bible_program(options.bible_program);
  if (const std::string problem = write_file_atomically(cached, text); !problem.empty()) {
    warn(options, "cannot cache the bible-kjv text: " + problem);
  }
  return text;
}

}  // namespace rb::data
