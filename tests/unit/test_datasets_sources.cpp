// Dataset sources: spec parsing, text / dir / jsonl / wikitext / bible-kjv loading, hashes and the
// input errors (file: field: problem).
#define BOOST_TEST_MODULE datasets_sources
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "datasets/arrow_columns.hpp"
#include "datasets/bible_kjv.hpp"
#include "datasets/sha256.hpp"
#include "datasets/source.hpp"
#include "common/utf8.hpp"
#include "datasets/wikitext.hpp"

namespace fs = std::filesystem;
using rb::InputError;
using namespace rb::data;
using rb::first_invalid_utf8;

namespace rb::data {
std::ostream& operator<<(std::ostream& os, SourceKind kind) { return os << kind_name(kind); }
}  // namespace rb::data

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "rb_sources_XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path write(const std::string& name, const std::string& bytes) const {
    const fs::path p = path / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
};

// The message of the InputError that `f` throws (fails the test when it throws nothing).
template <class F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  BOOST_FAIL("expected an rb::InputError");
  return {};
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(spec_parsing) {
  TempDir tmp;
  tmp.write("a.txt", "x");
  BOOST_TEST(parse_source_spec("bible-kjv").kind == SourceKind::bible_kjv);
  BOOST_TEST(parse_source_spec("text:foo.txt").kind == SourceKind::text);
  BOOST_TEST(parse_source_spec("text:foo.txt").path == fs::path("foo.txt"));
  BOOST_TEST(parse_source_spec("dir:books").kind == SourceKind::directory);
  BOOST_TEST(parse_source_spec("jsonl:x.jsonl").kind == SourceKind::jsonl);
  BOOST_TEST(parse_source_spec("wikitext:wiki.test.raw").kind == SourceKind::wikitext);
  BOOST_TEST(parse_source_spec(tmp.path.string()).kind == SourceKind::directory);
  BOOST_TEST(parse_source_spec((tmp.path / "a.txt").string()).kind == SourceKind::text);
  BOOST_TEST(parse_source_spec("text:dir:odd").path == fs::path("dir:odd"));
  BOOST_CHECK_THROW(parse_source_spec(""), InputError);
  BOOST_TEST(contains(input_error([] { parse_source_spec("jsonl:"); }), "no path after 'jsonl:'"));
  BOOST_TEST(kind_name(SourceKind::directory) == "dir");
  BOOST_TEST(kind_name(SourceKind::bible_kjv) == "bible-kjv");
}

BOOST_AUTO_TEST_CASE(text_source) {
  TempDir tmp;
  const std::string bytes = "In the beginning\r\nwas the w\xC3\xB6rd.\n";
  const fs::path file = tmp.write("genesis.txt", bytes);
  const Source s = load_source("text:" + file.string());
  BOOST_TEST(s.id == "text:genesis.txt");
  BOOST_TEST(s.kind == SourceKind::text);
  BOOST_TEST(s.documents.size() == 1u);
  BOOST_TEST(s.documents[0] == bytes);  // verbatim, CRLF kept
  BOOST_TEST(s.content_sha256 == sha256_hex(bytes));
  BOOST_TEST(!s.per_document);
  // A bare path to a file is the same source.
  BOOST_TEST(load_source(file.string()).content_sha256 == s.content_sha256);
}

BOOST_AUTO_TEST_CASE(file_errors_name_the_file) {
  TempDir tmp;
  const fs::path missing = tmp.path / "nope.txt";
  BOOST_TEST(input_error([&] { load_source("text:" + missing.string()); }) == missing.string() + ": no such file");
  const fs::path empty = tmp.write("empty.txt", "");
  BOOST_TEST(input_error([&] { load_source("text:" + empty.string()); }) == empty.string() + ": file is empty");
  BOOST_TEST(contains(input_error([&] { load_source("text:" + tmp.path.string()); }), "is a directory"));
}

BOOST_AUTO_TEST_CASE(invalid_utf8_reports_the_byte_offset) {
  TempDir tmp;
  const fs::path bad = tmp.write("bad.txt", std::string("abc\xC3\x28xyz"));
  BOOST_TEST(input_error([&] { load_source("text:" + bad.string()); }) == bad.string() + ": byte 3: invalid UTF-8");
  // Overlong, surrogate, beyond U+10FFFF, truncated, stray continuation byte.
  BOOST_TEST(first_invalid_utf8("ok\xC0\xAF").value() == 2u);
  BOOST_TEST(first_invalid_utf8("\xED\xA0\x80").value() == 0u);
  BOOST_TEST(first_invalid_utf8("a\xF4\x90\x80\x80").value() == 1u);
  BOOST_TEST(first_invalid_utf8("ab\xE2\x82").value() == 2u);
  BOOST_TEST(first_invalid_utf8("\x80").value() == 0u);
  BOOST_TEST(!first_invalid_utf8("\xE2\x82\xAC \xF0\x9F\x98\x80 \xED\x9F\xBF \xF4\x8F\xBF\xBF").has_value());
}

BOOST_AUTO_TEST_CASE(directory_source_sorted_and_filtered) {
  TempDir tmp;
  const fs::path books = tmp.path / "pg19";
  tmp.write("pg19/b.txt", "second");
  tmp.write("pg19/a", "first");
  tmp.write("pg19/c.md", "ignored: other extension");
  tmp.write("pg19/.hidden", "ignored: hidden");
  tmp.write("pg19/sub/d.txt", "ignored: not recursive");
  tmp.write("pg19/C.txt", "upper case sorts first");
  const Source s = load_source("dir:" + books.string() + "/");
  BOOST_TEST(s.id == "dir:pg19");
  BOOST_TEST(s.per_document);
  const std::vector<std::string> expected{"upper case sorts first", "first", "second"};
  BOOST_TEST(s.documents == expected, boost::test_tools::per_element());
  // Hash: "rb-documents-v1\n" then per document its u64 LE length and bytes.
  std::string framed = "rb-documents-v1\n";
  for (const auto& doc : expected) {
    for (int i = 0; i < 8; ++i) framed.push_back(static_cast<char>((doc.size() >> (8 * i)) & 0xff));
    framed += doc;
  }
  BOOST_TEST(s.content_sha256 == sha256_hex(framed));
  // A bare directory path is a dir source.
  BOOST_TEST(load_source(books.string()).content_sha256 == s.content_sha256);
}

BOOST_AUTO_TEST_CASE(directory_errors) {
  TempDir tmp;
  fs::create_directories(tmp.path / "none");
  tmp.write("none/readme.md", "x");
  BOOST_TEST(contains(input_error([&] { load_source("dir:" + (tmp.path / "none").string()); }), "no document files"));
  const fs::path empty_book = tmp.write("books/b.txt", "");
  tmp.write("books/a.txt", "fine");
  BOOST_TEST(input_error([&] { load_source("dir:" + (tmp.path / "books").string()); }) ==
             empty_book.string() + ": file is empty");
  BOOST_TEST(contains(input_error([&] { load_source("dir:" + (tmp.path / "missing").string()); }), "no such directory"));
  const fs::path file = tmp.write("plain.txt", "x");
  BOOST_TEST(contains(input_error([&] { load_source("dir:" + file.string()); }), "not a directory"));
}

BOOST_AUTO_TEST_CASE(jsonl_source) {
  TempDir tmp;
  const std::string bytes =
      "{\"text\": \"first doc\", \"meta\": 1}\n"
      "\n"
      "{\"text\": \"second\\nline \\u00e9\"}\r\n"
      "  \n"
      "{\"id\": 3, \"text\": \"\"}";
  const fs::path file = tmp.write("docs.jsonl", bytes);
  const Source s = load_source("jsonl:" + file.string());
  BOOST_TEST(s.id == "jsonl:docs.jsonl");
  BOOST_TEST(s.per_document);
  BOOST_TEST(s.content_sha256 == sha256_hex(bytes));
  const std::vector<std::string> expected{"first doc", "second\nline \xC3\xA9", ""};
  BOOST_TEST(s.documents == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(jsonl_field_is_chosen_with_a_hash) {
  TempDir tmp;
  const std::string bytes = "{\"text\": \"t1\", \"body\": \"b1\"}\n{\"text\": \"t2\", \"body\": \"b2\"}\n";
  const fs::path file = tmp.write("docs.jsonl", bytes);
  const Source body = load_source("jsonl:" + file.string() + "#body");
  BOOST_TEST(body.id == "jsonl:docs.jsonl#body");
  const std::vector<std::string> expected{"b1", "b2"};
  BOOST_TEST(body.documents == expected, boost::test_tools::per_element());
  // Other documents from the same bytes: another hash, so token caches cannot mix them up.
  const Source text = load_source("jsonl:" + file.string() + "#text");
  BOOST_TEST(text.id == "jsonl:docs.jsonl");
  BOOST_TEST(text.content_sha256 == sha256_hex(bytes));
  BOOST_TEST(body.content_sha256 != text.content_sha256);
  BOOST_TEST(load_source(file.string()).documents[0] == "t1");  // a bare .jsonl is JSON Lines
  BOOST_TEST(contains(input_error([&] { load_source("jsonl:" + file.string() + "#title"); }),
                      "line 1: no \"title\" field (fields: body, text;"));
}

BOOST_AUTO_TEST_CASE(schemes_and_columns_are_checked) {
  BOOST_TEST(parse_source_spec("jsonl:x.jsonl#body").path == fs::path("x.jsonl"));
  BOOST_TEST(parse_source_spec("jsonl:x.jsonl#body").column == "body");
  BOOST_TEST(parse_source_spec("jsonl:x.jsonl").column.empty());
  BOOST_TEST(parse_source_spec("text:notes#1.txt").path == fs::path("notes#1.txt"));  // text has no columns
  BOOST_TEST(parse_source_spec("parquet:d/train.parquet#content").kind == SourceKind::parquet);
  BOOST_TEST(parse_source_spec("parquet:d/train.parquet#content").column == "content");
  BOOST_TEST(parse_source_spec("hf:saved#text").kind == SourceKind::hf_arrow);
  BOOST_TEST(parse_source_spec("a.parquet").kind == SourceKind::parquet);
  BOOST_TEST(parse_source_spec("a.jsonl").kind == SourceKind::jsonl);
  BOOST_TEST(contains(input_error([] { parse_source_spec("jsonl:x.jsonl#"); }), "no field or column name after '#'"));
  BOOST_TEST(contains(input_error([] { parse_source_spec("parqet:x.parquet"); }),
                      "unknown scheme 'parqet' (did you mean 'parquet'?); known: bible-kjv, text, dir, jsonl"));
  BOOST_TEST(contains(input_error([] { parse_source_spec("zzz:x"); }), "unknown scheme 'zzz'; known:"));
  // A bare *.parquet is Parquet, never text: a file that is not Parquet is refused as such (or, in a
  // build without Arrow's C++ library, with the way to get it); a missing file is reported first.
  TempDir tmp;
  const fs::path pq = tmp.write("t.parquet", "PAR1");
  BOOST_TEST(contains(input_error([&] { load_source("parquet:" + (tmp.path / "none.parquet").string()); }),
                      "none.parquet: no such file or directory"));
  BOOST_TEST(contains(input_error([&] { load_source(pq.string()); }),
                      arrow_reader_available() ? "not a Parquet file Arrow can read" : "no Apache Arrow reader"));
}

BOOST_AUTO_TEST_CASE(jsonl_errors_name_the_line) {
  TempDir tmp;
  const auto error_for = [&](const std::string& bytes) {
    const fs::path file = tmp.write("e.jsonl", bytes);
    return input_error([&] { load_source("jsonl:" + file.string()); });
  };
  const std::string file = (tmp.path / "e.jsonl").string();
  BOOST_TEST(error_for("{\"text\":\"a\"}\n[1, 2]\n") == file + ": line 2: not a JSON object");
  BOOST_TEST(error_for("{\"text\":\"a\"}\n\n{\"txt\":\"b\", \"n\": 1}\n") ==
             file + ": line 3: no \"text\" field (fields: n, txt; choose one with jsonl:PATH#FIELD)");
  BOOST_TEST(error_for("{\"text\": 5}\n") == file + ": line 1: \"text\" is not a string");
  BOOST_TEST(contains(error_for("{\"text\":\"a\"}\n{\"text\": \"unterminated}\n"), file + ": line 2: invalid JSON"));
  BOOST_TEST(error_for("\n\n") == file + ": no documents (only blank lines)");
  BOOST_TEST(error_for("{\"text\":\"\xFF\"}") == file + ": byte 9: invalid UTF-8");
}

BOOST_AUTO_TEST_CASE(wikitext_rows_are_joined_like_the_hf_recipe) {
  // Expected values from Python: rows of io.StringIO(raw, newline=None), "" for `not row.strip()`,
  // "\n\n".join(rows).
  BOOST_TEST(join_wikitext_rows(" = Title = \n \n Some text . \n\xE3\x80\x80\n\xC2\xA0x\n last") ==
             " = Title = \n\n\n\n\n Some text . \n\n\n\n\n\xC2\xA0x\n\n\n last");
  BOOST_TEST(join_wikitext_rows("a\r\nb\rc\n\n") == "a\n\n\nb\n\n\nc\n\n\n");
  BOOST_TEST(join_wikitext_rows("only\n") == "only\n");
  BOOST_TEST(join_wikitext_rows("") == "");

  TempDir tmp;
  const std::string raw = " \n = Valkyria = \n \n Senjō no Valkyria 3 . \n";
  const fs::path file = tmp.write("wiki.test.raw", raw);
  const Source s = load_source("wikitext:" + file.string());
  BOOST_TEST(s.id == "wikitext:wiki.test.raw");
  BOOST_TEST(s.content_sha256 == sha256_hex(raw));  // the raw file's hash, as sha256sum prints it
  BOOST_TEST(s.documents.size() == 1u);
  BOOST_TEST(s.documents[0] == "\n\n = Valkyria = \n\n\n\n\n Senjō no Valkyria 3 . \n");
  BOOST_TEST(!s.per_document);
}

namespace {

// A stand-in for `bible` that logs its arguments and prints two verses.
fs::path fake_bible(const TempDir& tmp, const std::string& body) {
  const fs::path script = tmp.write("fake_bible.sh", "#!/bin/sh\n" + body);
  ::chmod(script.c_str(), 0755);
  return script;
}

}  // namespace

BOOST_AUTO_TEST_CASE(bible_runs_the_program_once_then_uses_the_cache) {
  TempDir tmp;
  const fs::path log = tmp.path / "calls.log";
  const fs::path program = fake_bible(tmp, "echo \"$@\" >> '" + log.string() +
                                               "'\nprintf 'Ge1:1 In the beginning.\\nRev22:21 Amen.\\n'\n");
  SourceOptions options;
  options.cache_dir = tmp.path / "cache";
  options.bible_program = program.string();
  std::vector<std::string> warnings;
  options.warn = [&](const std::string& m) { warnings.push_back(m); };

  const Source first = load_source("bible-kjv", options);
  BOOST_TEST(first.id == "bible-kjv");
  BOOST_TEST(first.documents.at(0) == "Ge1:1 In the beginning.\nRev22:21 Amen.\n");
  BOOST_TEST(first.content_sha256 == sha256_hex(first.documents[0]));
  BOOST_TEST(!first.per_document);
  BOOST_TEST(fs::exists(options.cache_dir / "bible-kjv.txt"));

  const Source second = load_source("bible-kjv", options);
  BOOST_TEST(second.content_sha256 == first.content_sha256);
  std::ifstream calls(log);
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(calls, line)) lines.push_back(line);
  BOOST_TEST(lines.size() == 1u);  // the second load came from the cache
  BOOST_TEST(lines.at(0) == "-f Gen1:1-Rev22:21");

  // A damaged cache file is replaced, with a warning.
  std::ofstream(options.cache_dir / "bible-kjv.txt", std::ios::binary) << "\xFF\xFE";
  const Source third = load_source("bible-kjv", options);
  BOOST_TEST(third.content_sha256 == first.content_sha256);
  BOOST_TEST(warnings.size() == 1u);
}

BOOST_AUTO_TEST_CASE(bible_errors_tell_how_to_install) {
  TempDir tmp;
  SourceOptions options;
  options.bible_program = (tmp.path / "no-such-bible").string();
  const std::string missing = input_error([&] { load_source("bible-kjv", options); });
  BOOST_TEST(contains(missing, "bible-kjv: program '"));
  BOOST_TEST(contains(missing, "apt-get install bible-kjv"));

  options.bible_program = "rb-no-such-program-on-path";
  BOOST_TEST(contains(input_error([&] { load_source("bible-kjv", options); }), "apt-get install bible-kjv"));

  options.bible_program = fake_bible(tmp, "exit 3\n").string();
  BOOST_TEST(contains(input_error([&] { load_source("bible-kjv", options); }), "exited with status 3"));

  options.bible_program = fake_bible(tmp, "exit 0\n").string();
  BOOST_TEST(contains(input_error([&] { load_source("bible-kjv", options); }), "printed nothing"));
}

BOOST_AUTO_TEST_CASE(real_bible_kjv_when_installed) {
  if (!fs::exists("/usr/bin/bible") || !fs::exists("/usr/lib/bible.data")) {
    BOOST_TEST_MESSAGE("bible-kjv not installed; skipping the real-text check");
    return;
  }
  const Source s = load_source("bible-kjv");
  const std::string& text = s.documents.at(0);
  BOOST_TEST(text.rfind("Ge1:1 In the beginning God created the heaven and the earth.\n", 0) == 0u);
  BOOST_TEST(contains(text, "\nRev22:21 The grace of our Lord Jesus Christ be with you all. Amen.\n"));
  BOOST_TEST(std::count(text.begin(), text.end(), '\n') == 31102);  // one line per verse
}
