#pragma once
// The default corpus: the King James Bible as Debian's bible-kjv prints it. `bible -f` turns
// pretty-printing off, which prints one verse per line, each preceded by its reference
// ("Ge1:1 In the beginning God created the heaven and the earth."), with no line wrapping and no
// pager; "Gen1:1-Rev22:21" is the whole text (bible(1), "Verse References"). Needs the Debian
// packages bible-kjv (the program) and bible-kjv-text (its data).
#include <filesystem>
#include <string>

#include "datasets/source.hpp"

namespace rb::data {

// The arguments ropebatch passes to the program (after its name).
inline constexpr const char* kBibleArguments[] = {"-f", "Gen1:1-Rev22:21"};

// Runs `PROGRAM -f Gen1:1-Rev22:21` with stdin from /dev/null and returns its stdout. Throws
// rb::InputError("bible-kjv", ...) telling the user to `apt-get install bible-kjv` when the program
// is missing, or when it fails or prints nothing.
std::string run_bible_program(const std::string& program);

// The bible-kjv text: from `<cache_dir>/bible-kjv.txt` when that holds non-empty valid UTF-8, else
// from run_bible_program (then cached there, atomically; a failed write is only a warning).
std::string bible_kjv_text(const SourceOptions& options);

}  // namespace rb::data
