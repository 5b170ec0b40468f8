#pragma once
// Thin, checked wrappers over the HDF5 C API: every call's result goes through HDF5_CHECK, which
// throws Hdf5Error naming the call, the file and HDF5's own explanation; handles close themselves.
#include <hdf5.h>

#include <sys/types.h>

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace rb::reports::h5 {

class Hdf5Error : public Error {
 public:
  Hdf5Error(const std::string& file, const std::string& detail) : Error(file + ": " + detail), detail_(detail) {}
  const std::string& detail() const { return detail_; }  // the message without the file name

 private:
  std::string detail_;
};

// Throws Hdf5Error("FILE: CALL failed: HDF5's innermost message").
[[noreturn]] void fail(const char* call, const std::string& file);

template <class T>
T check(T result, const char* call, const std::string& file) {
  if (result < 0) fail(call, file);
  return result;
}

#define HDF5_CHECK(call, file) ::rb::reports::h5::check((call), #call, (file))

// Turns off HDF5's printing of its error stack to stderr while alive (errors become exceptions).
class QuietErrors {
 public:
  QuietErrors();
  ~QuietErrors();
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

// Owns an hid_t and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }
  void reset();
  // Closes now and checks the result (a file's close flushes it: its errors matter).
  void close_checked(const char* what, const std::string& file);

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

Handle file_handle(hid_t id);
Handle group_handle(hid_t id);
Handle dataset_handle(hid_t id);
Handle attribute_handle(hid_t id);
Handle dataspace_handle(hid_t id);
Handle datatype_handle(hid_t id);
Handle plist_handle(hid_t id);

// A file as it is on disk now (device, inode, size, modification time): equal while unchanged.
// What the read probe and the string reader key their caches on; nullopt when `path` cannot be stat'ed.
struct FileIdentity {
  dev_t device;
  ino_t inode;
  off_t size;
  int64_t mtime_sec, mtime_nsec;
  auto operator<=>(const FileIdentity&) const = default;
};
std::optional<FileIdentity> file_identity(const std::string& path);

// File access: the 1.8 file format or later (compact groups and attributes), no file locking
// (results files are replaced by rename, never shared while written; locking fails on some
// network filesystems).
Handle file_access_plist(const std::string& file);

// A UTF-8 variable-length string type (caller owns it).
Handle vlen_string_type(const std::string& file);

// ---- attributes on an object `obj` of file `file` ----
void write_string_attr(hid_t obj, const char* name, const std::string& value, const std::string& file);
void write_strings_attr(hid_t obj, const char* name, const std::vector<std::string>& values, const std::string& file);
void write_int64_attr(hid_t obj, const char* name, int64_t value, const std::string& file);
void write_int32_attr(hid_t obj, const char* name, int32_t value, const std::string& file);
void write_uint8_attr(hid_t obj, const char* name, uint8_t value, const std::string& file);
void write_double_attr(hid_t obj, const char* name, double value, const std::string& file);

bool has_attr(hid_t obj, const char* name, const std::string& file);
// Readers throw rb::InputError(file, where + "/" + name, problem) for a missing attribute or wrong type.
std::string read_string_attr(hid_t obj, const char* name, const std::string& file, const std::string& where);
std::vector<std::string> read_strings_attr(hid_t obj, const char* name, const std::string& file, const std::string& where);
int64_t read_int64_attr(hid_t obj, const char* name, const std::string& file, const std::string& where);
double read_double_attr(hid_t obj, const char* name, const std::string& file, const std::string& where);

// ---- 1-D datasets ----
// Writes `count` elements of `mem_type` (stored as the same type). `compressed`: chunked, shuffle + deflate.
void write_1d_dataset(hid_t loc, const char* name, hid_t mem_type, const void* data, std::size_t count,
                      bool compressed, const std::string& file);
bool has_link(hid_t loc, const char* name, const std::string& file);
// Element count of a 1-D dataset (InputError when not 1-D).
std::size_t dataset_length(hid_t dataset, const std::string& file, const std::string& where);

// The native memory type for T (double, float, int64_t, uint8_t).
template <class T>
hid_t native_type();
template <> inline hid_t native_type<double>() { return H5T_NATIVE_DOUBLE; }
template <> inline hid_t native_type<float>() { return H5T_NATIVE_FLOAT; }
template <> inline hid_t native_type<int64_t>() { return H5T_NATIVE_INT64; }
template <> inline hid_t native_type<uint8_t>() { return H5T_NATIVE_UINT8; }

template <class T>
std::vector<T> read_1d_dataset(hid_t loc, const char* name, const std::string& file, const std::string& where) {
  Handle ds = dataset_handle(HDF5_CHECK(H5Dopen2(loc, name, H5P_DEFAULT), file));
  std::vector<T> values(dataset_length(ds, file, where + "/" + name));
  if (!values.empty()) HDF5_CHECK(H5Dread(ds, native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), file);
  return values;
}

}  // namespace rb::reports::h5
