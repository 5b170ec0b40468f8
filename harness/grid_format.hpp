#pragma once
// A grid's contents for people (`ropebatch grids --show NAME`): settings, method entries and every
// configuration, as text, Markdown (docs/GRIDS.md is generated with it) or JSON.
#include <string>

#include <nlohmann/json.hpp>

#include "harness/grid.hpp"

namespace rb {

nlohmann::json grid_to_json(const Grid& grid);
std::string grid_to_markdown(const Grid& grid);
std::string grid_to_text(const Grid& grid);

// "[2048, 4096]" -> "2k, 4k" (multiples of 1024 in k).
std::string format_lengths(const std::vector<int64_t>& lengths);

}  // namespace rb
