#pragma once
// Checks on a serialized sentencepiece ModelProto that libsentencepiece itself does not make
// before it builds its tries (sentencepiece_model.proto: ModelProto.pieces = 1, SentencePiece.piece = 1).
#include <optional>
#include <string>
#include <string_view>

namespace rb::tok {

// Why libsentencepiece cannot be given these bytes safely, or nothing. A piece with a NUL byte
// makes Darts' DawgBuilder::insert throw through sentencepiece's trie build, which ends the
// process instead of returning a status. Bytes that are not a well-formed message are left to
// sentencepiece's own parser to report.
struct PieceProblem {
  std::string field;    // "pieces[i]"
  std::string problem;
};
std::optional<PieceProblem> unloadable_piece(std::string_view serialized_model);

}  // namespace rb::tok
