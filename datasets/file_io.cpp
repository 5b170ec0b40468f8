#include "datasets/file_io.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

#include "common/error.hpp"
#include "common/utf8.hpp"

namespace rb::data {

std::string read_file_bytes(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) throw InputError(path.string(), "", "no such file");
  if (std::filesystem::is_directory(status)) throw InputError(path.string(), "", "is a directory, not a file");
  if (!std::filesystem::is_regular_file(status)) throw InputError(path.string(), "", "not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string(), "", std::string("cannot open: ") + std::strerror(errno));
  std::string bytes;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec) bytes.reserve(size);
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) throw InputError(path.string(), "", "read error");
  return bytes;
}

std::string read_utf8_text_file(const std::filesystem::path& path) {
  std::string bytes = read_file_bytes(path);
  if (bytes.empty()) throw InputError(path.string(), "", "file is empty");
  if (const auto bad = first_invalid_utf8(bytes)) {
    throw InputError(path.string(), "byte " + std::to_string(*bad), "invalid UTF-8");
  }
  return bytes;
}

std::string write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  static std::atomic<unsigned> counter{0};
  std::error_code ec;
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) return "cannot create " + path.parent_path().string() + ": " + ec.message();
  }
  std::filesystem::path temp = path;
  temp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return "cannot create " + temp.string() + ": " + std::strerror(errno);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      out.close();
      std::filesystem::remove(temp, ec);
      return "cannot write " + temp.string();
    }
  }
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    return "cannot rename " + temp.string() + " to " + path.string() + ": " + ec.message();
  }
  return {};
}

}  // namespace rb::data
