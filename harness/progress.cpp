#include "harness/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace rb::cli {
namespace {
Verbosity g_verbosity = Verbosity::normal;
constexpr auto kPlainLineEvery = std::chrono::seconds(5);
}  // namespace

Verbosity verbosity() { return g_verbosity; }
void set_verbosity(Verbosity v) { g_verbosity = v; }

void verbose_note(const std::string& line) {
  if (g_verbosity == Verbosity::verbose) std::fprintf(stderr, "%s\n", line.c_str());
}

std::string format_duration(double s) {
  char buf[64];
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 90) std::snprintf(buf, sizeof buf, "%.0fs", s);
  else if (s < 5400) std::snprintf(buf, sizeof buf, "%.0fm%02.0fs", std::floor(s / 60), std::fmod(s, 60));
  else std::snprintf(buf, sizeof buf, "%.0fh%02.0fm", std::floor(s / 3600), std::fmod(s / 60, 60));
  return buf;
}

Progress::Progress(std::string label, int64_t total)
    : label_(std::move(label)),
      total_(total),
      tty_(isatty(fileno(stderr)) != 0),
      enabled_(verbosity() != Verbosity::quiet),
      start_(std::chrono::steady_clock::now()),
      last_line_(start_) {}

Progress::~Progress() { clear(); }

void Progress::update(int64_t done, const std::string& note) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = done > 0 ? elapsed * static_cast<double>(total_ - done) / static_cast<double>(done) : NAN;
  const double fraction = total_ > 0 ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total_)) : 1.0;
  const bool plain = !tty_ || verbosity() == Verbosity::verbose;
  if (plain) {
    if (done < total_ && verbosity() != Verbosity::verbose && now - last_line_ < kPlainLineEvery) return;
    last_line_ = now;
    std::fprintf(stderr, "%s: %3.0f%%  %s  elapsed %s  ETA %s\n", label_.c_str(), 100 * fraction, note.c_str(),
                 format_duration(elapsed).c_str(), done > 0 ? format_duration(eta).c_str() : "?");
  } else {
    const int width = 30;
    const int filled = static_cast<int>(width * fraction);
    std::fprintf(stderr, "\r\033[K%s [%s%s] %3.0f%%  %s  ETA %s", label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), 100 * fraction, note.c_str(),
                 done > 0 ? format_duration(eta).c_str() : "?");
    bar_shown_ = true;
  }
  std::fflush(stderr);
}

void Progress::clear() {
  if (!bar_shown_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  bar_shown_ = false;
}

}  // namespace rb::cli
