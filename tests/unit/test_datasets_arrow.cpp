// parquet: and hf: sources (Apache Arrow's C++ library) against the JSON Lines file with the same
// documents; fixtures by tests/fixtures/make_dataset_fixtures.py (pyarrow's Parquet writer and
// datasets' save_to_disk). Without Arrow in the build, each is refused with the way to get it.
#define BOOST_TEST_MODULE datasets_arrow
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "datasets/arrow_columns.hpp"
#include "datasets/source.hpp"

namespace fs = std::filesystem;
using namespace rb::data;

namespace rb::data {
std::ostream& operator<<(std::ostream& os, SourceKind kind) { return os << kind_name(kind); }
}  // namespace rb::data

namespace {

const fs::path kDir = fs::path(RB_FIXTURES) / "datasets";

std::string spec(const std::string& scheme, const std::string& path, const std::string& column = "") {
  return scheme + ":" + (kDir / path).string() + (column.empty() ? "" : "#" + column);
}

template <class F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const rb::InputError& e) {
    return e.what();
  }
  BOOST_FAIL("expected an rb::InputError");
  return {};
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const std::vector<std::string>& jsonl_documents(const std::string& field) {
  static const std::vector<std::string> text = load_source(spec("jsonl", "books.jsonl")).documents;
  static const std::vector<std::string> title = load_source(spec("jsonl", "books.jsonl", "title")).documents;
  return field == "title" ? title : text;
}

}  // namespace

BOOST_AUTO_TEST_CASE(without_arrow_each_scheme_says_how_to_get_it) {
  if (arrow_reader_available()) return;  // the other cases cover a build with Arrow
  for (const std::string& s : {spec("parquet", "books.parquet"), spec("hf", "hf_books")})
    BOOST_TEST(contains(input_error([&] { load_source(s); }), "no Apache Arrow reader: run scripts/setup.sh"));
}

BOOST_AUTO_TEST_CASE(parquet_gives_the_jsonl_documents) {
  if (!arrow_reader_available()) return;
  const Source s = load_source(spec("parquet", "books.parquet"));  // two row groups
  BOOST_TEST(s.kind == SourceKind::parquet);
  BOOST_TEST(s.id == "parquet:books.parquet");
  BOOST_TEST(s.per_document);
  BOOST_TEST(s.documents == jsonl_documents("text"));
  BOOST_TEST(s.documents.size() == 6u);
  BOOST_TEST(s.documents[2].empty());  // an empty document is a document (windowing skips it)
  // A large_string column by name; the column is part of the id and changes the hash.
  const Source titles = load_source(spec("parquet", "books.parquet", "title"));
  BOOST_TEST(titles.id == "parquet:books.parquet#title");
  BOOST_TEST(titles.documents == jsonl_documents("title"));
  BOOST_TEST(titles.content_sha256 != s.content_sha256);
  // A bare path ending in .parquet is the same source.
  BOOST_TEST(load_source((kDir / "books.parquet").string()).content_sha256 == s.content_sha256);
}

BOOST_AUTO_TEST_CASE(a_folder_of_parquet_shards_is_read_in_name_order) {
  if (!arrow_reader_available()) return;
  const Source whole = load_source(spec("parquet", "books.parquet"));
  const Source shards = load_source(spec("parquet", "shards"));
  BOOST_TEST(shards.documents == whole.documents);
  BOOST_TEST(shards.content_sha256 == whole.content_sha256);  // same documents, same hash
  BOOST_TEST(shards.id == "parquet:shards");
}

BOOST_AUTO_TEST_CASE(datasets_save_to_disk_folders) {
  if (!arrow_reader_available()) return;
  const Source s = load_source(spec("hf", "hf_books"));  // two Arrow stream shards
  BOOST_TEST(s.kind == SourceKind::hf_arrow);
  BOOST_TEST(s.id == "hf:hf_books");
  BOOST_TEST(s.documents == jsonl_documents("text"));
  BOOST_TEST(s.content_sha256 == load_source(spec("parquet", "books.parquet")).content_sha256);
  BOOST_TEST(load_source(spec("hf", "hf_books", "title")).documents == jsonl_documents("title"));
  // One split of a DatasetDict.
  const std::vector<std::string> train = load_source(spec("hf", "hf_dict/train")).documents;
  const std::vector<std::string> test = load_source(spec("hf", "hf_dict/test")).documents;
  BOOST_TEST(train.size() == 4u);
  BOOST_TEST(test.size() == 2u);
  BOOST_TEST(train.front() == jsonl_documents("text").front());
  BOOST_TEST(test.back() == jsonl_documents("text").back());
}

BOOST_AUTO_TEST_CASE(bad_columns_and_files_name_the_file_and_the_column) {
  if (!arrow_reader_available()) return;
  const std::string books = (kDir / "books.parquet").string();
  BOOST_TEST(input_error([&] { load_source(spec("parquet", "books.parquet", "body")); }) ==
             books + ": body: no such column (columns: text, title, id, meta; choose one with parquet:PATH#COLUMN)");
  BOOST_TEST(input_error([&] { load_source(spec("parquet", "books.parquet", "id")); }) ==
             books + ": id: is of type int64, not a string column");
  BOOST_TEST(contains(input_error([&] { load_source(spec("parquet", "books.parquet", "meta")); }),
                      books + ": meta: is of type struct<n: int64>, not a string column"));
  BOOST_TEST(input_error([&] { load_source(spec("parquet", "with_null.parquet")); }) ==
             (kDir / "with_null.parquet").string() + ": text: row 1: null (every row must be a string)");
  const std::string arrow0 = (kDir / "hf_books" / "data-00000-of-00002.arrow").string();
  BOOST_TEST(input_error([&] { load_source(spec("hf", "hf_books", "body")); }) ==
             arrow0 + ": body: no such column (columns: text, title, id; choose one with hf:PATH#COLUMN)");
  BOOST_TEST(contains(input_error([&] { load_source(spec("hf", "hf_dict")); }),
                      "dataset_dict.json: splits: a DatasetDict (splits: train, test); name one split's folder"));
  BOOST_TEST(contains(input_error([&] { load_source(spec("hf", "shards")); }),
                      "shards: state.json: missing: not a folder that datasets' save_to_disk wrote"));
  BOOST_TEST(contains(input_error([&] { load_source(spec("parquet", "hf_books")); }), "no *.parquet files"));
  // An Arrow file that is not Arrow, and a Parquet file cut short.
  const fs::path tmp = fs::temp_directory_path() / ("rb_arrow_" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  fs::copy_file(kDir / "hf_books" / "state.json", tmp / "state.json", fs::copy_options::overwrite_existing);
  std::ofstream(tmp / "data-00000-of-00002.arrow", std::ios::binary) << "not arrow at all";
  BOOST_TEST(contains(input_error([&] { load_source("hf:" + tmp.string()); }),
                      (tmp / "data-00000-of-00002.arrow").string() + ": not an Arrow IPC stream or file"));
  std::string head(1000, '\0');
  std::ifstream(books, std::ios::binary).read(head.data(), static_cast<std::streamsize>(head.size()));
  std::ofstream(tmp / "cut.parquet", std::ios::binary) << head;
  BOOST_TEST(contains(input_error([&] { load_source("parquet:" + (tmp / "cut.parquet").string()); }),
                      (tmp / "cut.parquet").string() + ": not a Parquet file Arrow can read"));
  fs::remove_all(tmp);
}
