#include "model_core/tokenizer/post_processors.hpp"

#include <cstdint>
#include <string>

namespace rb::tok {
namespace {

class TemplatePostProcessor final : public PostProcessor {
 public:
  TemplatePostProcessor(std::vector<int32_t> before, std::vector<int32_t> after)
      : before_(std::move(before)), after_(std::move(after)) {}
  void process(std::vector<int32_t>& ids, bool add_special) const override {
    if (!add_special) return;
    ids.insert(ids.begin(), before_.begin(), before_.end());
    ids.insert(ids.end(), after_.begin(), after_.end());
  }
  std::optional<int32_t> leading_token() const override {
    return before_.empty() ? std::nullopt : std::optional<int32_t>(before_.front());
  }
  std::optional<int32_t> trailing_token() const override {
    return after_.empty() ? std::nullopt : std::optional<int32_t>(after_.back());
  }

 private:
  std::vector<int32_t> before_, after_;
};

class NoOpPostProcessor final : public PostProcessor {
 public:
  void process(std::vector<int32_t>&, bool) const override {}
};

class SequencePostProcessor final : public PostProcessor {
 public:
  explicit SequencePostProcessor(std::vector<std::unique_ptr<PostProcessor>> steps) : steps_(std::move(steps)) {}
  void process(std::vector<int32_t>& ids, bool add_special) const override {
    for (const auto& step : steps_) step->process(ids, add_special);
  }
  std::optional<int32_t> leading_token() const override {
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
      if (auto t = (*it)->leading_token()) return t;
    }
    return std::nullopt;
  }
  std::optional<int32_t> trailing_token() const override {
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
      if (auto t = (*it)->trailing_token()) return t;
    }
    return std::nullopt;
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

// processors/template.rs: "single" is a list of {"SpecialToken": {"id": NAME}} and
// {"Sequence": {"id": "A"}}; each NAME's ids come from "special_tokens".
std::unique_ptr<PostProcessor> make_template(const JsonNode& node) {
  const JsonNode single = node.child("single");
  std::vector<int32_t> before, after;
  bool seen_sequence = false;
  for (size_t i = 0; i < single.array_size(); ++i) {
    const JsonNode item = single.element(i);
    item.require_object();
    if (item.has("Sequence")) {
      const std::string id = item.child("Sequence").string("id");
      if (id != "A") item.fail_at("Sequence.id", "a single-sequence template may only use $A, found $" + id);
      if (seen_sequence) item.fail("$A appears twice in the template");
      seen_sequence = true;
      continue;
    }
    if (!item.has("SpecialToken")) item.fail("expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
    const std::string name = item.child("SpecialToken").string("id");
    const JsonNode special = node.child("special_tokens");
    special.require_object();
    if (!special.has(name)) special.fail_at(name, "missing (used by " + item.path() + ")");
    const JsonNode ids = special.child(name).child("ids");
    for (size_t k = 0; k < ids.array_size(); ++k) {
      const int64_t id = ids.element(k).as_integer();
      if (id < 0 || id > INT32_MAX) ids.element(k).fail("token id out of range");
      (seen_sequence ? after : before).push_back(static_cast<int32_t>(id));
    }
  }
  if (!seen_sequence) single.fail("the template has no $A");
  return make_template_post_processor(std::move(before), std::move(after));
}

// processors/roberta.rs and bert.rs: cls $A sep, with "cls"/"sep" as [token, id].
std::unique_ptr<PostProcessor> make_cls_sep(const JsonNode& node) {
  auto id_of = [&](const std::string& key) {
    const JsonNode pair = node.child(key);
    if (pair.array_size() != 2) pair.fail("expected [token, id]");
    const int64_t id = pair.element(1).as_integer();
    if (id < 0 || id > INT32_MAX) pair.element(1).fail("token id out of range");
    return static_cast<int32_t>(id);
  };
  return make_template_post_processor({id_of("cls")}, {id_of("sep")});
}

}  // namespace

std::unique_ptr<PostProcessor> make_template_post_processor(std::vector<int32_t> before, std::vector<int32_t> after) {
  return std::make_unique<TemplatePostProcessor>(std::move(before), std::move(after));
}

std::unique_ptr<PostProcessor> make_post_processor(const JsonNode& node) {
  node.require_object();
  const std::string type = node.type();
  if (type == "TemplateProcessing") return make_template(node);
  if (type == "ByteLevel") return std::make_unique<NoOpPostProcessor>();  // only trims offsets
  if (type == "RobertaProcessing" || type == "BertProcessing") return make_cls_sep(node);
  if (type == "Sequence") {
    const JsonNode list = node.child("processors");
    std::vector<std::unique_ptr<PostProcessor>> steps;
    for (size_t i = 0; i < list.array_size(); ++i) steps.push_back(make_post_processor(list.element(i)));
    return std::make_unique<SequencePostProcessor>(std::move(steps));
  }
  node.fail_at("type", "unsupported post-processor \"" + type +
                           "\" (supported: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence)");
}

}  // namespace rb::tok
