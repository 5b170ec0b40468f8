#pragma once
// Progress of a long command on stderr, with an ETA: a bar redrawn in place on a terminal, plain
// lines otherwise (at most one every few seconds, so logs stay short). --quiet silences it;
// --verbose prints a plain line at every step. Also the process-wide verbosity itself.
#include <chrono>
#include <cstdint>
#include <string>

namespace rb::cli {

enum class Verbosity { quiet, normal, verbose };

// Set once by main() from --quiet / --verbose; read by the commands.
Verbosity verbosity();
void set_verbosity(Verbosity v);

// A line on stderr under --verbose only ("eval: weights loaded in 1.2 s").
void verbose_note(const std::string& line);

// "42s", "3m07s", "2h05m".
std::string format_duration(double seconds);

class Progress {
 public:
  // `total` units of work (tokens, say); `label` starts every line ("eval").
  Progress(std::string label, int64_t total);
  ~Progress();
  // `done` units finished so far; `note` describes the state ("L=2048 ppl 12.3 so far").
  void update(int64_t done, const std::string& note);
  // Clears the bar (on a terminal) so that the next line starts clean.
  void clear();

 private:
  std::string label_;
  int64_t total_;
  bool tty_;
  bool enabled_;
  bool bar_shown_ = false;
  std::chrono::steady_clock::time_point start_, last_line_;
};

}  // namespace rb::cli
