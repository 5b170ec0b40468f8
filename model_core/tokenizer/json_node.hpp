#pragma once
// Typed, path-aware access to a tokenizer.json document: every error names the file and the JSON
// path ("pre_tokenizer.pretokenizers[1].type") of the offending value.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace rb::tok {

class JsonNode {
 public:
  JsonNode(const nlohmann::json& value, const std::string& file, std::string path)
      : value_(&value), file_(&file), path_(std::move(path)) {}

  const nlohmann::json& value() const { return *value_; }
  const std::string& file() const { return *file_; }
  const std::string& path() const { return path_; }
  std::string path_of(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  bool has(const std::string& key) const;  // present and not null
  JsonNode child(const std::string& key) const;  // must be present and not null
  std::optional<JsonNode> optional_child(const std::string& key) const;
  JsonNode element(size_t index) const;
  size_t array_size() const;  // requires an array
  void require_object() const;

  std::string string(const std::string& key) const;
  std::string string_or(const std::string& key, const std::string& fallback) const;
  bool boolean_or(const std::string& key, bool fallback) const;
  int64_t integer(const std::string& key) const;
  std::string as_string() const;
  int64_t as_integer() const;
  // The "type" field, as every tagged tokenizers component has.
  std::string type() const { return string("type"); }

  [[noreturn]] void fail(const std::string& problem) const;
  [[noreturn]] void fail_at(const std::string& key, const std::string& problem) const;

 private:
  const nlohmann::json* value_;
  const std::string* file_;
  std::string path_;
};

}  // namespace rb::tok
