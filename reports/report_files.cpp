#include "reports/report_files.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/error.hpp"
#include "reports/report_csv.hpp"
#include "reports/report_figures.hpp"
#include "reports/report_markdown.hpp"
#include "reports/svg_rasterizer.hpp"

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
  std::vector<std::string> svgs;
  for (std::size_t i = 0; i < data.settings.size(); ++i) {
    const SettingFigures names = figure_names(data, i);
    put(names.ppl_lines, ppl_lines_svg(data.settings[i]));
    put(names.ppl_heatmap, ppl_heatmap_svg(data.settings[i]));
    svgs.push_back(names.ppl_lines);
    svgs.push_back(names.ppl_heatmap);
    if (!names.passkey_heatmap.empty()) {
      put(names.passkey_heatmap, passkey_heatmap_svg(data.settings[i]));
      svgs.push_back(names.passkey_heatmap);
    }
  }

  if (!data.options.png) {
    written.png_note = "no PNG (--no-png)";
    return written;
  }
  const auto rasterizer = find_on_path("rsvg-convert");
  if (!rasterizer) {
    written.png_note = "no PNG: rsvg-convert is not on PATH (Debian: apt-get install librsvg2-bin)";
    return written;
  }
  for (const std::string& svg : svgs) {
    const std::string png = svg.substr(0, svg.size() - 4) + ".png";
    rasterize_svg(*rasterizer, (dir / svg).string(), (dir / png).string());
    written.files.push_back(png);
  }
  return written;
}

}  // namespace rb::reports
