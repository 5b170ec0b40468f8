#include "reports/report_files.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/error.hpp"
#include "reports/report_csv.hpp"
#include "reports/report_figures.hpp"
#include "reports/report_markdown.hpp"
#include "reports/svg_rasterizer.hpp"
#include "reports/qroar_figure.hpp"

namespace rb::reports {

namespace fs = std::filesystem;

namespace {

void write_whole(const fs::path& path, const std::string& bytes) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError(path.parent_path().string(), "", "cannot write " + tmp.filename().string());
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) throw Error(tmp.string() + ": write failed");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw Error(path.string() + ": cannot replace (" + ec.message() + ")");
}

// The width and height of an SVG that SvgDocument wrote (its <svg width=".." height="..">).
std::pair<double, double> svg_size(const std::string& svg) {
  const auto attribute = [&](const std::string& name) {
    const auto at = svg.find(" " + name + "=\"");
    return at == std::string::npos ? 0.0 : std::strtod(svg.c_str() + at + name.size() + 3, nullptr);
  };
  return {attribute("width"), attribute("height")};
}

}  // namespace

WrittenReport write_report(const std::string& folder, const ReportData& data) {
  const fs::path dir(folder);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) throw InputError(folder, "", "cannot create the output folder (" + ec.message() + ")");

  WrittenReport written;
  const auto put = [&](const std::string& name, const std::string& bytes) {
    write_whole(dir / name, bytes);
    written.files.push_back(name);
  };
  put("report.md", report_markdown(data));
  put("runs.csv", runs_csv(data));
  put("passkey.csv", passkey_csv(data));
  put("windows.csv", windows_csv(data));
  std::vector<std::pair<std::string, std::pair<double, double>>> svgs;  // name, (width, height)
  const auto put_svg = [&](const std::string& name, const std::string& svg) {
    put(name, svg);
    svgs.emplace_back(name, svg_size(svg));
  };
  for (std::size_t i = 0; i < data.settings.size(); ++i) {
    const SettingFigures names = figure_names(data, i);
    put_svg(names.ppl_lines, ppl_lines_svg(data.settings[i]));
    put_svg(names.ppl_heatmap, ppl_heatmap_svg(data.settings[i]));
    if (!names.passkey_heatmap.empty()) put_svg(names.passkey_heatmap, passkey_heatmap_svg(data.settings[i]));
    if (!names.ratio_heatmap.empty()) put_svg(names.ratio_heatmap, ratio_heatmap_svg(data.settings[i]));
    if (!names.collapse.empty()) put_svg(names.collapse, collapse_svg(data.settings[i]));
    if (!names.nll_by_position.empty()) put_svg(names.nll_by_position, nll_by_position_svg(data.settings[i]));
    if (!names.position_ratio.empty()) put_svg(names.position_ratio, position_ratio_svg(data.settings[i]));
    if (!names.qroar_diagnostics.empty()) put_svg(names.qroar_diagnostics, qroar_diagnostics_svg(data.settings[i]));
  }

  if (!data.options.png) {
    written.png_notes.push_back("no PNG (--no-png)");
    return written;
  }
  const auto rasterizer = find_on_path("rsvg-convert");
  if (!rasterizer) {
    written.png_notes.push_back("no PNG: rsvg-convert is not on PATH (Debian: apt-get install librsvg2-bin)");
    return written;
  }
  for (const auto& [name, size] : svgs) {
    const std::string png = name.substr(0, name.size() - 4) + ".png";
    const auto zoom = png_zoom(size.first, size.second);
    if (!zoom) {
      written.png_notes.push_back("no " + png + ": the figure is too large for a PNG; " + name + " has it");
      continue;
    }
    try {
      rasterize_svg(*rasterizer, (dir / name).string(), (dir / png).string(), *zoom);
      written.files.push_back(png);
    } catch (const Error& e) {
      written.png_notes.push_back(std::string("no ") + png + ": " + e.what());
    }
  }
  return written;
}

}  // namespace rb::reports
