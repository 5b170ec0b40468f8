#pragma once
// Whole-file reads and atomic writes shared by the dataset sources and caches.
#include <filesystem>
#include <string>
#include <string_view>

namespace rb::data {

// The exact bytes of a regular file. Throws rb::InputError(path, "", problem) when it is missing,
// not a regular file, or unreadable.
std::string read_file_bytes(const std::filesystem::path& path);

// The same bytes, additionally rejecting an empty file and invalid UTF-8 (the error names the byte
// offset of the first bad byte).
std::string read_utf8_text_file(const std::filesystem::path& path);

// Writes `bytes` to a temporary file next to `path` and renames it over `path`, so readers see the
// old file or the complete new one, never a partial write. Creates the parent folder. Returns an
// empty string on success, else what went wrong (the caller decides whether that is fatal).
std::string write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace rb::data
