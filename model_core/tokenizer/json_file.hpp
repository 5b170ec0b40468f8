#pragma once
// Reading a JSON file with errors that name it.
#include <filesystem>

#include <nlohmann/json.hpp>

namespace rb::tok {

// Throws InputError(path, "", ...) when the file cannot be read or is not valid JSON.
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace rb::tok
