#pragma once
// tokenizer.json "post_processor" (tokenizers crate, src/processors/) for a single sequence: the
// special tokens placed around the encoded text when add_special_tokens is true.
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "model_core/tokenizer/json_node.hpp"

namespace rb::tok {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // With add_special false every processor leaves the ids as they are (as the crate does).
  virtual void process(std::vector<int32_t>& ids, bool add_special) const = 0;
  // The special token this processor puts first / last, if any (used to find BOS / EOS).
  virtual std::optional<int32_t> leading_token() const { return std::nullopt; }
  virtual std::optional<int32_t> trailing_token() const { return std::nullopt; }
};

// Supported: TemplateProcessing, ByteLevel (no effect on ids), RobertaProcessing,
// BertProcessing, Sequence. Anything else: InputError naming the JSON path and the type.
std::unique_ptr<PostProcessor> make_post_processor(const JsonNode& node);
// Special ids before and after the sequence (a TemplateProcessing "X $A Y").
std::unique_ptr<PostProcessor> make_template_post_processor(std::vector<int32_t> before, std::vector<int32_t> after);

}  // namespace rb::tok
