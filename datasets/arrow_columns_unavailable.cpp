// The build has no Apache Arrow C++ library (CMake's ROPEBATCH_HAVE_ARROW off): parquet: and hf:
// sources are recognized and refused with the way to get them (docs/DATASETS.md).
#include "common/error.hpp"
#include "datasets/arrow_columns.hpp"

namespace rb::data {
namespace {

[[noreturn]] void unavailable(const std::filesystem::path& file) {
  throw InputError(file.string(), "", "this build of ropebatch has no Apache Arrow reader: run scripts/setup.sh "
                   "(it installs PyPI's pyarrow, whose C++ libraries the build uses) and rebuild, or convert the "
                   "column to JSON Lines with pandas: pd.read_parquet(PATH)[[COLUMN]].to_json(OUT, orient='records', "
                   "lines=True), and pass jsonl:OUT#COLUMN");
}

}  // namespace

bool arrow_reader_available() { return false; }

std::vector<std::string> read_parquet_column(const std::filesystem::path& file, const std::string&) {
  unavailable(file);
}

std::vector<std::string> read_arrow_ipc_column(const std::filesystem::path& file, const std::string&) {
  unavailable(file);
}

}  // namespace rb::data
