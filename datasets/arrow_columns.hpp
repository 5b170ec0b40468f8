#pragma once
// One string column of a Parquet file or of an Arrow IPC file (the stream format that Hugging Face
// `datasets`' save_to_disk writes, or the random-access file format), read with Apache Arrow's
// C++ library. Each value becomes one document, in row order; a null, a non-string column, a
// missing column or a file Arrow cannot read is an InputError naming the file, the column and the
// row. Builds without Arrow (ROPEBATCH_HAVE_ARROW off) compile arrow_columns_unavailable.cpp
// instead, whose functions say so.
#include <filesystem>
#include <string>
#include <vector>

namespace rb::data {

// Whether this build reads Parquet and Arrow files (false: the functions below throw InputError).
bool arrow_reader_available();

std::vector<std::string> read_parquet_column(const std::filesystem::path& file, const std::string& column);
std::vector<std::string> read_arrow_ipc_column(const std::filesystem::path& file, const std::string& column);

}  // namespace rb::data
