#include "reports/svg_document.hpp"

#include <cmath>
#include <cstdio>

#include "reports/report_format.hpp"

namespace rb::reports {

namespace {

constexpr const char* kFont = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif";
constexpr const char* kHatchFill = "#d9d9d9";

std::string num(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%.2f", v);
  std::string s = text;
  if (s == "-0.00") s = "0.00";
  // Trim trailing zeros: "12.50" -> "12.5", "12.00" -> "12".
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string stroke_attributes(const Stroke& s) {
  std::string a = " stroke=\"" + s.colour + "\" stroke-width=\"" + num(s.width) + "\"";
  if (!s.dash.empty()) a += " stroke-dasharray=\"" + s.dash + "\"";
  return a;
}

}  // namespace

SvgDocument::SvgDocument(double width, double height, std::string title)
    : width_(width), height_(height), title_(std::move(title)) {}

void SvgDocument::rect(double x, double y, double w, double h, const std::string& fill, const Stroke* stroke) {
  body_ += "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(w) + "\" height=\"" + num(h) +
           "\" fill=\"" + fill + "\"" + (stroke ? stroke_attributes(*stroke) : std::string()) + "/>\n";
}

void SvgDocument::hatched_rect(double x, double y, double w, double h) {
  uses_hatch_ = true;
  rect(x, y, w, h, "url(#no-value)");
}

void SvgDocument::line(double x1, double y1, double x2, double y2, const Stroke& stroke) {
  body_ += "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" + num(y2) + "\"" +
           stroke_attributes(stroke) + "/>\n";
}

void SvgDocument::polyline(const std::vector<std::pair<double, double>>& points, const Stroke& stroke) {
  if (points.size() < 2) return;
  std::string p;
  for (const auto& [x, y] : points) p += (p.empty() ? "" : " ") + num(x) + "," + num(y);
  body_ += "<polyline points=\"" + p + "\" fill=\"none\"" + stroke_attributes(stroke) +
           " stroke-linejoin=\"round\"/>\n";
}

void SvgDocument::marker(int shape, double x, double y, double r, const std::string& fill) {
  const std::string style = " fill=\"" + fill + "\" stroke=\"#ffffff\" stroke-width=\"0.8\"/>\n";
  const auto polygon = [&](const std::vector<std::pair<double, double>>& pts) {
    std::string p;
    for (const auto& [px, py] : pts) p += (p.empty() ? "" : " ") + num(x + px) + "," + num(y + py);
    body_ += "<polygon points=\"" + p + "\"" + style;
  };
  switch (((shape % 5) + 5) % 5) {
    case 0: body_ += "<circle cx=\"" + num(x) + "\" cy=\"" + num(y) + "\" r=\"" + num(r) + "\"" + style; break;
    case 1: rect(x - r * 0.9, y - r * 0.9, r * 1.8, r * 1.8, fill); break;
    case 2: polygon({{0, -r * 1.15}, {r * 1.05, r * 0.75}, {-r * 1.05, r * 0.75}}); break;
    case 3: polygon({{0, -r * 1.25}, {r * 1.1, 0}, {0, r * 1.25}, {-r * 1.1, 0}}); break;
    default: polygon({{0, r * 1.15}, {r * 1.05, -r * 0.75}, {-r * 1.05, -r * 0.75}}); break;
  }
}

void SvgDocument::cross(double x, double y, double r, const Stroke& stroke) {
  line(x - r, y - r, x + r, y + r, stroke);
  line(x - r, y + r, x + r, y - r, stroke);
}

void SvgDocument::text(double x, double y, std::string_view content, const TextStyle& style) {
  const char* anchor = style.anchor == Anchor::start ? "start" : style.anchor == Anchor::middle ? "middle" : "end";
  body_ += "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" font-size=\"" + num(style.size) + "\" text-anchor=\"" +
           anchor + "\" fill=\"" + style.colour + "\"";
  if (style.bold) body_ += " font-weight=\"bold\"";
  if (style.rotate != 0.0) body_ += " transform=\"rotate(" + num(style.rotate) + " " + num(x) + " " + num(y) + ")\"";
  body_ += ">" + xml_text(content) + "</text>\n";
}

std::string SvgDocument::str() const {
  std::string head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  head += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(width_) + "\" height=\"" + num(height_) +
          "\" viewBox=\"0 0 " + num(width_) + " " + num(height_) + "\" font-family=\"" + kFont + "\">\n";
  head += "<title>" + xml_text(title_) + "</title>\n";
  if (uses_hatch_)
    head += std::string("<defs><pattern id=\"no-value\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
                        "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"") +
            kHatchFill + "\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#a6a6a6\" stroke-width=\"2\"/>"
            "</pattern></defs>\n";
  head += "<rect x=\"0\" y=\"0\" width=\"" + num(width_) + "\" height=\"" + num(height_) + "\" fill=\"#ffffff\"/>\n";
  return head + body_ + "</svg>\n";
}

double text_width(std::string_view text, double size) {
  // Count code points, not bytes; wide glyphs (digits, capitals, most symbols) ~0.62 em, narrow
  // ones ~0.3 em, others ~0.56 em (DejaVu Sans).
  double em = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;  // UTF-8 continuation byte
    if (c >= 0x80) em += 0.7;
    else if (c == 'i' || c == 'l' || c == 'j' || c == '.' || c == ',' || c == ':' || c == ';' || c == '|' || c == '!' || c == '\'' || c == ' ' || c == 'f' || c == 't' || c == 'r' || c == '(' || c == ')' || c == '[' || c == ']')
      em += 0.36;
    else if (c >= 'A' && c <= 'Z') em += 0.7;
    else if (c == 'm' || c == 'w' || c == 'W' || c == 'M') em += 0.9;
    else em += 0.62;
  }
  return em * size;
}

}  // namespace rb::reports
