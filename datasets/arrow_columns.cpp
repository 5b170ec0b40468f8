// Parquet (parquet::arrow::FileReader) and Arrow IPC (arrow::ipc stream and file readers) string
// columns as documents. Only the chosen column is read from a Parquet file.
#include "datasets/arrow_columns.hpp"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <arrow/ipc/reader.h>
#include <parquet/arrow/reader.h>
#include <parquet/exception.h>

#include "common/error.hpp"
#include "common/utf8.hpp"

namespace rb::data {
namespace {

std::string column_names(const arrow::Schema& schema) {
  std::string names;
  for (const auto& field : schema.fields()) names += (names.empty() ? "" : ", ") + field->name();
  return names;
}

// The index of `column` in `schema`, or an error listing the columns there are.
int find_column(const arrow::Schema& schema, const std::string& column, const std::string& file, const char* how) {
  const int index = schema.GetFieldIndex(column);
  if (index >= 0) return index;
  const bool several = !schema.GetAllFieldIndices(column).empty();
  throw InputError(file, column, several ? std::string("the column name is given more than once")
                                         : "no such column (columns: " + column_names(schema) + "; choose one with " +
                                               how + ")");
}

bool is_string_type(const arrow::DataType& type) {
  return type.id() == arrow::Type::STRING || type.id() == arrow::Type::LARGE_STRING ||
         type.id() == arrow::Type::STRING_VIEW;
}

// Appends the values of one chunk; `row` counts rows across chunks (for the messages).
void append_strings(const arrow::Array& array, const std::string& file, const std::string& column, int64_t& row,
                    std::vector<std::string>& out) {
  for (int64_t i = 0; i < array.length(); ++i, ++row) {
    if (array.IsNull(i))
      throw InputError(file, column, "row " + std::to_string(row) + ": null (every row must be a string)");
    std::string_view value;
    switch (array.type_id()) {
      case arrow::Type::STRING: value = static_cast<const arrow::StringArray&>(array).GetView(i); break;
      case arrow::Type::LARGE_STRING: value = static_cast<const arrow::LargeStringArray&>(array).GetView(i); break;
      default: value = static_cast<const arrow::StringViewArray&>(array).GetView(i); break;
    }
    if (const auto bad = first_invalid_utf8(value))
      throw InputError(file, column, "row " + std::to_string(row) + ": byte " + std::to_string(*bad) + ": invalid UTF-8");
    out.emplace_back(value);
  }
}

void require_string_column(const arrow::Field& field, const std::string& file) {
  if (!is_string_type(*field.type()))
    throw InputError(file, field.name(), "is of type " + field.type()->ToString() + ", not a string column");
}

std::shared_ptr<arrow::io::ReadableFile> open_file(const std::filesystem::path& file) {
  auto opened = arrow::io::ReadableFile::Open(file.string());
  if (!opened.ok()) throw InputError(file.string(), "", "cannot open: " + opened.status().message());
  return *opened;
}

}  // namespace

bool arrow_reader_available() { return true; }

std::vector<std::string> read_parquet_column(const std::filesystem::path& path, const std::string& column) {
  const std::string file = path.string();
  std::shared_ptr<arrow::ChunkedArray> values;
  try {
    auto reader = parquet::arrow::OpenFile(open_file(path), arrow::default_memory_pool());
    if (!reader.ok()) throw InputError(file, "", "not a Parquet file Arrow can read: " + reader.status().message());
    std::shared_ptr<arrow::Schema> schema;
    if (const auto st = (*reader)->GetSchema(&schema); !st.ok())
      throw InputError(file, "", "cannot read the Parquet schema: " + st.message());
    const int index = find_column(*schema, column, file, "parquet:PATH#COLUMN");
    require_string_column(*schema->field(index), file);
    if (const auto st = (*reader)->ReadColumn(index, &values); !st.ok())
      throw InputError(file, column, "cannot read the column: " + st.message());
  } catch (const parquet::ParquetException& e) {  // what parquet-cpp throws on corrupt metadata
    throw InputError(file, "", std::string("not a Parquet file Arrow can read: ") + e.what());
  }
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(values->length()));
  int64_t row = 0;
  for (const auto& chunk : values->chunks()) append_strings(*chunk, file, column, row, out);
  return out;
}

std::vector<std::string> read_arrow_ipc_column(const std::filesystem::path& path, const std::string& column) {
  const std::string file = path.string();
  std::vector<std::string> out;
  int64_t row = 0;
  auto read_batch = [&](const arrow::RecordBatch& batch, int index) {
    append_strings(*batch.column(index), file, column, row, out);
  };
  // `datasets` writes the stream format (pa.RecordBatchStreamWriter); the file format ("ARROW1"
  // magic, e.g. pyarrow.feather v2 or ipc.new_file) is read too.
  auto stream = arrow::ipc::RecordBatchStreamReader::Open(open_file(path));
  if (stream.ok()) {
    const auto schema = (*stream)->schema();
    const int index = find_column(*schema, column, file, "hf:PATH#COLUMN");
    require_string_column(*schema->field(index), file);
    while (true) {
      std::shared_ptr<arrow::RecordBatch> batch;
      if (const auto st = (*stream)->ReadNext(&batch); !st.ok())
        throw InputError(file, "", "invalid Arrow stream after row " + std::to_string(row) + ": " + st.message());
      if (!batch) break;
      read_batch(*batch, index);
    }
    return out;
  }
  auto random_access = arrow::ipc::RecordBatchFileReader::Open(open_file(path));
  if (!random_access.ok())
    throw InputError(file, "", "not an Arrow IPC stream or file: " + stream.status().message());
  const auto schema = (*random_access)->schema();
  const int index = find_column(*schema, column, file, "hf:PATH#COLUMN");
  require_string_column(*schema->field(index), file);
  for (int b = 0; b < (*random_access)->num_record_batches(); ++b) {
    auto batch = (*random_access)->ReadRecordBatch(b);
    if (!batch.ok()) throw InputError(file, "", "invalid Arrow record batch " + std::to_string(b) + ": " + batch.status().message());
    read_batch(**batch, index);
  }
  return out;
}

}  // namespace rb::data
