#pragma once
// PNG copies of the SVG figures through an external rasterizer (Debian's rsvg-convert, package
// librsvg2-bin), found on PATH when the report runs.
#include <optional>
#include <string>

namespace rb::reports {

// The full path of `program` in $PATH, or nullopt.
std::optional<std::string> find_on_path(const std::string& program);

// Runs `rasterizer` -z ZOOM -o PNG SVG. Throws rb::Error with its exit status when it fails (and
// removes what it left at PNG).
void rasterize_svg(const std::string& rasterizer, const std::string& svg_path, const std::string& png_path,
                   double zoom);

// The zoom for a PNG of an SVG of `width` x `height` pixels: 2 (sharp in print), less for a figure
// so large that a side would pass `max_side` pixels (rasterizers refuse those); nullopt when that
// would shrink it below its own size (the PNG would be unreadable: the SVG is the figure then).
std::optional<double> png_zoom(double width, double height, double max_side = 32000);

}  // namespace rb::reports
