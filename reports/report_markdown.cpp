#include "reports/report_markdown.hpp"

#include <map>
#include <set>

#include "reports/report_findings.hpp"
#include "reports/report_format.hpp"
#include "reports/report_markdown_sections.hpp"
#include "reports/report_markdown_table.hpp"

namespace rb::reports {

namespace {

std::string code(const std::string& text) { return "`" + markdown_text(text) + "`"; }

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& i : items) text += (text.empty() ? "" : ", ") + i;
  return text;
}

// "`name` (sha256 0123456789ab…)" for each distinct value of `field` in the settings' configurations.
std::string identities(const ReportData& data, bool models) {
  std::vector<std::string> items;
  std::set<std::string> seen;
  for (const Setting& s : data.settings) {
    const std::string& name = models ? s.model_name : s.dataset_name;
    const RunRecord* any = s.rows.front().runs.begin()->second;
    const std::string sha = any->config.value(models ? "model_sha256" : "dataset_sha256", std::string());
    const std::string shown = sha.size() > 12 ? sha.substr(0, 12) + "…" : sha;
    const std::string item = code(name) + (sha.empty() ? "" : " (sha256 " + markdown_text(shown) + ")");
    if (seen.insert(item).second) items.push_back(item);
  }
  return joined(items);
}

std::string quantizations(const ReportData& data) {
  std::set<std::string> quants;
  for (const Setting& s : data.settings)
    for (const ConfigurationRow& row : s.rows) quants.insert(row.quant);
  std::vector<std::string> items;
  if (quants.count("none")) items.push_back("none");
  for (const std::string& q : quants)
    if (q != "none") items.push_back(markdown_text(q));
  return joined(items);
}

std::string hardware(const ReportData& data) {
  std::map<std::pair<std::string, std::string>, std::size_t> where;
  std::size_t unknown = 0;
  for (const RunRecord& r : data.records) {
    if (r.device.empty() && r.host.empty())
      ++unknown;
    else
      ++where[{r.device, r.host}];
  }
  std::vector<std::string> items;
  for (const auto& [key, n] : where)
    items.push_back(code(key.first.empty() ? "?" : key.first) + " on " + code(key.second.empty() ? "?" : key.second) +
                    " (" + std::to_string(n) + " runs)");
  if (unknown) items.push_back("not recorded (" + std::to_string(unknown) + " runs)");
  return joined(items);
}

std::string dates(const ReportData& data) {
  std::string first, last;
  for (const RunRecord& r : data.records) {
    if (!r.started_at.empty() && (first.empty() || r.started_at < first)) first = r.started_at;
    if (!r.finished_at.empty() && (last.empty() || r.finished_at > last)) last = r.finished_at;
  }
  std::string text = first.empty() ? "run times not recorded" : "runs from " + first + " to " + last + " (UTC)";
  std::string sessions;
  for (const ReportInputFile& f : data.files)
    if (!f.info.started_at.empty()) sessions += (sessions.empty() ? "" : ", ") + code(f.name) + " " + f.info.started_at;
  if (!sessions.empty()) text += "; first session started: " + sessions;
  return text;
}

std::string training_lengths(const ReportData& data) {
  std::vector<std::string> items;
  std::set<std::string> seen;
  for (const Setting& s : data.settings) {
    if (!seen.insert(s.model_name).second) continue;
    const std::string value = s.training_length ? std::to_string(s.training_length->tokens) + " tokens (" +
                                                      markdown_text(s.training_length->source) + ")"
                                                : "unknown (not in the results; --training-length [MODEL=]N marks it)";
    items.push_back(code(s.model_name) + ": " + value);
  }
  return joined(items);
}

std::string header(const ReportData& data) {
  std::string text = "# ropebatch report\n\n";
  text += "Everything below is computed from the stored results only. In every table, N/A is a run that failed "
          "or was skipped (its error is under [Failures](#failures)) and — is a run that is not in the sweep; no "
          "number is filled in for either.\n\n";
  std::vector<std::string> files;
  for (const ReportInputFile& f : data.files) files.push_back(code(f.name) + " (" + std::to_string(f.runs) + " runs)");
  std::vector<std::string> versions;
  for (const ReportInputFile& f : data.files)
    versions.push_back(code(f.name) + ": ropebatch " + markdown_text(f.info.ropebatch_version.empty() ? "?" : f.info.ropebatch_version) +
                       ", commit " + markdown_text(f.info.git_commit.empty() ? "?" : f.info.git_commit));
  const RunCounts& c = data.counts;
  std::string runs = std::to_string(c.total) + ": " + std::to_string(c.completed) + " completed, " +
                     std::to_string(c.failed) + " failed, " + std::to_string(c.skipped) + " skipped";
  if (data.duplicates) runs += " (" + std::to_string(data.duplicates) + " found again in a later file, identical)";
  text += "- **Results:** " + joined(files) + "\n";
  text += "- **Models:** " + identities(data, true) + "\n";
  text += "- **Datasets:** " + identities(data, false) + "\n";
  text += "- **Quantization:** " + quantizations(data) + "\n";
  text += "- **Written by:** " + joined(versions) + "\n";
  text += "- **Hardware:** " + hardware(data) + "\n";
  text += "- **Dates:** " + dates(data) + "\n";
  text += "- **Runs:** " + runs + "\n";
  text += "- **Baseline:** " + markdown_text(data.baseline_source) + "\n";
  text += "- **Training length:** " + training_lengths(data) + "\n";
  if (data.settings.size() > 1) {
    std::vector<std::string> titles;
    for (const Setting& s : data.settings) titles.push_back(markdown_text(s.title));
    text += "- **Settings** (model · dataset; each table below is given per setting): " + joined(titles) + "\n";
  }
  text += "\nCommand lines that produced the results, oldest first:\n\n```\n";
  for (const ReportInputFile& f : data.files) {
    if (data.files.size() > 1) text += "# " + f.name + "\n";
    for (const std::string& line : f.info.command_lines) text += line + "\n";
  }
  return text + "```\n\n";
}

std::string per_setting(const ReportData& data, const std::string& title, const std::string& intro,
                        std::string (*section)(const ReportData&, std::size_t)) {
  std::string body;
  for (std::size_t i = 0; i < data.settings.size(); ++i) {
    const std::string part = section(data, i);
    if (part.empty()) continue;
    if (data.settings.size() > 1) body += "### " + markdown_text(data.settings[i].title) + "\n\n";
    body += part;
  }
  if (body.empty()) return "";
  return "## " + title + "\n\n" + intro + body;
}

std::string findings(const ReportData& data) {
  std::string text = "## Findings\n\nRead off the tables below (rise threshold " +
                     format_percent(data.options.rise_threshold) + ", --rise-threshold).\n\n";
  for (const std::string& f : findings_markdown(data)) text += "- " + f + "\n";
  return text + "\n";
}

std::string failures(const ReportData& data) {
  MarkdownTable t;
  const bool several = data.settings.size() > 1;
  if (several) t.column("setting");
  t.column("method");
  t.column("configuration");
  t.column("length", MarkdownTable::Align::right);
  t.column("status");
  t.column("error");
  t.column("run");
  for (const Setting& s : data.settings)
    for (const ConfigurationRow& row : s.rows)
      for (const auto& [length, run] : row.runs) {
        if (cell_state(run) == CellState::completed) continue;
        std::vector<std::string> cells;
        if (several) cells.push_back(markdown_text(s.title));
        cells.push_back(markdown_text(row.family));
        cells.push_back(markdown_text(row.display_name(s.several_quants)));
        cells.push_back(format_length(length));
        cells.push_back(markdown_text(run->status));
        cells.push_back(run->error.empty() ? "(no error recorded)" : markdown_text(run->error));
        cells.push_back(code(run->run_id.substr(0, 12)));
        t.row(std::move(cells));
      }
  std::string text = "## Failures\n\n";
  if (t.empty()) return text + "No run failed or was skipped.\n\n";
  return text + "Every run that did not complete, with the error it recorded (run: the first 12 characters of its "
                "run_id, the group under /runs in the results file).\n\n" + t.str() + "\n";
}

std::string files_section() {
  return "## Files\n\n"
         "- `runs.csv`: one row per run (a configuration at one length): every configuration field in its own "
         "column (every RoPE parameter as the method resolved it), the model's trained length, every metric with "
         "the paired comparison with the baseline (ratio_ci_low, ratio_ci_high, ...), status and error.\n"
         "- `passkey.csv`: one row per passkey trial.\n"
         "- `windows.csv`: one row per scored window: summed NLL and predictions.\n";
}

}  // namespace

std::string report_markdown(const ReportData& data) {
  using namespace markdown;
  std::string text = header(data);
  text += findings(data);
  text += per_setting(data, "Perplexity", "", perplexity_table);
  text += per_setting(data, "Ratio to the baseline", "", ratio_table);
  text += per_setting(data, "Method ranking", "", family_ranking);
  text += per_setting(data, "Top configurations", "", top_configurations);
  text += per_setting(data, "Loss by position", "", position_section);
  text += per_setting(data, "Passkey retrieval", "", passkey_table);
  text += per_setting(data, "LongPPL", "", longppl_table);
  text += per_setting(data, "Q-ROAR scales", "", qroar_table);
  text += per_setting(data, "Correlations", "", correlation_table);
  text += failures(data);
  text += files_section();
  return text;
}

}  // namespace rb::reports
