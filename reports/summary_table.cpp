#include "reports/summary_table.hpp"

#include <cstddef>
#include <cstring>
#include <type_traits>
#include <variant>

#include "reports/hdf5_vlen_strings.hpp"

namespace rb::reports {

namespace {

// The columns of /summary, once: their names, where SummaryRowRaw (the writer's row) holds each,
// and the SummaryRow field the reader fills. A string is variable-length, a number 8 bytes.
struct Column {
  const char* name;
  std::size_t raw_offset;
  std::variant<std::string SummaryRow::*, int64_t SummaryRow::*, double SummaryRow::*> field;
};

const Column kColumns[] = {
    {"run_id", offsetof(SummaryRowRaw, run_id), &SummaryRow::run_id},
    {"family", offsetof(SummaryRowRaw, family), &SummaryRow::family},
    {"rope_label", offsetof(SummaryRowRaw, rope_label), &SummaryRow::rope_label},
    {"length", offsetof(SummaryRowRaw, length), &SummaryRow::length},
    {"status", offsetof(SummaryRowRaw, status), &SummaryRow::status},
    {"ppl", offsetof(SummaryRowRaw, ppl), &SummaryRow::ppl},
    {"ppl_stderr", offsetof(SummaryRowRaw, ppl_stderr), &SummaryRow::ppl_stderr},
    {"predictions", offsetof(SummaryRowRaw, predictions), &SummaryRow::predictions},
    {"seconds", offsetof(SummaryRowRaw, seconds), &SummaryRow::seconds},
};

bool is_text(const Column& c) { return std::holds_alternative<std::string SummaryRow::*>(c.field); }

hid_t number_type(const Column& c) {
  return std::holds_alternative<int64_t SummaryRow::*>(c.field) ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
}

}  // namespace

h5::Handle summary_row_type(bool packed, const std::string& file) {
  h5::Handle str = h5::vlen_string_type(file);
  h5::Handle type = h5::datatype_handle(HDF5_CHECK(H5Tcreate(H5T_COMPOUND, sizeof(SummaryRowRaw)), file));
  for (const Column& c : kColumns)
    HDF5_CHECK(H5Tinsert(type, c.name, c.raw_offset, is_text(c) ? str.get() : number_type(c)), file);
  if (packed) HDF5_CHECK(H5Tpack(type), file);
  return type;
}

std::vector<SummaryRow> read_summary_rows(hid_t ds, std::size_t count, const std::string& file) {
  h5::VlenReferences refs(ds, file);
  // The row as read: each string its on-disk reference, each number native, packed in column order
  // (the stored row has the same size).
  std::vector<std::size_t> offsets;
  std::size_t size = 0;
  for (const Column& c : kColumns) {
    offsets.push_back(size);
    size += is_text(c) ? refs.member_size() : 8;
  }
  h5::Handle type = h5::datatype_handle(HDF5_CHECK(H5Tcreate(H5T_COMPOUND, size), file));
  for (std::size_t i = 0; i < std::size(kColumns); ++i)
    HDF5_CHECK(H5Tinsert(type, kColumns[i].name, offsets[i], is_text(kColumns[i]) ? refs.member_type() : number_type(kColumns[i])),
               file);
  if (count > refs.file_size() / size)
    throw InputError(file, "/summary", "damaged: " + std::to_string(count) + " rows, more than the file can hold");
  std::vector<unsigned char> raw(count * size);
  if (count > 0) HDF5_CHECK(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()), file);
  std::vector<SummaryRow> rows(count);
  for (std::size_t r = 0; r < count; ++r) {
    for (std::size_t i = 0; i < std::size(kColumns); ++i) {
      const unsigned char* at = &raw[r * size + offsets[i]];
      std::visit(
          [&](auto member) {
            auto& value = rows[r].*member;
            if constexpr (std::is_same_v<std::remove_cvref_t<decltype(value)>, std::string>)
              value = refs.resolve(at, "/summary[" + std::to_string(r) + "]." + kColumns[i].name);
            else
              std::memcpy(&value, at, sizeof value);
          },
          kColumns[i].field);
    }
  }
  return rows;
}

}  // namespace rb::reports
