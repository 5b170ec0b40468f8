#include "reports/hdf5_probe.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

#include "common/error.hpp"
#include "reports/hdf5_util.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define RB_SANITIZED_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RB_SANITIZED_BUILD 1
#endif
#endif
#ifdef RB_SANITIZED_BUILD
#include <sanitizer/common_interface_defs.h>
#endif

namespace rb::reports::h5 {
namespace {

std::mutex passed_mutex;
std::set<FileIdentity> passed;  // files whose probe succeeded, as they were then

int probe_seconds(off_t size) {
  if (const char* s = std::getenv("RB_HDF5_PROBE_SECONDS"); s != nullptr && std::atoi(s) > 0) return std::atoi(s);
  return 60 + static_cast<int>(size / (20 << 20));
}

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return "signal " + std::to_string(sig) + (abbrev != nullptr ? " (SIG" + std::string(abbrev) + ")" : "");
}

}  // namespace

void probe_in_child(const std::string& path, const std::function<void()>& read) {
  if (const char* off = std::getenv("RB_HDF5_PROBE"); off != nullptr && std::string(off) == "0") return;
  const std::optional<FileIdentity> identity = file_identity(path);
  if (!identity) return;  // the reader itself says "no such file"
  {
    std::lock_guard lock(passed_mutex);
    if (passed.count(*identity) != 0) return;
  }
  int done[2];
  if (::pipe(done) != 0) throw Error(path + ": cannot probe the file: pipe: " + std::strerror(errno));
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(done[0]);
    ::close(done[1]);
    throw Error(path + ": cannot probe the file: fork: " + std::strerror(errno));
  }
  if (child == 0) {
    ::close(done[0]);
#ifdef RB_SANITIZED_BUILD
    __sanitizer_set_death_callback(nullptr);  // a fuzzer's crash handler is the parent's business
#endif
    // A crash ends the child: no handler of the parent's (a test framework's, a debugger's) may
    // turn it into something else.
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::signal(sig, SIG_DFL);
    int status = 0;
    try {
      read();
    } catch (...) {
      status = 2;  // a clean refusal: the parent reads the file and says the same
    }
    ::_exit(status);  // no atexit handlers, no flushing of the parent's buffers
  }
  ::close(done[1]);
  // The child's end of the pipe closes when it exits, however it exits.
  pollfd fd{done[0], POLLIN, 0};
  const int limit = probe_seconds(identity->size);
  int ready;
  do ready = ::poll(&fd, 1, limit * 1000);
  while (ready < 0 && errno == EINTR);
  ::close(done[0]);
  if (ready == 0) ::kill(child, SIGKILL);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (ready == 0)
    throw InputError(path, "", "damaged HDF5 file: reading it took over " + std::to_string(limit) +
                                   " s (RB_HDF5_PROBE_SECONDS), so it was stopped");
  if (WIFSIGNALED(status))
    throw InputError(path, "", "damaged HDF5 file: libhdf5 crashed reading it (" + signal_name(WTERMSIG(status)) +
                                   " in a child process; nothing else was affected)");
  if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 2))
    throw InputError(path, "", "damaged HDF5 file: reading it failed in a child process (exit status " +
                                   std::to_string(WEXITSTATUS(status)) + ")");
  if (WEXITSTATUS(status) == 0) {
    std::lock_guard lock(passed_mutex);
    passed.insert(*identity);
  }
}

}  // namespace rb::reports::h5
