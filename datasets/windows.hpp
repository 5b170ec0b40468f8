#pragma once
// Evaluation windows over a token stream: the non-overlapping split and the strided sliding window
// of the Hugging Face transformers recipe "Perplexity of fixed-length models" (its `trg_len`),
// restricted to full windows. Pure functions; the exact rules are in docs/DATASETS.md, "Windows".
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "datasets/token_stream.hpp"

namespace rb::data {

struct WindowOptions {
  std::size_t length = 0;                  // L >= 2 tokens per window
  std::optional<std::size_t> stride;       // S in [1, L]: sliding windows; none: non-overlapping (S = L)
  std::optional<std::size_t> max_windows;  // keep the first N windows (N >= 1)
  std::optional<std::size_t> max_tokens;   // keep the first N tokens of each stream (N >= 1)
  bool per_document = false;               // windows per document, or over the concatenation
};

// Tokens [start, start + length) of stream `document` (the document index when per_document, else
// 0 = the concatenation). Scored predictions: positions t in [score_from, length - 1) of the window,
// each predicting the window's token t + 1 from the tokens up to t.
struct Window {
  std::size_t document = 0;
  std::size_t start = 0;
  std::size_t length = 0;
  std::size_t score_from = 0;

  std::size_t scored() const { return length - 1 - score_from; }
  bool operator==(const Window&) const = default;
};

struct WindowPlan {
  std::vector<Window> windows;
  std::size_t skipped_streams = 0;  // documents (or the concatenation) shorter than L after max_tokens
  std::size_t skipped_tokens = 0;   // tokens in those streams
  std::size_t scored_predictions = 0;
  bool truncated_by_max_windows = false;
};

// Throws rb::InputError("windows", FIELD, problem) for L < 2, S == 0, S > L, max_windows == 0 or
// max_tokens == 0.
void validate(const WindowOptions& options);

// Windows over streams of the given lengths (the documents' lengths; with per_document == false
// they are concatenated into one stream first).
WindowPlan plan_windows(std::span<const std::size_t> document_lengths, const WindowOptions& options);
WindowPlan plan_windows(const TokenStream& stream, const WindowOptions& options);

}  // namespace rb::data
