#pragma once
// PNG copies of the SVG figures through an external rasterizer (Debian's rsvg-convert, package
// librsvg2-bin), found on PATH when the report runs.
#include <optional>
#include <string>

namespace rb::reports {

// The full path of `program` in $PATH, or nullopt.
std::optional<std::string> find_on_path(const std::string& program);

// Runs `rasterizer` -z 2 -o PNG SVG (twice the SVG's pixel size). Throws rb::Error with its exit
// status when it fails.
void rasterize_svg(const std::string& rasterizer, const std::string& svg_path, const std::string& png_path);

}  // namespace rb::reports
