#include "harness/shard.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <numeric>

#include "common/error.hpp"
#include "datasets/sha256.hpp"

namespace rb {
namespace {

const char* kShardForm = "expected I/N with 0 <= I < N (e.g. 0/4, the first of four), or auto (from Slurm)";

// A whole decimal number, nothing else.
bool parse_int(const std::string& text, int64_t& out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

int64_t slurm_int(const GetEnv& getenv, const char* name, bool required) {
  const char* v = getenv(name);
  if (v == nullptr) {
    if (required)
      throw InputError("environment", name,
                       "not set: --shard auto works inside a Slurm array job (sbatch --array=0-N); elsewhere give "
                       "--shard I/N");
    return -1;
  }
  int64_t n = 0;
  if (!parse_int(v, n) || n < 0)
    throw InputError("environment", name, std::string("is '") + v + "', not a whole number >= 0");
  return n;
}

}  // namespace

Shard shard_from_slurm(const GetEnv& getenv) {
  const int64_t id = slurm_int(getenv, "SLURM_ARRAY_TASK_ID", true);
  const int64_t min = slurm_int(getenv, "SLURM_ARRAY_TASK_MIN", false);
  const int64_t max = slurm_int(getenv, "SLURM_ARRAY_TASK_MAX", false);
  const int64_t count = slurm_int(getenv, "SLURM_ARRAY_TASK_COUNT", false);
  const int64_t step = slurm_int(getenv, "SLURM_ARRAY_TASK_STEP", false);
  if (step > 1)
    throw InputError("environment", "SLURM_ARRAY_TASK_STEP",
                     "is " + std::to_string(step) + ": --shard auto needs a contiguous array (--array=0-N, no :step)");
  Shard s;
  s.index = id - std::max<int64_t>(min, 0);
  if (count > 0) s.count = count;
  else if (max >= 0) s.count = max - std::max<int64_t>(min, 0) + 1;
  else
    throw InputError("environment", "SLURM_ARRAY_TASK_COUNT",
                     "not set, nor SLURM_ARRAY_TASK_MAX: cannot tell how many shards the array has");
  if (min >= 0 && max >= 0 && count > 0 && max - min + 1 != count)
    throw InputError("environment", "SLURM_ARRAY_TASK_COUNT",
                     "is " + std::to_string(count) + " but the array runs from " + std::to_string(min) + " to " +
                         std::to_string(max) + ": --shard auto needs a contiguous array (--array=0-N)");
  if (s.index < 0 || s.index >= s.count)
    throw InputError("environment", "SLURM_ARRAY_TASK_ID",
                     "is " + std::to_string(id) + ", outside the array's " + std::to_string(s.count) + " tasks");
  return s;
}

Shard parse_shard(const std::string& text, const GetEnv& getenv) {
  if (text == "auto") return shard_from_slurm(getenv);
  const auto slash = text.find('/');
  Shard s;
  if (slash == std::string::npos || !parse_int(text.substr(0, slash), s.index) ||
      !parse_int(text.substr(slash + 1), s.count))
    throw InputError("command line", "--shard", "'" + text + "': " + kShardForm);
  if (s.count < 1 || s.index < 0 || s.index >= s.count)
    throw InputError("command line", "--shard",
                     "'" + text + "': shard " + std::to_string(s.index) + " of " + std::to_string(s.count) +
                         " is out of range; " + kShardForm);
  return s;
}

Shard parse_shard(const std::string& text) {
  return parse_shard(text, [](const char* name) { return std::getenv(name); });
}

std::vector<int64_t> assign_shards(const std::vector<double>& costs, int64_t count) {
  if (count < 1) throw Error("assign_shards: shard count must be >= 1");
  std::vector<std::size_t> order(costs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return costs[a] > costs[b]; });
  std::vector<double> load(static_cast<std::size_t>(count), 0.0);
  std::vector<int64_t> shard(costs.size(), 0);
  for (const std::size_t run : order) {
    const auto lightest = std::min_element(load.begin(), load.end());  // the first of equal loads
    *lightest += costs[run];
    shard[run] = lightest - load.begin();
  }
  return shard;
}

std::string grid_identity(std::vector<std::string> run_ids) {
  std::sort(run_ids.begin(), run_ids.end());
  data::Sha256 h;
  for (const std::string& id : run_ids) h.update(id + "\n");
  return h.hex_digest();
}

}  // namespace rb
