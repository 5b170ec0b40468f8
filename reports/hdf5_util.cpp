#include "reports/hdf5_util.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "reports/hdf5_vlen_strings.hpp"

namespace rb::reports::h5 {
namespace {

// HDF5 closes every file still open when the process exits (its atexit handler). A file whose
// H5Fclose failed (ENOSPC while flushing) stays half-closed, and that handler then crashes in
// H5F__close_cb. Every file here is closed explicitly (Handle), so the handler is turned off; it
// must be before the first HDF5 call, hence at static initialization.
const bool kNoAtexit = [] {
  H5dont_atexit();
  return true;
}();

struct StackSummary {
  std::string innermost;  // "FUNCTION: description" of the first entry
  int os_errno = 0;       // the errno a file driver reported ("... errno = 28, error message = ..."), else 0
};

herr_t summarize(unsigned n, const H5E_error2_t* err, void* out) {
  auto& s = *static_cast<StackSummary*>(out);
  if (err->desc == nullptr) return 0;
  if (n == 0) s.innermost = std::string(err->func_name) + ": " + err->desc;
  if (const char* e = std::strstr(err->desc, "errno = "); e != nullptr && s.os_errno == 0) s.os_errno = std::atoi(e + 8);
  return 0;
}

Handle scalar_space(const std::string& file) { return dataspace_handle(HDF5_CHECK(H5Screate(H5S_SCALAR), file)); }

// Creates attribute `name` (which must not exist yet) of `type` and writes `data` to it.
void write_attr(hid_t obj, const char* name, hid_t type, hid_t space, const void* data, const std::string& file) {
  Handle attr = attribute_handle(HDF5_CHECK(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), file));
  HDF5_CHECK(H5Awrite(attr, type, data), file);
}

void write_scalar_attr(hid_t obj, const char* name, hid_t type, const void* data, const std::string& file) {
  Handle space = scalar_space(file);
  write_attr(obj, name, type, space, data, file);
}

struct OpenedAttr {
  Handle attr, type;
  H5T_class_t type_class;
  hssize_t points;
};

OpenedAttr open_attr(hid_t obj, const char* name, const std::string& file, const std::string& where) {
  if (HDF5_CHECK(H5Aexists(obj, name), file) <= 0) throw InputError(file, where + "/" + name, "missing attribute");
  OpenedAttr a;
  a.attr = attribute_handle(HDF5_CHECK(H5Aopen(obj, name, H5P_DEFAULT), file));
  a.type = datatype_handle(HDF5_CHECK(H5Aget_type(a.attr), file));
  a.type_class = HDF5_CHECK(H5Tget_class(a.type), file);
  Handle space = dataspace_handle(HDF5_CHECK(H5Aget_space(a.attr), file));
  a.points = HDF5_CHECK(H5Sget_simple_extent_npoints(space), file);
  return a;
}

std::vector<std::string> read_string_values(const OpenedAttr& a, const char* name, const std::string& file,
                                            const std::string& where) {
  if (a.type_class != H5T_STRING) throw InputError(file, where + "/" + name, "is not a string attribute");
  const std::size_t n = static_cast<std::size_t>(a.points);
  if (HDF5_CHECK(H5Tis_variable_str(a.type), file) > 0) return read_vlen_string_attr(a.attr, n, file, where + "/" + name);
  std::vector<std::string> values;
  values.reserve(n);
  const std::size_t size = H5Tget_size(a.type);
  if (size == 0) fail("H5Tget_size", file);
  std::vector<char> buffer(size * n);
  HDF5_CHECK(H5Aread(a.attr, a.type, buffer.data()), file);
  for (std::size_t i = 0; i < n; ++i) {
    const char* begin = buffer.data() + i * size;
    values.emplace_back(begin, std::find(begin, begin + size, '\0'));
  }
  return values;
}

}  // namespace

void fail(const char* call, const std::string& file) {
  StackSummary s;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, summarize, &s);
  H5Eclear2(H5E_DEFAULT);
  // An operating-system error underneath (ENOSPC, EIO, EDQUOT) is what the user can act on: say it
  // first, in the system's words ("No space left on device").
  std::string detail = std::string(call) + " failed";
  if (s.os_errno != 0) detail += ": " + std::string(std::strerror(s.os_errno));
  if (!s.innermost.empty()) detail += (s.os_errno != 0 ? " (" + s.innermost + ")" : ": " + s.innermost);
  throw Hdf5Error(file, detail);
}

QuietErrors::QuietErrors() {
  H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

QuietErrors::~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    closer_ = o.closer_;
    o.id_ = -1;
  }
  return *this;
}

void Handle::reset() {
  if (id_ >= 0 && closer_ != nullptr) closer_(id_);
  id_ = -1;
}

void Handle::close_checked(const char* what, const std::string& file) {
  const hid_t id = id_;
  id_ = -1;
  if (id >= 0 && closer_ != nullptr) check(closer_(id), what, file);
}

Handle file_handle(hid_t id) { return Handle(id, H5Fclose); }
Handle group_handle(hid_t id) { return Handle(id, H5Gclose); }
Handle dataset_handle(hid_t id) { return Handle(id, H5Dclose); }
Handle attribute_handle(hid_t id) { return Handle(id, H5Aclose); }
Handle dataspace_handle(hid_t id) { return Handle(id, H5Sclose); }
Handle datatype_handle(hid_t id) { return Handle(id, H5Tclose); }
Handle plist_handle(hid_t id) { return Handle(id, H5Pclose); }

std::optional<FileIdentity> file_identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileIdentity{st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
}

Handle file_access_plist(const std::string& file) {
  Handle fapl = plist_handle(HDF5_CHECK(H5Pcreate(H5P_FILE_ACCESS), file));
  HDF5_CHECK(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST), file);
#if H5_VERSION_GE(1, 10, 7)
  HDF5_CHECK(H5Pset_file_locking(fapl, false, true), file);
#endif
  // A results file holds tens of thousands of small objects: a larger metadata cache avoids
  // evicting and re-reading object headers while it is written or read.
  H5AC_cache_config_t cache{};
  cache.version = H5AC__CURR_CACHE_CONFIG_VERSION;
  HDF5_CHECK(H5Pget_mdc_config(fapl, &cache), file);
  cache.set_initial_size = true;
  cache.initial_size = 32 << 20;
  cache.max_size = std::max<size_t>(cache.max_size, 128 << 20);
  cache.min_size = std::min<size_t>(cache.min_size, cache.initial_size);
  HDF5_CHECK(H5Pset_mdc_config(fapl, &cache), file);
  HDF5_CHECK(H5Pset_meta_block_size(fapl, 1 << 20), file);
  return fapl;
}

Handle vlen_string_type(const std::string& file) {
  Handle type = datatype_handle(HDF5_CHECK(H5Tcopy(H5T_C_S1), file));
  HDF5_CHECK(H5Tset_size(type, H5T_VARIABLE), file);
  HDF5_CHECK(H5Tset_cset(type, H5T_CSET_UTF8), file);
  return type;
}

void write_string_attr(hid_t obj, const char* name, const std::string& value, const std::string& file) {
  Handle type = vlen_string_type(file);
  const char* ptr = value.c_str();
  write_scalar_attr(obj, name, type, &ptr, file);
}

void write_strings_attr(hid_t obj, const char* name, const std::vector<std::string>& values, const std::string& file) {
  Handle type = vlen_string_type(file);
  const hsize_t dims[1] = {values.size()};
  Handle space = dataspace_handle(HDF5_CHECK(H5Screate_simple(1, dims, nullptr), file));
  std::vector<const char*> ptrs;
  for (const std::string& v : values) ptrs.push_back(v.c_str());
  write_attr(obj, name, type, space, ptrs.data(), file);
}

void write_int64_attr(hid_t obj, const char* name, int64_t value, const std::string& file) {
  write_scalar_attr(obj, name, H5T_NATIVE_INT64, &value, file);
}
void write_int32_attr(hid_t obj, const char* name, int32_t value, const std::string& file) {
  write_scalar_attr(obj, name, H5T_NATIVE_INT32, &value, file);
}
void write_uint8_attr(hid_t obj, const char* name, uint8_t value, const std::string& file) {
  write_scalar_attr(obj, name, H5T_NATIVE_UINT8, &value, file);
}
void write_double_attr(hid_t obj, const char* name, double value, const std::string& file) {
  write_scalar_attr(obj, name, H5T_NATIVE_DOUBLE, &value, file);
}

bool has_attr(hid_t obj, const char* name, const std::string& file) {
  return HDF5_CHECK(H5Aexists(obj, name), file) > 0;
}

std::string read_string_attr(hid_t obj, const char* name, const std::string& file, const std::string& where) {
  OpenedAttr a = open_attr(obj, name, file, where);
  if (a.points != 1) throw InputError(file, where + "/" + name, "is not a single string");
  return read_string_values(a, name, file, where).front();
}

std::vector<std::string> read_strings_attr(hid_t obj, const char* name, const std::string& file,
                                           const std::string& where) {
  return read_string_values(open_attr(obj, name, file, where), name, file, where);
}

int64_t read_int64_attr(hid_t obj, const char* name, const std::string& file, const std::string& where) {
  OpenedAttr a = open_attr(obj, name, file, where);
  if (a.type_class != H5T_INTEGER || a.points != 1) throw InputError(file, where + "/" + name, "is not an integer");
  int64_t value = 0;
  HDF5_CHECK(H5Aread(a.attr, H5T_NATIVE_INT64, &value), file);
  return value;
}

double read_double_attr(hid_t obj, const char* name, const std::string& file, const std::string& where) {
  OpenedAttr a = open_attr(obj, name, file, where);
  if ((a.type_class != H5T_FLOAT && a.type_class != H5T_INTEGER) || a.points != 1)
    throw InputError(file, where + "/" + name, "is not a number");
  double value = 0;
  HDF5_CHECK(H5Aread(a.attr, H5T_NATIVE_DOUBLE, &value), file);
  return value;
}

void write_1d_dataset(hid_t loc, const char* name, hid_t mem_type, const void* data, std::size_t count,
                      bool compressed, const std::string& file) {
  const hsize_t dims[1] = {count};
  Handle space = dataspace_handle(HDF5_CHECK(H5Screate_simple(1, dims, nullptr), file));
  Handle dcpl = plist_handle(HDF5_CHECK(H5Pcreate(H5P_DATASET_CREATE), file));
  if (compressed && count > 0) {
    const hsize_t chunk[1] = {std::min<hsize_t>(count, 16384)};
    HDF5_CHECK(H5Pset_chunk(dcpl, 1, chunk), file);
    HDF5_CHECK(H5Pset_shuffle(dcpl), file);
    HDF5_CHECK(H5Pset_deflate(dcpl, 4), file);
  } else if (count > 0 && count * H5Tget_size(mem_type) <= 16384) {
    HDF5_CHECK(H5Pset_layout(dcpl, H5D_COMPACT), file);  // small: stored in the object header
  }
  Handle ds = dataset_handle(HDF5_CHECK(H5Dcreate2(loc, name, mem_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), file));
  if (count > 0) HDF5_CHECK(H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), file);
}

bool has_link(hid_t loc, const char* name, const std::string& file) {
  return HDF5_CHECK(H5Lexists(loc, name, H5P_DEFAULT), file) > 0;
}

std::size_t dataset_length(hid_t dataset, const std::string& file, const std::string& where) {
  Handle space = dataspace_handle(HDF5_CHECK(H5Dget_space(dataset), file));
  if (HDF5_CHECK(H5Sget_simple_extent_ndims(space), file) != 1) throw InputError(file, where, "is not 1-D");
  hsize_t dims[1] = {0};
  HDF5_CHECK(H5Sget_simple_extent_dims(space, dims, nullptr), file);
  return static_cast<std::size_t>(dims[0]);
}

}  // namespace rb::reports::h5
