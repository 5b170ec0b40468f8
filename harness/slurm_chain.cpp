#include "harness/slurm_chain.hpp"

namespace rb::cli {

std::string array_ranges(const std::vector<int64_t>& tasks) {
  std::string out;
  for (std::size_t i = 0; i < tasks.size();) {
    std::size_t j = i;
    while (j + 1 < tasks.size() && tasks[j + 1] == tasks[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + std::to_string(tasks[i]);
    if (j > i) out += "-" + std::to_string(tasks[j]);
    i = j + 1;
  }
  return out;
}

std::vector<std::string> array_command(const SlurmChain& c) {
  std::string array = "--array=" + array_ranges(c.tasks);
  if (c.concurrent > 0) array += "%" + std::to_string(c.concurrent);
  std::vector<std::string> w = {"sbatch", "--parsable", array, "--output=" + c.out_dir + "/shard-%a.log",
                                "--export=ALL,RB_BIN=" + c.binary};
  w.insert(w.end(), c.sbatch.begin(), c.sbatch.end());
  w.insert(w.end(), c.array_sbatch.begin(), c.array_sbatch.end());
  w.insert(w.end(), {c.templates + "/ropebatch-array.sbatch", c.out_dir, std::to_string(c.shards)});
  w.insert(w.end(), c.run.begin(), c.run.end());
  return w;
}

std::vector<std::string> merge_command(const SlurmChain& c, const std::string& after) {
  std::vector<std::string> w = {"sbatch", "--parsable"};
  if (!after.empty()) w.push_back("--dependency=" + c.dependency + ":" + after);
  w.insert(w.end(), {"--output=" + c.out_dir + "/merge.log", "--export=ALL,RB_BIN=" + c.binary});
  w.insert(w.end(), c.sbatch.begin(), c.sbatch.end());
  w.insert(w.end(), {c.templates + "/ropebatch-merge.sbatch", c.out_dir, std::to_string(c.shards)});
  w.insert(w.end(), c.report.begin(), c.report.end());
  return w;
}

std::string shell_quote(const std::string& word) {
  const bool plain = !word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                             "0123456789@%+=:,./_-") == std::string::npos;
  if (plain) return word;
  std::string q = "'";
  for (char ch : word) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

std::string shell_line(const std::vector<std::string>& words) {
  std::string line;
  for (const std::string& w : words) line += (line.empty() ? "" : " ") + shell_quote(w);
  return line;
}

}  // namespace rb::cli
