#include "model_core/tokenizer/sentencepiece_proto.hpp"

#include <cstdint>

namespace rb::tok {
namespace {

// Protocol buffers wire format (protobuf.dev/programming-guides/encoding): a key varint
// (field << 3 | wire type), then a varint (0), 8 bytes (1), a length-prefixed run (2) or 4 bytes (5).
class WireReader {
 public:
  explicit WireReader(std::string_view bytes) : bytes_(bytes) {}

  bool done() const { return at_ == bytes_.size(); }

  bool varint(uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ == bytes_.size()) return false;
      const auto byte = static_cast<uint8_t>(bytes_[at_++]);
      value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }

  // One field: its number, and for a length-delimited field its payload. False when malformed.
  bool field(uint64_t& number, std::optional<std::string_view>& payload) {
    uint64_t key = 0;
    if (!varint(key)) return false;
    number = key >> 3;
    payload.reset();
    uint64_t skipped = 0;
    switch (key & 7) {
      case 0: return varint(skipped);
      case 1: return skip(8);
      case 5: return skip(4);
      case 2: {
        uint64_t length = 0;
        if (!varint(length) || length > bytes_.size() - at_) return false;
        payload = bytes_.substr(at_, length);
        at_ += length;
        return true;
      }
      default: return false;  // groups (3, 4) and unused types do not occur in a ModelProto
    }
  }

 private:
  bool skip(size_t n) {
    if (n > bytes_.size() - at_) return false;
    at_ += n;
    return true;
  }

  std::string_view bytes_;
  size_t at_ = 0;
};

constexpr uint64_t kPiecesField = 1;      // ModelProto.pieces
constexpr uint64_t kPieceTextField = 1;   // SentencePiece.piece

}  // namespace

std::optional<PieceProblem> unloadable_piece(std::string_view serialized_model) {
  WireReader model(serialized_model);
  size_t index = 0;
  while (!model.done()) {
    uint64_t number = 0;
    std::optional<std::string_view> payload;
    if (!model.field(number, payload)) return std::nullopt;
    if (number != kPiecesField || !payload) continue;
    WireReader piece(*payload);
    while (!piece.done()) {
      uint64_t inner = 0;
      std::optional<std::string_view> text;
      if (!piece.field(inner, text)) return std::nullopt;
      if (inner == kPieceTextField && text && text->find('\0') != std::string_view::npos)
        return PieceProblem{"pieces[" + std::to_string(index) + "]", "the piece contains a NUL byte"};
    }
    ++index;
  }
  return std::nullopt;
}

}  // namespace rb::tok
