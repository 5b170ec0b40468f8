#pragma once
// The append-only journal beside a results file (RESULTS.h5.journal): one self-checking record per
// entry, each made durable (fsync) before append() returns. Record layout, little-endian:
//
//   magic "RBJ1" (4) | payload length u64 (8) | CRC-32 of payload (4) | CRC-32 of the 16 bytes before (4) | payload
//
// The payload is CBOR (nlohmann::json::to_cbor). On read, a record cut short at the end of the file
// (a write interrupted by a kill or a crash) is dropped; a record whose checksum fails is dropped
// with a warning and reading goes on after it (or, when its header is damaged, at the next valid
// header). docs/RESULTS_FORMAT.md describes the design.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rb::reports {

inline constexpr std::size_t kJournalHeaderBytes = 20;

struct JournalContents {
  std::vector<nlohmann::json> entries;  // intact records, in file order
  std::vector<std::string> warnings;    // "PATH: byte N: ..." for every dropped or damaged record
  uint64_t intact_end = 0;              // bytes up to the end of the last whole record
  uint64_t file_size = 0;
};

// The record bytes for one payload (what JournalWriter::append writes).
std::string encode_journal_record(const nlohmann::json& payload);

// Parses journal bytes; `path` only names the file in warnings and errors. Throws rb::InputError
// when the bytes do not start like a journal at all.
JournalContents decode_journal(const std::string& bytes, const std::string& path);

// Reads a journal file; a missing file is an empty journal.
JournalContents read_journal(const std::string& path);

// Appends to a journal file, holding an exclusive lock (flock) on it for its lifetime so that two
// writers never share one results file.
class JournalWriter {
 public:
  JournalWriter() = default;
  // Opens (creating) `path`, locks it, and reads what is there. The file is cut back to the end of
  // its last whole record, so a torn tail never sits before new records.
  static JournalWriter open(const std::string& path, JournalContents& contents);
  JournalWriter(JournalWriter&& other) noexcept;
  JournalWriter& operator=(JournalWriter&& other) noexcept;
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;
  ~JournalWriter();

  void append(const nlohmann::json& payload);  // durable on return
  void append_all(const std::vector<nlohmann::json>& payloads);  // one write and one fsync
  void clear();                                 // truncate to empty, durable on return
  void remove();                                // unlink the file (and release the lock)
  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

 private:
  void write_all(const std::string& bytes);
  void release();
  int fd_ = -1;
  std::string path_;
};

}  // namespace rb::reports
