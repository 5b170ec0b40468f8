#include "reports/journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "common/json_input.hpp"
#include "reports/crc32.hpp"
#include "reports/durable_file.hpp"

namespace rb::reports {
namespace {

constexpr char kMagic[4] = {'R', 'B', 'J', '1'};
// A payload larger than this is taken as a damaged header, not a record.
constexpr uint64_t kMaxPayloadBytes = uint64_t{1} << 36;

void put_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFFu));
}

uint64_t get_le(const std::string& in, std::size_t pos, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= uint64_t{static_cast<unsigned char>(in[pos + i])} << (8 * i);
  return value;
}

bool header_valid_at(const std::string& bytes, std::size_t pos) {
  if (bytes.size() - pos < kJournalHeaderBytes || std::memcmp(bytes.data() + pos, kMagic, 4) != 0) return false;
  const uint32_t stored = static_cast<uint32_t>(get_le(bytes, pos + 16, 4));
  return crc32(std::string_view(bytes.data() + pos, 16)) == stored && get_le(bytes, pos + 4, 8) <= kMaxPayloadBytes;
}

std::string at(const std::string& path, std::size_t pos) { return path + ": byte " + std::to_string(pos) + ": "; }

[[noreturn]] void fail_errno(const std::string& what, const std::string& path) {
  throw Error(path + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

std::string encode_journal_record(const nlohmann::json& payload) {
  const std::vector<std::uint8_t> cbor = nlohmann::json::to_cbor(payload);
  const std::string_view body(reinterpret_cast<const char*>(cbor.data()), cbor.size());
  std::string record(kMagic, 4);
  put_le(record, cbor.size(), 8);
  put_le(record, crc32(body), 4);
  put_le(record, crc32(record), 4);
  record.append(body);
  return record;
}

JournalContents decode_journal(const std::string& bytes, const std::string& path) {
  JournalContents out;
  out.file_size = bytes.size();
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), kMagic, 4) != 0) {
    // A damaged first record still leaves later ones; a file with no record header at all is not ours.
    std::size_t next = 1;
    while (next < bytes.size() && !header_valid_at(bytes, next)) ++next;
    if (next >= bytes.size())
      throw InputError(path, "", "not a ropebatch journal (no \"RBJ1\" record in it)");
  }
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const std::size_t left = bytes.size() - pos;
    if (left < kJournalHeaderBytes) {
      out.warnings.push_back(at(path, pos) + "incomplete record at the end (" + std::to_string(left) +
                             " bytes, an interrupted write) ignored");
      break;
    }
    if (!header_valid_at(bytes, pos)) {
      std::size_t next = pos + 1;
      while (next < bytes.size() && !header_valid_at(bytes, next)) ++next;
      out.warnings.push_back(at(path, pos) + "damaged record header (checksum mismatch); " +
                             (next < bytes.size() ? "resuming at byte " + std::to_string(next)
                                                  : std::string("nothing readable after it")));
      if (next >= bytes.size()) break;
      pos = next;
      continue;
    }
    const uint64_t length = get_le(bytes, pos + 4, 8);
    if (length > left - kJournalHeaderBytes) {
      out.warnings.push_back(at(path, pos) + "incomplete record at the end (" + std::to_string(left) + " of " +
                             std::to_string(kJournalHeaderBytes + length) + " bytes, an interrupted write) ignored");
      break;
    }
    const std::string_view body(bytes.data() + pos + kJournalHeaderBytes, length);
    const std::size_t record_end = pos + kJournalHeaderBytes + length;
    if (crc32(body) != static_cast<uint32_t>(get_le(bytes, pos + 12, 4))) {
      out.warnings.push_back(at(path, pos) + "record fails its CRC-32 checksum (damaged); ignored");
    } else {
      try {
        out.entries.push_back(parse_cbor_input(body, path, "record"));
      } catch (const InputError& e) {
        out.warnings.push_back(at(path, pos) + "record is not valid CBOR (" + e.what() + "); ignored");
      }
    }
    pos = record_end;
    out.intact_end = pos;
  }
  return out;
}

JournalContents read_journal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!file_exists(path)) return {};
    throw Error(path + ": cannot be read");
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return decode_journal(buffer.str(), path);
}

JournalWriter JournalWriter::open(const std::string& path, JournalContents& contents) {
  const bool existed = file_exists(path);
  JournalWriter w;
  w.path_ = path;
  w.fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (w.fd_ < 0) fail_errno("cannot open the journal", path);
  if (::flock(w.fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      throw InputError(path, "", "is locked by another ropebatch process writing the same results file");
    // Filesystems without flock (some network mounts): go on without the lock.
  }
  contents = read_journal(path);
  if (contents.intact_end < contents.file_size) {
    if (::ftruncate(w.fd_, static_cast<off_t>(contents.intact_end)) != 0) fail_errno("ftruncate", path);
    if (::fsync(w.fd_) != 0) fail_errno("fsync", path);
  }
  if (!existed) fsync_parent_directory(path);
  return w;
}

JournalWriter::JournalWriter(JournalWriter&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

JournalWriter& JournalWriter::operator=(JournalWriter&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

JournalWriter::~JournalWriter() { release(); }

void JournalWriter::release() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
  fd_ = -1;
}

void JournalWriter::write_all(const std::string& bytes) {
  if (fd_ < 0) throw Error(path_ + ": journal is closed");
  const off_t before = ::lseek(fd_, 0, SEEK_END);
  if (before < 0) fail_errno("lseek", path_);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      // Leave no partial record in front of the next append (e.g. after ENOSPC).
      if (::ftruncate(fd_, before) != 0) {}
      errno = saved;
      fail_errno("write", path_);
    }
    done += static_cast<std::size_t>(n);
  }
}

void JournalWriter::append(const nlohmann::json& payload) { append_all({payload}); }

void JournalWriter::append_all(const std::vector<nlohmann::json>& payloads) {
  std::string bytes;
  for (const nlohmann::json& p : payloads) bytes += encode_journal_record(p);
  write_all(bytes);
  if (::fsync(fd_) != 0) fail_errno("fsync", path_);
}

void JournalWriter::clear() {
  if (fd_ < 0) throw Error(path_ + ": journal is closed");
  if (::ftruncate(fd_, 0) != 0) fail_errno("ftruncate", path_);
  if (::fsync(fd_) != 0) fail_errno("fsync", path_);
}

void JournalWriter::remove() {
  if (fd_ < 0) return;
  if (::unlink(path_.c_str()) != 0) fail_errno("unlink", path_);
  release();
  fsync_parent_directory(path_);
}

}  // namespace rb::reports
