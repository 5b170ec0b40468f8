// `ropebatch report RESULTS.h5 [MORE.h5 ...] --out DIR`: Markdown, CSV and figures from results
// files (docs/REPORT.md). The work is in reports/; this file reads the command line and, for the
// training-length marker, the models' configurations when they are still where the runs found them.
#include <charconv>
#include <filesystem>
#include <iostream>
#include <set>

#include "common/error.hpp"
#include "harness/commands.hpp"
#include "harness/grid_models.hpp"
#include "harness/options.hpp"
#include "reports/report_data.hpp"
#include "reports/report_files.hpp"
#include "reports/report_input.hpp"

namespace rb::cli {
namespace {

const char* kReportUsage =
    "usage: ropebatch report RESULTS.h5 [MORE.h5 ...] --out DIR [options]\n"
    "\n"
    "Writes DIR/report.md, runs.csv, passkey.csv, windows.csv and SVG figures (and PNG copies when\n"
    "rsvg-convert is on PATH) from one results file or several shards (merged in memory; a run found\n"
    "twice must agree bit for bit). See docs/REPORT.md.\n"
    "\n"
    "options:\n"
    "  --out DIR                      folder to write (created if missing; its report files are replaced)\n"
    "  --baseline LABEL               compare with this configuration (a label, or a family with one\n"
    "                                 configuration) instead of the runs marked \"baseline\": true\n"
    "  --no-baseline                  leave the comparison with a baseline out\n"
    "  --top N                        rows of the top-configuration tables (default 10)\n"
    "  --rise-threshold PCT           Findings: report a PPL more than PCT% above the configuration's\n"
    "                                 PPL at its shortest length (default 20)\n"
    "  --training-length [MODEL=]N    mark N tokens as the training length (of MODEL, as the report\n"
    "                                 names it; repeatable). Default: as stored with the runs, else\n"
    "                                 max_position_embeddings of the model at its stored path\n"
    "  --no-png                       SVG only\n"
    "  --format text|json             json: {out, files, runs: {total, completed, failed, skipped},\n"
    "                                 notes} on stdout\n";

int64_t positive_integer(const std::string& option, const std::string& text) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1)
    throw InputError("command line", option, "'" + text + "' is not a positive integer");
  return value;
}

double percentage(const std::string& option, std::string text) {
  if (!text.empty() && text.back() == '%') text.pop_back();
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !(value >= 0))
    throw InputError("command line", option, "'" + text + "' is not a percentage >= 0 (e.g. 20)");
  return value / 100.0;
}

void add_training_length(reports::ReportOptions& options, const std::string& text) {
  const auto eq = text.rfind('=');
  const std::string model = eq == std::string::npos ? "" : text.substr(0, eq);
  const int64_t tokens = positive_integer("--training-length", eq == std::string::npos ? text : text.substr(eq + 1));
  if (!options.training_lengths.emplace(model, reports::TrainingLength{tokens, "--training-length"}).second)
    throw InputError("command line", "--training-length",
                     model.empty() ? "given twice without a model" : "given twice for " + model);
}

// Models without a --training-length whose runs do not carry it (files before schema 2):
// max_position_embeddings from their configuration, read from where the sweep found them, when they
// are still there.
void find_training_lengths(const std::vector<reports::RunRecord>& records, reports::ReportOptions& options) {
  if (options.training_lengths.count("")) return;
  std::set<std::string> paths, stored;
  for (const reports::RunRecord& r : records) {
    paths.insert(r.config.value("model", std::string()));
    if (r.trained_length) stored.insert(r.config.value("model", std::string()));
  }
  for (const std::string& path : stored) paths.erase(path);
  for (const std::string& path : paths) {
    const std::string name = reports::model_display_name(path);
    std::error_code ec;
    if (path.empty() || options.training_lengths.count(name) || !std::filesystem::exists(path, ec)) continue;
    try {
      const int64_t tokens = grid_detail::grid_model_config(path).max_position_embeddings;
      options.training_lengths.emplace(
          name, reports::TrainingLength{tokens, "max_position_embeddings of the model at its stored path"});
    } catch (const std::exception&) {
      // Not readable as a model any more: the marker is left out and the report says so.
    }
  }
}

}  // namespace

int cmd_report(const Args& args) {
  std::vector<std::string> inputs;
  std::string out;
  std::string format = "text";
  reports::ReportOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw InputError("command line", a, std::string("needs a value\n") + kReportUsage);
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      std::cout << kReportUsage;
      return kExitOk;
    } else if (a == "--out") {
      out = value();
    } else if (a == "--baseline") {
      options.baseline_label = value();
    } else if (a == "--no-baseline") {
      options.skip_baseline = true;
    } else if (a == "--top") {
      options.top_n = static_cast<int>(positive_integer(a, value()));
    } else if (a == "--rise-threshold") {
      options.rise_threshold = percentage(a, value());
    } else if (a == "--training-length") {
      add_training_length(options, value());
    } else if (a == "--no-png") {
      options.png = false;
    } else if (a == "--format") {
      format = check_format(value());
    } else if (a.starts_with("-")) {
      throw unknown_option(a, {"--out", "--baseline", "--no-baseline", "--top", "--rise-threshold",
                               "--training-length", "--no-png", "--format", "--help"}, kReportUsage);
    } else {
      inputs.push_back(a);
    }
  }
  if (inputs.empty()) throw InputError("command line", "", std::string("needs at least one results file\n") + kReportUsage);
  if (out.empty()) throw InputError("command line", "--out", std::string("is required\n") + kReportUsage);
  if (options.skip_baseline && !options.baseline_label.empty())
    throw InputError("command line", "--baseline", "and --no-baseline exclude each other");

  reports::ReportInput input = reports::load_report_input(inputs);
  for (const std::string& w : input.warnings) std::cerr << "ropebatch report: warning: " << w << "\n";
  find_training_lengths(input.records, options);
  const reports::ReportData data = reports::build_report_data(std::move(input), options);
  const reports::WrittenReport written = reports::write_report(out, data);

  const reports::RunCounts& c = data.counts;
  if (format == "json") {
    std::cout << nlohmann::json{{"out", out},
                                {"files", written.files},
                                {"runs", {{"total", c.total}, {"completed", c.completed}, {"failed", c.failed},
                                          {"skipped", c.skipped}}},
                                {"inputs", inputs},
                                {"notes", written.png_notes}}
                     .dump(2)
              << "\n";
    return kExitOk;
  }
  std::cout << "report of " << c.total << " runs (" << c.completed << " completed, " << c.failed << " failed, "
            << c.skipped << " skipped) from " << data.files.size() << (data.files.size() == 1 ? " file" : " files")
            << " written to " << out << ":";
  for (const std::string& f : written.files) std::cout << " " << f;
  std::cout << "\n";
  for (const std::string& note : written.png_notes) std::cout << note << "\n";
  return kExitOk;
}

}  // namespace rb::cli
