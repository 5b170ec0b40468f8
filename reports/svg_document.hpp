#pragma once
// A small SVG writer: shapes and text appended in order, numbers written with two decimals so the
// same figure is the same bytes. Coordinates in pixels, origin top left.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rb::reports {

struct Stroke {
  std::string colour = "#000000";
  double width = 1.0;
  std::string dash;  // SVG stroke-dasharray, "" = solid
};

enum class Anchor { start, middle, end };

struct TextStyle {
  double size = 12.0;
  Anchor anchor = Anchor::start;
  std::string colour = "#222222";
  bool bold = false;
  double rotate = 0.0;  // degrees, about the anchor point
};

class SvgDocument {
 public:
  SvgDocument(double width, double height, std::string title);
  // For figures whose height is known only once drawn.
  void set_height(double height) { height_ = height; }

  void rect(double x, double y, double w, double h, const std::string& fill, const Stroke* stroke = nullptr);
  // A rectangle filled with diagonal hatching over a light grey: a cell with no value.
  void hatched_rect(double x, double y, double w, double h);
  void line(double x1, double y1, double x2, double y2, const Stroke& stroke);
  void polyline(const std::vector<std::pair<double, double>>& points, const Stroke& stroke);
  // Markers: 0 circle, 1 square, 2 triangle, 3 diamond, 4 triangle down (index taken modulo 5).
  void marker(int shape, double x, double y, double radius, const std::string& fill);
  // An "x" of two strokes.
  void cross(double x, double y, double radius, const Stroke& stroke);
  void text(double x, double y, std::string_view content, const TextStyle& style);

  std::string str() const;

 private:
  double width_, height_;
  std::string title_;
  std::string body_;
  bool uses_hatch_ = false;
};

// An estimate of the width of `text` in the report's sans-serif font at `size` pixels (there are no
// font metrics here; generous, so that labels do not collide).
double text_width(std::string_view text, double size);

}  // namespace rb::reports
