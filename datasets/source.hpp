#pragma once
// Text sources for perplexity and LongPPL: where the documents come from, the exact bytes used
// (hashed, so reports and the token cache can name the data), and how windows are laid over them.
// See docs/DATASETS.md for every rule stated here.
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace rb::data {

enum class SourceKind {
  text,       // "text:PATH": one UTF-8 file, one document
  directory,  // "dir:PATH": one document per file (*.txt or no extension), sorted by name (PG19 layout)
  jsonl,      // "jsonl:PATH[#FIELD]": one JSON object per line, its FIELD (default "text") string is the document
  parquet,    // "parquet:PATH[#COLUMN]": Parquet (needs Apache Arrow's C++ library; see docs/DATASETS.md)
  hf_arrow,   // "hf:PATH[#COLUMN]": a Hugging Face `datasets` save_to_disk folder (Arrow; likewise)
  wikitext,   // "wikitext:PATH": wiki.*.raw joined like the Hugging Face perplexity recipe
  bible_kjv,  // "bible-kjv": Debian's bible-kjv text, printed by `bible -f Gen1:1-Rev22:21`
};

// "text", "dir", "jsonl", "parquet", "hf", "wikitext", "bible-kjv" (the spec prefixes).
std::string_view kind_name(SourceKind kind);

struct SourceSpec {
  SourceKind kind = SourceKind::text;
  std::filesystem::path path;  // empty for bible-kjv
  std::string column;          // jsonl field / Parquet or Arrow column ("#NAME"); empty: "text"
};

// "text:PATH", "dir:PATH", "jsonl:PATH[#FIELD]", "parquet:PATH[#COLUMN]", "hf:PATH[#COLUMN]",
// "wikitext:PATH", "bible-kjv", or a bare PATH (an existing directory -> dir, *.jsonl -> jsonl,
// *.parquet -> parquet, anything else -> text). A "NAME:" prefix that names no scheme, on a path
// that does not exist, is an unknown scheme. Throws rb::InputError("source", spec, problem).
SourceSpec parse_source_spec(std::string_view spec);

using WarnFn = std::function<void(const std::string& message)>;

struct SourceOptions {
  // Where the bible-kjv text is cached as bible-kjv.txt; empty: run `bible` every time.
  std::filesystem::path cache_dir;
  // The program that prints the King James text (Debian package bible-kjv).
  std::string bible_program = "bible";
  // Non-fatal problems (an unwritable cache); default: one line on stderr.
  WarnFn warn;
};

struct Source {
  std::string id;                      // "KIND:NAME" with NAME the file or folder name, or "bible-kjv"
  SourceKind kind = SourceKind::text;
  std::string content_sha256;          // lower-case hex; what it covers: docs/DATASETS.md "Hashes"
  std::vector<std::string> documents;  // UTF-8 text, in order
  bool per_document = false;           // default windowing: per document (dir, jsonl) or concatenated
};

// Reads and validates a source. Throws rb::InputError naming the file, the field (line, byte) and
// the problem: missing or unreadable file, empty file, invalid UTF-8, bad JSONL line, no documents,
// missing `bible` program.
Source load_source(const SourceSpec& spec, const SourceOptions& options = {});
Source load_source(std::string_view spec, const SourceOptions& options = {});

}  // namespace rb::data
