#include "reports/results_store.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <iostream>

#include "common/error.hpp"
#include "reports/durable_file.hpp"
#include "reports/run_record_json.hpp"

namespace rb::reports {
namespace {

using nlohmann::json;

// The union of a results file and its journal.
struct Loaded {
  FileInfo info;
  RunIndex runs;
  std::vector<std::string> warnings;
};

void apply_journal(const JournalContents& journal, const std::string& journal_path, Loaded& into) {
  into.warnings.insert(into.warnings.end(), journal.warnings.begin(), journal.warnings.end());
  for (std::size_t i = 0; i < journal.entries.size(); ++i) {
    const json& entry = journal.entries[i];
    const std::string where = journal_path + ": entry " + std::to_string(i);
    try {
      const std::string kind = entry.value("kind", "");
      if (kind == "run")
        into.runs.put(run_record_from_json(entry.at("record"), where));
      else if (kind == "session")
        into.info = continue_session(into.info, file_info_from_json(entry.at("info"), where));
      else
        into.warnings.push_back(where + ": unknown kind '" + kind + "'; ignored");
    } catch (const std::exception& e) {  // checksum fine but content unusable: keep the rest
      into.warnings.push_back(where + ": unreadable (" + e.what() + "); ignored");
    }
  }
}

void load_results_file(const std::string& path, Loaded& into) {
  ResultsFile file = read_results_h5(path);
  into.info = std::move(file.info);
  for (RunRecord& r : file.records) into.runs.put(std::move(r));
}

void print_warnings(const std::vector<std::string>& warnings) {
  for (const std::string& w : warnings) std::cerr << "ropebatch: warning: " << w << "\n";
}

// Identity of a file's current version (replaced by rename => new inode).
struct FileStamp {
  ino_t inode = 0;
  off_t size = -1;
  bool operator==(const FileStamp&) const = default;
};

FileStamp stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_ino, st.st_size};
}

void check_appendable(const RunRecord& r, const std::string& path) {
  if (r.run_id.empty() || r.run_id == "." || r.run_id.find('/') != std::string::npos)
    throw Error(path + ": run_id '" + r.run_id + "' cannot name an HDF5 group");
  if (r.status != "ok" && r.status != "failed" && r.status != "skipped")
    throw Error(path + ": run " + r.run_id + ": status '" + r.status + "' is not ok, failed or skipped");
}

}  // namespace

std::string journal_path_for(const std::string& results_path) { return results_path + ".journal"; }
std::string temporary_path_for(const std::string& results_path) { return results_path + ".tmp"; }

ResultsStore ResultsStore::open(const std::string& path, const FileInfo& info, bool resume) {
  const std::string journal_path = journal_path_for(path);
  const bool have_results = file_size_or_zero(path) > 0;
  const bool have_journal = file_size_or_zero(journal_path) > 0;
  if (!resume && have_results) throw InputError(path, "", "exists; use --resume to continue it or choose another --out");
  if (!resume && have_journal)
    throw InputError(path, "", "an unfinished sweep left " + journal_path +
                                   "; use --resume to continue it or choose another --out");

  // Read (and so validate) the results file before creating a journal beside it.
  Loaded loaded;
  FileStamp read_stamp;
  if (have_results) {
    read_stamp = stamp(path);
    load_results_file(path, loaded);
  }
  ResultsStore store;
  store.path_ = path;
  JournalContents journal;
  store.journal_ = JournalWriter::open(journal_path, journal);
  if (have_results && stamp(path) != read_stamp) {  // another writer replaced it meanwhile: read again
    loaded = Loaded{};
    load_results_file(path, loaded);
  }
  apply_journal(journal, journal_path, loaded);
  print_warnings(loaded.warnings);

  store.info_ = (have_results || have_journal) ? continue_session(loaded.info, info) : info;
  store.previous_info_ = std::move(loaded.info);
  store.session_ = info;
  store.runs_ = std::move(loaded.runs);
  store.warnings_ = std::move(loaded.warnings);
  return store;
}

void ResultsStore::ensure_open() const {
  if (closed_) throw Error(path_ + ": results store used after close()");
}

void ResultsStore::append(const RunRecord& record) {
  ensure_open();
  check_appendable(record, path_);
  std::vector<json> entries;
  if (!session_journaled_) entries.push_back({{"kind", "session"}, {"info", file_info_to_json(session_)}});
  entries.push_back({{"kind", "run"}, {"record", run_record_to_json(record)}});
  journal_.append_all(entries);
  session_journaled_ = true;
  runs_.put(record);
}

void ResultsStore::checkpoint() {
  ensure_open();
  const std::string tmp = temporary_path_for(path_);
  try {
    write_results_h5(tmp, runs_.records(), info_);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  durable_rename(tmp, path_);
  // Everything journaled is in the new file (session info included): the journal can start over.
  journal_.clear();
}

void ResultsStore::close() {
  ensure_open();
  checkpoint();
  journal_.remove();
  closed_ = true;
}

ResultsFile read_results_file(const std::string& path) {
  const std::string journal_path = journal_path_for(path);
  const bool have_results = file_exists(path);
  const bool have_journal = file_exists(journal_path);
  if (!have_results && !have_journal) throw InputError(path, "", "no such file");
  if (have_results && file_size_or_zero(path) == 0 && !have_journal)
    throw InputError(path, "", "empty file, not a ropebatch results file");
  Loaded loaded;
  if (have_results && file_size_or_zero(path) > 0) load_results_file(path, loaded);
  if (have_journal) apply_journal(read_journal(journal_path), journal_path, loaded);
  return ResultsFile{std::move(loaded.info), loaded.runs.records(), std::move(loaded.warnings)};
}

std::vector<RunRecord> read_results(const std::string& path) {
  ResultsFile file = read_results_file(path);
  print_warnings(file.warnings);
  return std::move(file.records);
}

void write_results(const std::string& path, const std::vector<RunRecord>& records, const FileInfo& info) {
  const std::string tmp = temporary_path_for(path);
  try {
    write_results_h5(tmp, records, info);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  durable_rename(tmp, path);
}

}  // namespace rb::reports
