#include "harness/grid_paths.hpp"

#include <cstdlib>
#include <filesystem>

#include "common/error.hpp"
#include "datasets/source.hpp"

namespace rb::grid_detail {

namespace fs = std::filesystem;

namespace {

std::string absolute_from(const fs::path& path, const std::string& base_dir) {
  if (path.is_absolute()) return path.lexically_normal().string();
  const fs::path base = base_dir.empty() ? fs::current_path() : fs::absolute(base_dir);
  return (base / path).lexically_normal().string();
}

}  // namespace

std::string model_alias_variable(const std::string& name) {
  if (name == "smollm2") return "RB_SMOLLM2_GGUF";
  return "";
}

std::string resolve_model(const std::string& spec, const std::string& base_dir, const std::string& source,
                          const std::string& field) {
  if (spec.empty()) throw InputError(source, field, "empty model path");
  const std::string variable = model_alias_variable(spec);
  if (!variable.empty()) {
    const char* value = std::getenv(variable.c_str());
    return (value && *value) ? std::string(value) : spec;
  }
  return absolute_from(spec, base_dir);
}

std::string resolve_dataset(const std::string& spec, const std::string& base_dir, const std::string& source,
                            const std::string& field) {
  data::SourceSpec parsed;
  try {
    parsed = data::parse_source_spec(spec);
  } catch (const InputError& e) {
    throw InputError(source, field, "bad dataset \"" + spec + "\": " + e.what());
  }
  if (parsed.kind == data::SourceKind::bible_kjv) return "bible-kjv";
  const std::string prefix = std::string(data::kind_name(parsed.kind)) + ":";
  const bool bare = spec.rfind(prefix, 0) != 0;
  const std::string path = absolute_from(parsed.path, base_dir);
  // A bare path is a folder (dir) or a file (text), judged where it really is.
  const std::string column = parsed.column;
  if (bare) parsed = data::parse_source_spec(path);
  return std::string(data::kind_name(parsed.kind)) + ":" + path + (column.empty() ? "" : "#" + column);
}

}  // namespace rb::grid_detail
