#include "reports/summary_table.hpp"

#include <cstddef>
#include <cstring>

#include "reports/hdf5_vlen_strings.hpp"

namespace rb::reports {

h5::Handle summary_row_type(bool packed, const std::string& file) {
  h5::Handle str = h5::vlen_string_type(file);
  h5::Handle type = h5::datatype_handle(HDF5_CHECK(H5Tcreate(H5T_COMPOUND, sizeof(SummaryRowRaw)), file));
  HDF5_CHECK(H5Tinsert(type, "run_id", offsetof(SummaryRowRaw, run_id), str), file);
  HDF5_CHECK(H5Tinsert(type, "family", offsetof(SummaryRowRaw, family), str), file);
  HDF5_CHECK(H5Tinsert(type, "rope_label", offsetof(SummaryRowRaw, rope_label), str), file);
  HDF5_CHECK(H5Tinsert(type, "length", offsetof(SummaryRowRaw, length), H5T_NATIVE_INT64), file);
  HDF5_CHECK(H5Tinsert(type, "status", offsetof(SummaryRowRaw, status), str), file);
  HDF5_CHECK(H5Tinsert(type, "ppl", offsetof(SummaryRowRaw, ppl), H5T_NATIVE_DOUBLE), file);
  HDF5_CHECK(H5Tinsert(type, "ppl_stderr", offsetof(SummaryRowRaw, ppl_stderr), H5T_NATIVE_DOUBLE), file);
  HDF5_CHECK(H5Tinsert(type, "predictions", offsetof(SummaryRowRaw, predictions), H5T_NATIVE_INT64), file);
  HDF5_CHECK(H5Tinsert(type, "seconds", offsetof(SummaryRowRaw, seconds), H5T_NATIVE_DOUBLE), file);
  if (packed) HDF5_CHECK(H5Tpack(type), file);
  return type;
}

std::vector<SummaryRow> read_summary_rows(hid_t ds, std::size_t count, const std::string& file) {
  h5::VlenReferences refs(ds, file);
  const std::size_t r = refs.member_size();
  // The row as read: each string its on-disk reference, the numbers native, in SummaryRowRaw's order.
  const std::size_t run_id = 0, family = r, rope_label = 2 * r, length = 3 * r, status = 3 * r + 8,
                    ppl = 4 * r + 8, ppl_stderr = ppl + 8, predictions = ppl + 16, seconds = ppl + 24, size = ppl + 32;
  h5::Handle type = h5::datatype_handle(HDF5_CHECK(H5Tcreate(H5T_COMPOUND, size), file));
  HDF5_CHECK(H5Tinsert(type, "run_id", run_id, refs.member_type()), file);
  HDF5_CHECK(H5Tinsert(type, "family", family, refs.member_type()), file);
  HDF5_CHECK(H5Tinsert(type, "rope_label", rope_label, refs.member_type()), file);
  HDF5_CHECK(H5Tinsert(type, "length", length, H5T_NATIVE_INT64), file);
  HDF5_CHECK(H5Tinsert(type, "status", status, refs.member_type()), file);
  HDF5_CHECK(H5Tinsert(type, "ppl", ppl, H5T_NATIVE_DOUBLE), file);
  HDF5_CHECK(H5Tinsert(type, "ppl_stderr", ppl_stderr, H5T_NATIVE_DOUBLE), file);
  HDF5_CHECK(H5Tinsert(type, "predictions", predictions, H5T_NATIVE_INT64), file);
  HDF5_CHECK(H5Tinsert(type, "seconds", seconds, H5T_NATIVE_DOUBLE), file);
  if (count > refs.file_size() / (4 * r + 32))  // the stored row: the same members, packed
    throw InputError(file, "/summary", "damaged: " + std::to_string(count) + " rows, more than the file can hold");
  std::vector<unsigned char> raw(count * size);
  if (count > 0) HDF5_CHECK(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()), file);
  auto number = [](const unsigned char* p, auto value) {
    std::memcpy(&value, p, sizeof value);
    return value;
  };
  std::vector<SummaryRow> rows;
  rows.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const unsigned char* row = &raw[i * size];
    const std::string where = "/summary[" + std::to_string(i) + "]";
    rows.push_back({refs.resolve(row + run_id, where + ".run_id"), refs.resolve(row + family, where + ".family"),
                    refs.resolve(row + rope_label, where + ".rope_label"), number(row + length, int64_t{}),
                    refs.resolve(row + status, where + ".status"), number(row + ppl, double{}),
                    number(row + ppl_stderr, double{}), number(row + predictions, int64_t{}),
                    number(row + seconds, double{})});
  }
  return rows;
}

}  // namespace rb::reports
