#pragma once
// Model and dataset names in grids: aliases ("smollm2" = $RB_SMOLLM2_GGUF) and relative paths
// (against the grid file's folder, or the working directory) made absolute.
#include <string>

namespace rb::grid_detail {

// The alias's environment variable ("RB_SMOLLM2_GGUF" for "smollm2"), or "" when `name` is no alias.
std::string model_alias_variable(const std::string& name);

// An alias becomes its variable's value (left as the alias when the variable is unset: validation
// then says so); a relative path is resolved against `base_dir` (empty: the working directory).
std::string resolve_model(const std::string& spec, const std::string& base_dir, const std::string& source,
                          const std::string& field);

// "bible-kjv" stays; "text:PATH", "dir:PATH", "jsonl:PATH", "wikitext:PATH" or a bare PATH become
// "KIND:/absolute/path". Throws rb::InputError(source, field, problem) for a malformed spec.
std::string resolve_dataset(const std::string& spec, const std::string& base_dir, const std::string& source,
                            const std::string& field);

}  // namespace rb::grid_detail
