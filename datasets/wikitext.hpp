#pragma once
// WikiText raw files (wiki.test.raw, wiki.valid.raw, wiki.train.raw) turned into the one string the
// common perplexity recipe evaluates: `"\n\n".join(dataset["text"])` (Hugging Face transformers,
// "Perplexity of fixed-length models"), where `dataset` is the Hugging Face `wikitext` dataset.
#include <string>
#include <string_view>

namespace rb::data {

// Rebuilds `"\n\n".join(dataset["text"])` from the raw file, following the dataset's loading script
// (wikitext.py, _generate_examples): it opens the file in Python text mode and yields one row per
// line, *keeping the line's trailing "\n"*, and yields "" for a line that is whitespace only
// (`if row.strip()`). So, exactly:
//   1. "\r\n" and lone "\r" become "\n" (Python's universal newlines);
//   2. the text is cut after every "\n" (a final line without "\n" is a row too; nothing after a
//      final "\n" is);
//   3. a row whose every character is Python whitespace becomes "";
//   4. the rows are joined with "\n\n".
// Input must be valid UTF-8 (the caller checks).
std::string join_wikitext_rows(std::string_view raw);

}  // namespace rb::data
