#include "model_core/tokenizer/json_node.hpp"

#include "common/error.hpp"

namespace rb::tok {

void JsonNode::fail(const std::string& problem) const { throw InputError(*file_, path_, problem); }

void JsonNode::fail_at(const std::string& key, const std::string& problem) const {
  throw InputError(*file_, path_of(key), problem);
}

void JsonNode::require_object() const {
  if (!value_->is_object()) fail(std::string("expected a JSON object, found ") + value_->type_name());
}

bool JsonNode::has(const std::string& key) const {
  return value_->is_object() && value_->contains(key) && !(*value_)[key].is_null();
}

JsonNode JsonNode::child(const std::string& key) const {
  require_object();
  if (!has(key)) fail_at(key, "missing");
  return JsonNode((*value_)[key], *file_, path_of(key));
}

std::optional<JsonNode> JsonNode::optional_child(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return JsonNode((*value_)[key], *file_, path_of(key));
}

size_t JsonNode::array_size() const {
  if (!value_->is_array()) fail(std::string("expected a JSON array, found ") + value_->type_name());
  return value_->size();
}

JsonNode JsonNode::element(size_t index) const {
  if (index >= array_size()) fail("index " + std::to_string(index) + " out of range");
  return JsonNode((*value_)[index], *file_, path_ + "[" + std::to_string(index) + "]");
}

std::string JsonNode::as_string() const {
  if (!value_->is_string()) fail(std::string("expected a string, found ") + value_->type_name());
  return value_->get<std::string>();
}

int64_t JsonNode::as_integer() const {
  if (!value_->is_number_integer()) fail(std::string("expected an integer, found ") + value_->type_name());
  return value_->get<int64_t>();
}

std::string JsonNode::string(const std::string& key) const { return child(key).as_string(); }

std::string JsonNode::string_or(const std::string& key, const std::string& fallback) const {
  return has(key) ? string(key) : fallback;
}

bool JsonNode::boolean_or(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  const auto& v = (*value_)[key];
  if (!v.is_boolean()) fail_at(key, std::string("expected true or false, found ") + v.type_name());
  return v.get<bool>();
}

int64_t JsonNode::integer(const std::string& key) const { return child(key).as_integer(); }

}  // namespace rb::tok
