#include "reports/svg_rasterizer.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "common/error.hpp"

extern char** environ;

namespace rb::reports {

std::optional<std::string> find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (!path) return std::nullopt;
  std::string dirs = path;
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = dirs.substr(start, end - start);
    if (!dir.empty()) {
      const std::string candidate = (std::filesystem::path(dir) / program).string();
      if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate)) return candidate;
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::optional<double> png_zoom(double width, double height, double max_side) {
  const double zoom = std::min(2.0, max_side / std::max(width, height));
  if (zoom < 1.0) return std::nullopt;
  return zoom;
}

void rasterize_svg(const std::string& rasterizer, const std::string& svg_path, const std::string& png_path,
                   double zoom) {
  char zoom_text[32];
  std::snprintf(zoom_text, sizeof zoom_text, "%.4f", zoom);
  std::vector<std::string> args{rasterizer, "-z", zoom_text, "-o", png_path, svg_path};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, rasterizer.c_str(), nullptr, nullptr, argv.data(), environ);
  if (spawned != 0) throw Error(rasterizer + ": cannot start (" + std::strerror(spawned) + ")");
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw Error(rasterizer + ": waitpid failed (" + std::strerror(errno) + ")");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::error_code ec;
    std::filesystem::remove(png_path, ec);
    throw Error(rasterizer + " failed on " + svg_path + " (exit status " +
                std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) + ")");
  }
}

}  // namespace rb::reports
