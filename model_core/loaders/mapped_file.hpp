#pragma once
// A whole file mapped read-only into memory (POSIX mmap), for the safetensors and GGUF readers.
// Header-only so that any loader library can use it without a build change.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <utility>

#include "common/error.hpp"

namespace rb {

class MappedFile {
 public:
  // Throws InputError(path, "", problem) when the file is absent, not a regular file or unreadable.
  // An empty file maps to data() == nullptr, size() == 0.
  explicit MappedFile(const std::filesystem::path& path) : path_(path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw InputError(path.string(), "", std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      throw InputError(path.string(), "", std::string("cannot stat: ") + std::strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      throw InputError(path.string(), "", "not a regular file");
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      const int err = errno;
      ::close(fd);  // the mapping keeps the file alive
      if (p == MAP_FAILED) throw InputError(path.string(), "", std::string("cannot map: ") + std::strerror(err));
      data_ = static_cast<const uint8_t*>(p);
    } else {
      ::close(fd);
    }
  }
  ~MappedFile() { unmap(data_, size_); }
  MappedFile(MappedFile&& o) noexcept
      : path_(std::move(o.path_)), data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  MappedFile& operator=(MappedFile&& o) noexcept {
    if (this != &o) {
      unmap(data_, size_);
      path_ = std::move(o.path_);
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

  // Hands the mapping over to a class that stores a raw pointer and size; it must later call
  // MappedFile::unmap(data, size).
  std::pair<const uint8_t*, size_t> release() {
    return {std::exchange(data_, nullptr), std::exchange(size_, 0)};
  }
  static void unmap(const uint8_t* data, size_t size) noexcept {
    if (data && size > 0) ::munmap(const_cast<uint8_t*>(data), size);
  }

 private:
  std::filesystem::path path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace rb
