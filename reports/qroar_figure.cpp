#include "reports/qroar_figure.hpp"

#include <algorithm>
#include <cmath>

#include "reports/figure_parts.hpp"
#include "reports/plot_scales.hpp"
#include "reports/report_format.hpp"
#include "reports/svg_document.hpp"

namespace rb::reports {

namespace {

using namespace figure;
using json = nlohmann::json;

constexpr double kCellWidth = 46, kCellHeight = 15, kMargin = 12, kGap = 34;

// [layer][band] numbers, or empty when `j` is not such a table.
std::vector<std::vector<double>> table_of(const json& j) {
  std::vector<std::vector<double>> t;
  if (!j.is_array()) return {};
  for (const json& row : j) {
    if (!row.is_array()) return {};
    std::vector<double> r;
    for (const json& v : row) {
      if (!v.is_number()) return {};
      r.push_back(v.get<double>());
    }
    t.push_back(std::move(r));
  }
  return t;
}

struct Panel {
  std::string caption;
  std::vector<std::vector<double>> values;
  bool around_one = false;  // ratios: log scale centred at 1; else centred at 0
};

std::vector<Panel> panels_of(const json& d) {
  std::vector<Panel> panels;
  if (d.contains("pressure")) {
    Panel p{"interpolation pressure dNLL/dlog s", table_of(d["pressure"].value("per_layer", json())), false};
    if (!p.values.empty()) panels.push_back(std::move(p));
  }
  if (d.contains("tail_inflation"))
    for (const char* model : {"quantized", "full_precision"}) {
      const json t = d["tail_inflation"].value(model, json());
      if (!t.is_object()) continue;
      const std::string who = std::string(model) == "quantized" ? "quantized" : "full precision";
      for (const char* which : {"q_ratio", "k_ratio"}) {
        Panel p{std::string(which[0] == 'q' ? "|q|" : "|k|") + " tail ratio, " + who, table_of(t.value(which, json())), true};
        if (!p.values.empty()) panels.push_back(std::move(p));
      }
    }
  return panels;
}

// The colour position in [0, 1] of v on a panel whose values reach `reach` from the centre.
double position(const Panel& p, double v, double reach) {
  const double x = p.around_one ? std::log(std::max(v, 1e-12)) : v;
  return 0.5 + x / (2 * reach);
}

double reach_of(const Panel& p) {
  double r = p.around_one ? std::log(1.01) : 1e-6;
  for (const auto& row : p.values)
    for (const double v : row) r = std::max(r, std::fabs(p.around_one ? std::log(std::max(v, 1e-12)) : v));
  return r;
}

std::string cell_text(const Panel& p, double v) { return p.around_one ? format_significant(v, 3) : format_significant(v, 2); }

}  // namespace

std::vector<QroarDiagnostics> qroar_diagnostics_of(const Setting& s) {
  std::vector<QroarDiagnostics> out;
  for (const ConfigurationRow& row : s.rows)
    for (const auto& [length, run] : row.runs) {
      if (run == nullptr || !run->config.contains("qroar")) continue;
      const json& q = run->config.at("qroar");
      if (!q.is_object() || !q.contains("diagnostics") || !q["diagnostics"].is_object()) continue;
      const std::string file = q.value("file", "");
      if (std::any_of(out.begin(), out.end(), [&](const QroarDiagnostics& d) { return d.file == file; })) continue;
      if (panels_of(q["diagnostics"]).empty()) continue;
      out.push_back({file, q["diagnostics"]});
    }
  return out;
}

std::string qroar_diagnostics_svg(const Setting& s) {
  const std::vector<QroarDiagnostics> all = qroar_diagnostics_of(s);
  if (all.empty()) return "";
  const std::string title = "Q-ROAR band diagnostics by layer — " + s.title;
  const std::string subtitle =
      "Per scales file: rows are layers (0 at the top), columns the frequency bands (0: the highest frequencies). "
      "Pressure: the change of the long-context NLL per unit log-scaling of the band's rotary phase in that layer "
      "alone (red: stretching the phase raises the NLL). Tail ratio: the high quantile of |q| or |k| before RoPE at "
      "the long length over the same at the short length (red: heavier tails at the long length).";
  std::vector<std::vector<Panel>> panels_by_file;
  for (const QroarDiagnostics& d : all) panels_by_file.push_back(panels_of(d.diagnostics));
  double width = kMargin * 2 + title_width(title);
  for (const std::vector<Panel>& panels : panels_by_file) {
    double w = kMargin * 2 + 50;
    for (const Panel& p : panels)
      w += std::max(kCellWidth * static_cast<double>(p.values.front().size()), text_width(p.caption, kSmallSize)) + kGap;
    width = std::max(width, w);
  }
  width = std::max(width, 640.0);
  SvgDocument svg(width, 0, title);
  double y = title_block(svg, kMargin, 8, width - 2 * kMargin, title, subtitle);
  for (std::size_t f = 0; f < all.size(); ++f) {
    svg.text(kMargin, y + 14, "scales file: " + all[f].file, {.size = kLabelSize, .bold = true});
    y += 26;
    const std::vector<Panel>& panels = panels_by_file[f];
    double x = kMargin + 50, bottom = y;
    std::size_t layers = 0;
    for (const Panel& p : panels) layers = std::max(layers, p.values.size());
    for (std::size_t l = 0; l < layers; ++l)
      svg.text(x - 8, y + 30 + kCellHeight * static_cast<double>(l) + 11, "layer " + std::to_string(l),
               {.size = kSmallSize, .anchor = Anchor::end, .colour = kMutedText});
    for (const Panel& p : panels) {
      const double reach = reach_of(p);
      const std::size_t bands = p.values.front().size();
      const double panel_width = std::max(kCellWidth * static_cast<double>(bands), text_width(p.caption, kSmallSize));
      svg.text(x, y + 10, p.caption, {.size = kSmallSize, .bold = true});
      for (std::size_t b = 0; b < bands; ++b)
        svg.text(x + kCellWidth * (static_cast<double>(b) + 0.5), y + 24, "band " + std::to_string(b),
                 {.size = kSmallSize, .anchor = Anchor::middle, .colour = kMutedText});
      const Stroke border{"#ffffff", 1, ""};
      for (std::size_t l = 0; l < p.values.size(); ++l)
        for (std::size_t b = 0; b < p.values[l].size() && b < bands; ++b) {
          const double v = p.values[l][b];
          const double cx = x + kCellWidth * static_cast<double>(b), cy = y + 30 + kCellHeight * static_cast<double>(l);
          if (!std::isfinite(v)) {
            svg.hatched_rect(cx, cy, kCellWidth, kCellHeight);
            continue;
          }
          const std::string fill = diverging(position(p, v, reach));
          svg.rect(cx, cy, kCellWidth, kCellHeight, fill, &border);
          svg.text(cx + kCellWidth / 2, cy + 11, cell_text(p, v), {.size = 9, .anchor = Anchor::middle, .colour = text_colour_on(fill)});
        }
      const double lo = p.around_one ? std::exp(-reach) : -reach, hi = p.around_one ? std::exp(reach) : reach;
      svg.text(x, y + 30 + kCellHeight * static_cast<double>(p.values.size()) + 14,
               "colour: " + cell_text(p, lo) + " … " + cell_text(p, hi),
               {.size = 9, .colour = kMutedText});
      bottom = std::max(bottom, y + 30 + kCellHeight * static_cast<double>(p.values.size()) + 20);
      x += panel_width + kGap;
    }
    y = bottom + 16;
  }
  svg.set_height(y + kMargin);
  return svg.str();
}

}  // namespace rb::reports
