#include <iostream>

#include "common/error.hpp"
#include "harness/commands.hpp"
#include "harness/merge_command.hpp"
#include "harness/version.hpp"
#include "reports/merge.hpp"

namespace rb::cli {
namespace {

const char* kMergeUsage =
    "usage: ropebatch merge OUT.h5 IN1.h5 [IN2.h5 ...] [--allow-partial]\n"
    "\n"
    "Writes OUT.h5 with every run of the inputs (each read with its .journal when a sweep left one).\n"
    "A run in several inputs must have the same status and the same numbers bit for bit; the first\n"
    "input's copy is kept. OUT.h5 must not exist.\n"
    "Shards (run --shard I/N) must all be of one grid and split; a missing or unfinished shard is an\n"
    "error naming it, unless --allow-partial (then a warning).";

// The command line as a shell would take it back (arguments with special characters quoted).
std::string shell_join(const std::vector<std::string>& words) {
  std::string line;
  for (const std::string& w : words) {
    if (!line.empty()) line += ' ';
    const bool plain = !w.empty() && w.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                         "0123456789@%+=:,./_-") == std::string::npos;
    if (plain) {
      line += w;
      continue;
    }
    line += '\'';
    for (char c : w) line += c == '\'' ? std::string("'\\''") : std::string(1, c);
    line += '\'';
  }
  return line;
}

}  // namespace

int cmd_merge(const std::vector<std::string>& given) {
  reports::MergeOptions options;
  std::vector<std::string> args;
  for (const std::string& a : given) {
    if (a == "--allow-partial") options.allow_partial = true;
    else args.push_back(a);
  }
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << kMergeUsage << "\n";
      return kExitOk;
    }
    if (a.starts_with("--")) throw InputError("command line", a, std::string("unknown option\n") + kMergeUsage);
  }
  if (args.size() < 2) throw InputError("command line", "", std::string("needs OUT.h5 and at least one input\n") + kMergeUsage);
  const std::string output = args.front();
  const std::vector<std::string> inputs(args.begin() + 1, args.end());

  std::vector<std::string> words{"ropebatch", "merge"};
  words.insert(words.end(), given.begin(), given.end());
  reports::FileInfo session;
  session.ropebatch_version = ROPEBATCH_VERSION;
  session.git_commit = git_commit();
  session.command_lines = {shell_join(words)};
  session.started_at = reports::utc_now_iso8601();

  const reports::MergeResult merged = reports::merge_files(output, inputs, session, options);
  for (const std::string& w : merged.warnings) std::cerr << "ropebatch merge: warning: " << w << "\n";
  std::cout << "merged " << merged.records.size() << " runs from " << inputs.size() << " files ("
            << merged.duplicates << " duplicate runs agreed) into " << output << "\n";
  return kExitOk;
}

}  // namespace rb::cli
