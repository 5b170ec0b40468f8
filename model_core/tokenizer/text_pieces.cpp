#include "model_core/tokenizer/text_pieces.hpp"
#include <algorithm>

namespace rb::tok {

std::vector<Span> spans_from_matches(size_t text_size, const std::vector<ByteRange>& matches) {
  if (text_size == 0) return {Span{0, 0, false}};
  std::vector<Span> spans;
  spans.reserve(matches.size() * 2 + 1);
  size_t prev = 0;
  for (const auto& [begin, end] : matches) {
    if (prev != begin) spans.push_back({prev, begin, false});
    spans.push_back({begin, end, true});
    prev = end;
  }
  if (prev != text_size) spans.push_back({prev, text_size, false});
  return spans;
}

void split_piece(const Piece& piece, std::vector<Span> spans, SplitBehavior behavior, bool invert,
                 std::vector<Piece>& out) {
  if (invert) {
    for (auto& s : spans) s.is_match = !s.is_match;
  }
  // Each kept span, with `remove` telling whether it is dropped (normalizer.rs, split()).
  struct Kept {
    size_t begin, end;
    bool remove;
  };
  std::vector<Kept> kept;
  kept.reserve(spans.size());
  switch (behavior) {
    case SplitBehavior::Isolated:
      for (const auto& s : spans) kept.push_back({s.begin, s.end, false});
      break;
    case SplitBehavior::Removed:
      for (const auto& s : spans) kept.push_back({s.begin, s.end, s.is_match});
      break;
    case SplitBehavior::Contiguous: {
      bool previous_match = false;
      for (const auto& s : spans) {
        if (s.is_match == previous_match && !kept.empty()) {
          kept.back().end = s.end;
        } else {
          kept.push_back({s.begin, s.end, false});
        }
        previous_match = s.is_match;
      }
      break;
    }
    case SplitBehavior::MergedWithPrevious: {
      bool previous_match = false;
      for (const auto& s : spans) {
        if (s.is_match && !previous_match && !kept.empty()) {
          kept.back().end = s.end;
        } else {
          kept.push_back({s.begin, s.end, false});
        }
        previous_match = s.is_match;
      }
      break;
    }
    case SplitBehavior::MergedWithNext: {
      bool previous_match = false;
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->is_match && !previous_match && !kept.empty()) {
          kept.back().begin = it->begin;
        } else {
          kept.push_back({it->begin, it->end, false});
        }
        previous_match = it->is_match;
      }
      std::reverse(kept.begin(), kept.end());
      break;
    }
  }
  for (const auto& k : kept) {
    if (k.remove || k.begin == k.end) continue;
    out.push_back(Piece{piece.text.substr(k.begin, k.end - k.begin), piece.at_origin && k.begin == 0, -1});
  }
}

}  // namespace rb::tok
