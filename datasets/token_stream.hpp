#pragma once
// Token ids of a source, one vector per document, and the function that makes them.
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace rb::data {

// Text -> token ids. The harness passes a lambda over the model's tokenizer; `first_document` is
// true for a source's first document only, so the lambda can add BOS following its policy (for
// example: BOS before every document, or only before the first).
using TokenizeFn = std::function<std::vector<std::int32_t>(std::string_view text, bool first_document)>;

struct TokenStream {
  std::vector<std::vector<std::int32_t>> documents;

  std::size_t total_tokens() const {
    std::size_t n = 0;
    for (const auto& doc : documents) n += doc.size();
    return n;
  }
  std::vector<std::size_t> document_lengths() const {
    std::vector<std::size_t> lengths;
    lengths.reserve(documents.size());
    for (const auto& doc : documents) lengths.push_back(doc.size());
    return lengths;
  }
  // The documents back to back: the stream that concatenated windows (WindowPlan with
  // per_document == false) index into.
  std::vector<std::int32_t> concatenated() const {
    std::vector<std::int32_t> all;
    all.reserve(total_tokens());
    for (const auto& doc : documents) all.insert(all.end(), doc.begin(), doc.end());
    return all;
  }
};

}  // namespace rb::data
