#pragma once
// POSIX file operations that survive a crash: fsync of a file and of its directory, atomic
// replacement by rename. Failures throw rb::Error naming the path and errno's message.
#include <string>

namespace rb::reports {

void fsync_path(const std::string& path);            // the file's data and metadata
void fsync_parent_directory(const std::string& path);  // the directory entry of `path`
// fsync(from), rename(from, to), fsync(directory): after return `to` is the new file for good.
void durable_rename(const std::string& from, const std::string& to);
bool file_exists(const std::string& path);
// Size in bytes; 0 when the file does not exist.
unsigned long long file_size_or_zero(const std::string& path);

}  // namespace rb::reports
