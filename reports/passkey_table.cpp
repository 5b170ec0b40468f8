#include "reports/passkey_table.hpp"

#include <algorithm>
#include <cstddef>

namespace rb::reports {
namespace {

struct PasskeyRow {
  int64_t length;
  double depth;
  int64_t trial;
  uint8_t retrieved;  // 0 or 1
};

h5::Handle passkey_row_type(bool packed, const std::string& file) {
  h5::Handle type = h5::datatype_handle(HDF5_CHECK(H5Tcreate(H5T_COMPOUND, sizeof(PasskeyRow)), file));
  HDF5_CHECK(H5Tinsert(type, "length", offsetof(PasskeyRow, length), H5T_NATIVE_INT64), file);
  HDF5_CHECK(H5Tinsert(type, "depth", offsetof(PasskeyRow, depth), H5T_NATIVE_DOUBLE), file);
  HDF5_CHECK(H5Tinsert(type, "trial", offsetof(PasskeyRow, trial), H5T_NATIVE_INT64), file);
  HDF5_CHECK(H5Tinsert(type, "retrieved", offsetof(PasskeyRow, retrieved), H5T_NATIVE_UINT8), file);
  if (packed) HDF5_CHECK(H5Tpack(type), file);
  return type;
}

// Compound conversion buffers sized to the data (HDF5 otherwise clears 1 MiB ones per call).
h5::Handle transfer_plist(std::size_t rows, const std::string& file) {
  h5::Handle dxpl = h5::plist_handle(HDF5_CHECK(H5Pcreate(H5P_DATASET_XFER), file));
  HDF5_CHECK(H5Pset_buffer(dxpl, std::max<std::size_t>(rows, 16) * sizeof(PasskeyRow) * 2, nullptr, nullptr), file);
  return dxpl;
}

}  // namespace

void write_passkey_dataset(hid_t run_group, const std::vector<PasskeyOutcome>& rows, const std::string& file) {
  std::vector<PasskeyRow> raw;
  raw.reserve(rows.size());
  for (const PasskeyOutcome& p : rows) raw.push_back({p.length, p.depth, p.trial, static_cast<uint8_t>(p.retrieved)});
  h5::Handle mem = passkey_row_type(false, file);
  h5::Handle stored = passkey_row_type(true, file);
  const hsize_t dims[1] = {raw.size()};
  h5::Handle space = h5::dataspace_handle(HDF5_CHECK(H5Screate_simple(1, dims, nullptr), file));
  h5::Handle ds = h5::dataset_handle(
      HDF5_CHECK(H5Dcreate2(run_group, "passkey", stored, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), file));
  if (!raw.empty()) HDF5_CHECK(H5Dwrite(ds, mem, H5S_ALL, H5S_ALL, transfer_plist(raw.size(), file), raw.data()), file);
}

std::vector<PasskeyOutcome> read_passkey_dataset(hid_t run_group, const std::string& file, const std::string& where) {
  h5::Handle ds = h5::dataset_handle(HDF5_CHECK(H5Dopen2(run_group, "passkey", H5P_DEFAULT), file));
  std::vector<PasskeyRow> raw(h5::dataset_length(ds, file, where + "/passkey"));
  h5::Handle mem = passkey_row_type(false, file);
  if (!raw.empty()) HDF5_CHECK(H5Dread(ds, mem, H5S_ALL, H5S_ALL, transfer_plist(raw.size(), file), raw.data()), file);
  std::vector<PasskeyOutcome> rows;
  rows.reserve(raw.size());
  for (const PasskeyRow& p : raw) rows.push_back({p.length, p.depth, p.trial, p.retrieved != 0});
  return rows;
}

}  // namespace rb::reports
