#pragma once
// The results of a sweep, kept durable while it runs (docs/RESULTS_FORMAT.md, "Durability").
//
// RESULTS.h5          the HDF5 results file, only ever replaced whole (written as RESULTS.h5.tmp,
//                     fsync'ed, renamed over, directory fsync'ed)
// RESULTS.h5.journal  append-only, one checksummed record per finished run, fsync'ed per append
//
// A run handed to append() is on disk when append() returns; a kill -9 at any moment loses no run
// that append() returned for. open(..., resume = true) reads both files and takes their union by
// run_id (the journal's later records win). Only one process (rank 0) writes a results file; the
// journal is flock'ed while a store is open.
#include <string>
#include <vector>

#include "reports/file_info.hpp"
#include "reports/journal.hpp"
#include "reports/results_h5.hpp"
#include "reports/run_index.hpp"
#include "reports/run_record.hpp"

namespace rb::reports {

std::string journal_path_for(const std::string& results_path);    // RESULTS.h5.journal
std::string temporary_path_for(const std::string& results_path);  // RESULTS.h5.tmp

class ResultsStore {
 public:
  // resume = false: `path` (or its journal) must not exist or be empty, else rb::InputError
  // ("exists; use --resume to continue it or choose another --out"). resume = true: continues what
  // is there. Files that are not ours, newer or damaged -> rb::InputError. `info` describes this
  // session; its command line is added to the file's.
  static ResultsStore open(const std::string& path, const FileInfo& info, bool resume);

  // Any record for run_id, whatever its status (find() tells the status: a resumed sweep may
  // choose to redo failed runs).
  bool contains(const std::string& run_id) const { return runs_.find(run_id) != nullptr; }
  const RunRecord* find(const std::string& run_id) const { return runs_.find(run_id); }
  std::vector<RunRecord> records() const { return runs_.records(); }
  std::size_t size() const { return runs_.records().size(); }

  // Durable on return. A run_id already present is replaced (e.g. a failed run done again).
  void append(const RunRecord& record);
  // Rewrites the .h5 atomically from everything known, then empties the journal. Takes time in
  // proportion to the whole file: call it every few minutes, not after every run.
  void checkpoint();
  // checkpoint(), then deletes the journal. The store cannot be used afterwards. A store destroyed
  // without close() leaves its journal for the next --resume.
  void close();

  const std::string& path() const { return path_; }
  const FileInfo& info() const { return info_; }
  // What the file said before this session continued it (empty for a new file).
  const FileInfo& previous_info() const { return previous_info_; }
  // Damaged journal records skipped on open (also printed to stderr).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  ResultsStore() = default;
  void ensure_open() const;

  std::string path_;
  FileInfo info_;
  FileInfo previous_info_;
  FileInfo session_;           // this session's info, journaled with its first run
  bool session_journaled_ = false;
  RunIndex runs_;
  JournalWriter journal_;
  std::vector<std::string> warnings_;
  bool closed_ = false;
};

// A results file with its journal when there is one (a sweep that is still running or was killed):
// the union by run_id, damaged journal records reported in `warnings`.
ResultsFile read_results_file(const std::string& path);
// The records of read_results_file(path); warnings are printed to stderr.
std::vector<RunRecord> read_results(const std::string& path);
// Writes `path` atomically (PATH.tmp, fsync, rename, fsync of the directory).
void write_results(const std::string& path, const std::vector<RunRecord>& records, const FileInfo& info);

}  // namespace rb::reports
