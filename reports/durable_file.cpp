#include "reports/durable_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/error.hpp"

namespace rb::reports {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw Error(path + ": " + what + ": " + std::strerror(errno));
}

void fsync_open(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) fail("open for fsync", path);
  if (::fsync(fd) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    fail("fsync", path);
  }
  ::close(fd);
}

}  // namespace

void fsync_path(const std::string& path) { fsync_open(path, O_RDONLY); }

void fsync_parent_directory(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  fsync_open(dir.string(), O_RDONLY | O_DIRECTORY);
}

void durable_rename(const std::string& from, const std::string& to) {
  fsync_path(from);
  if (::rename(from.c_str(), to.c_str()) != 0) fail("rename to " + to, from);
  fsync_parent_directory(to);
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

unsigned long long file_size_or_zero(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<unsigned long long>(st.st_size);
}

}  // namespace rb::reports
