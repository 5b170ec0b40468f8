#include "reports/summary_table.hpp"

#include <cstddef>

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

}  // namespace rb::reports
