// `ropebatch report` end to end: the golden report of the committed fixture sweep (byte for byte;
// RB_UPDATE_GOLDEN=1 rewrites the goldens), shards giving the same report as the merged file, and a
// clear message with exit status 2 for conflicting shards, a file that is not a results file, a
// newer schema, an empty sweep, and a missing or unknown baseline.
#define BOOST_TEST_MODULE report_cli
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "cli_runner.hpp"
#include "reports/results_store.hpp"

namespace fs = std::filesystem;
using rb::reports::RunRecord;

namespace {

const std::string kFixture = rbtest::fixture("reports/report_sweep.h5");
// A results file of schema 1, kept as it was made (tests/fixtures/README.md): old files must still read.
const std::string kSchema1Fixture = rbtest::fixture("reports/report_sweep_schema1.h5");
const fs::path kGolden = fs::path(RB_FIXTURES) / "reports" / "golden";
// The options the goldens are made with: SVG only (PNG bytes depend on the rasterizer's version).
// The training lengths come from the results file (schema 2 stores them with each run), so the
// models' stored paths need not exist where the test runs.
const std::string kGoldenOptions = " --no-png";

fs::path scratch(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("rb_report_cli_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> file_names(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

rbtest::CliResult report(const std::string& inputs, const fs::path& out, const std::string& options = kGoldenOptions) {
  return rbtest::run_ropebatch("report " + inputs + " --out " + out.string() + options);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// report.md from its first table on: what does not depend on which files the runs came from.
std::string tables_of(const std::string& markdown) { return markdown.substr(markdown.find("\n## Findings")); }

void write_shard(const fs::path& path, const std::vector<RunRecord>& records) {
  const rb::reports::ResultsFile fixture = rb::reports::read_results_file(kFixture);
  rb::reports::write_results(path.string(), records, fixture.info);
}

// Sets the root attribute `schema_version` of a results file to `version`.
void set_schema_version(const fs::path& path, int64_t version) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  BOOST_REQUIRE(file >= 0);
  const hid_t attr = H5Aopen(file, "schema_version", H5P_DEFAULT);
  BOOST_REQUIRE(attr >= 0);
  BOOST_REQUIRE(H5Awrite(attr, H5T_NATIVE_INT64, &version) >= 0);
  H5Aclose(attr);
  H5Fclose(file);
}

}  // namespace

BOOST_AUTO_TEST_CASE(golden_report) {
  const fs::path out = scratch("golden");
  const auto r = report(kFixture, out);
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  if (std::getenv("RB_UPDATE_GOLDEN")) {
    fs::remove_all(kGolden);
    fs::create_directories(kGolden);
    for (const std::string& name : file_names(out)) fs::copy_file(out / name, kGolden / name);
    BOOST_TEST_MESSAGE("goldens rewritten in " << kGolden);
  }
  BOOST_REQUIRE(fs::exists(kGolden));
  const std::vector<std::string> expected = file_names(kGolden);
  BOOST_TEST(file_names(out) == expected, boost::test_tools::per_element());
  for (const std::string& name : expected)
    BOOST_TEST(read_file(out / name) == read_file(kGolden / name), name << " differs from the golden (RB_UPDATE_GOLDEN=1 "
                                                                          "rewrites the goldens after a deliberate change)");
  // The same command twice: the same bytes.
  const fs::path again = scratch("again");
  BOOST_REQUIRE(report(kFixture, again).status == 0);
  for (const std::string& name : expected) BOOST_TEST(read_file(again / name) == read_file(out / name), name);
  fs::remove_all(out);
  fs::remove_all(again);
}

BOOST_AUTO_TEST_CASE(the_fixture_has_what_the_report_must_show) {
  const std::vector<RunRecord> runs = rb::reports::read_results(kFixture);
  std::size_t failed = 0, passkey = 0, longppl = 0, baseline = 0;
  for (const RunRecord& r : runs) {
    failed += r.status == "failed";
    passkey += !r.passkey.empty();
    longppl += r.longppl.has_value();
    baseline += r.config.value("baseline", false);
  }
  BOOST_TEST(failed >= 1u);
  BOOST_TEST(passkey > 0u);
  BOOST_TEST(longppl > 0u);
  BOOST_TEST(baseline > 0u);
  // Every run is schema 2 (loss by position, trained length, resolved RoPE).
  for (const RunRecord& r : runs) {
    if (r.status != "ok") continue;
    BOOST_TEST(!r.position_bucket_start.empty(), r.run_id);
    BOOST_TEST(r.trained_length.has_value(), r.run_id);
    BOOST_TEST(!r.rope_resolved.empty(), r.run_id);
  }
  const std::string md = read_file(kGolden / "report.md");
  BOOST_TEST(contains(md, "256 tokens (stored with the runs"));   // llama_gqa's trained length, from the file
  BOOST_TEST(contains(md, "`SmolLM2-135M-Instruct.Q4_1.gguf`: 8192 tokens (stored with the runs"));
  BOOST_TEST(contains(md, "![Loss by position](nll_by_position_1.svg)"));
  BOOST_TEST(contains(md, "![Loss by position](nll_by_position_2.svg)"));
  BOOST_TEST(contains(md, "| N/A |"));
  BOOST_TEST(contains(md, "## Failures"));
  BOOST_TEST(contains(md, "shorter than the prompt without filler"));  // the failed run's error, as recorded
}

// A schema-1 file (made before loss by position, trained length and resolved RoPE) reads with those
// absent, and its report says so instead of leaving the sections out.
BOOST_AUTO_TEST_CASE(a_schema_1_file_still_reads_and_reports) {
  const std::vector<RunRecord> runs = rb::reports::read_results(kSchema1Fixture);
  std::size_t ok = 0;
  for (const RunRecord& r : runs) {
    if (r.status != "ok") continue;
    ++ok;
    BOOST_TEST(r.position_bucket_start.empty(), r.run_id);
    BOOST_TEST(!r.trained_length.has_value(), r.run_id);
    BOOST_TEST(r.rope_resolved.empty(), r.run_id);
  }
  BOOST_TEST(ok > 0u);
  const fs::path out = scratch("schema1");
  const auto r = report(kSchema1Fixture, out,
                        " --no-png --training-length llama_gqa=256 --training-length SmolLM2-135M-Instruct.Q4_1.gguf=8192");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  const std::string md = read_file(out / "report.md");
  BOOST_TEST(contains(md, "Not measured: no run of this setting stored loss by position"));
  BOOST_TEST(contains(md, "(--training-length)"));
  BOOST_TEST(!fs::exists(out / "nll_by_position_1.svg"));
  BOOST_TEST(fs::exists(out / "ratio_heatmap_1.svg"));  // the paired comparison needs only the windows
  fs::remove_all(out);
}

BOOST_AUTO_TEST_CASE(shards_give_the_report_of_the_merged_file) {
  const fs::path dir = scratch("shards");
  const std::vector<RunRecord> runs = rb::reports::read_results(kFixture);
  const std::size_t half = runs.size() / 2;
  // Shard b repeats two runs of shard a (as a resumed shard would), in another order.
  std::vector<RunRecord> a(runs.begin(), runs.begin() + half);
  std::vector<RunRecord> b(runs.begin() + half - 2, runs.end());
  std::reverse(b.begin(), b.end());
  write_shard(dir / "a.h5", a);
  write_shard(dir / "b.h5", b);
  const auto merged = rbtest::run_ropebatch("merge " + (dir / "merged.h5").string() + " " + (dir / "b.h5").string() +
                                            " " + (dir / "a.h5").string());
  BOOST_REQUIRE_MESSAGE(merged.status == 0, merged.err);

  const auto from_shards = report((dir / "a.h5").string() + " " + (dir / "b.h5").string(), dir / "from_shards");
  BOOST_REQUIRE_MESSAGE(from_shards.status == 0, from_shards.err);
  const auto from_merged = report((dir / "merged.h5").string(), dir / "from_merged");
  BOOST_REQUIRE_MESSAGE(from_merged.status == 0, from_merged.err);
  const auto from_fixture = report(kFixture, dir / "from_fixture");
  BOOST_REQUIRE(from_fixture.status == 0);
  for (const std::string& name : file_names(dir / "from_fixture")) {
    std::string shards = read_file(dir / "from_shards" / name), single = read_file(dir / "from_merged" / name);
    std::string original = read_file(dir / "from_fixture" / name);
    if (name == "report.md") {  // the header names the input files and their command lines
      BOOST_TEST(contains(shards, "- **Results:** `a.h5` (" + std::to_string(a.size()) + " runs), `b.h5` (" +
                                      std::to_string(b.size()) + " runs)"));
      BOOST_TEST(contains(shards, "(2 found again in a later file, identical)"));
      shards = tables_of(shards);
      single = tables_of(single);
      original = tables_of(original);
    }
    BOOST_TEST(shards == single, name);
    BOOST_TEST(shards == original, name);
  }
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(conflicting_shards_are_an_error_naming_both_files_and_the_run) {
  const fs::path dir = scratch("conflict");
  const std::vector<RunRecord> runs = rb::reports::read_results(kFixture);
  RunRecord changed = runs.front();
  changed.ppl = std::nextafter(*changed.ppl, 1e300);  // one bit apart
  write_shard(dir / "a.h5", runs);
  write_shard(dir / "b.h5", {changed});
  const auto r = report((dir / "a.h5").string() + " " + (dir / "b.h5").string(), dir / "out");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(contains(r.err, "ropebatch report: error: " + (dir / "b.h5").string() + ": /runs/" + changed.run_id + "/ppl"));
  BOOST_TEST(contains(r.err, "differs from the same run in " + (dir / "a.h5").string()));
  BOOST_TEST(!fs::exists(dir / "out" / "report.md"));
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_file_that_is_not_a_results_file_is_named) {
  const fs::path dir = scratch("not_ours");
  std::ofstream(dir / "notes.h5") << "not HDF5 at all\n";
  auto r = report((dir / "notes.h5").string(), dir / "out");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(contains(r.err, (dir / "notes.h5").string() + ": not an HDF5 file, so not a ropebatch results file"));

  const hid_t file = H5Fcreate((dir / "other.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  BOOST_REQUIRE(file >= 0);
  H5Fclose(file);
  r = report((dir / "other.h5").string(), dir / "out");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(contains(r.err, (dir / "other.h5").string() + ": format: missing: an HDF5 file but not a ropebatch results file"));

  r = report((dir / "missing.h5").string(), dir / "out");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(contains(r.err, (dir / "missing.h5").string() + ": no such file"));
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_newer_schema_is_refused_by_name) {
  const fs::path dir = scratch("newer");
  fs::copy_file(kFixture, dir / "future.h5");
  set_schema_version(dir / "future.h5", 3);
  const auto r = report((dir / "future.h5").string(), dir / "out");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(contains(r.err, (dir / "future.h5").string() +
                                 ": schema_version: is 3; this ropebatch reads schema_version 2 or older (use a newer ropebatch)"));
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(an_empty_sweep_is_an_error) {
  const fs::path dir = scratch("empty");
  write_shard(dir / "empty.h5", {});
  const auto r = report((dir / "empty.h5").string(), dir / "out");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(contains(r.err, (dir / "empty.h5").string() + ": /runs: an empty sweep: no run is recorded"));
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_missing_baseline_is_an_error_with_the_ways_out) {
  const fs::path dir = scratch("no_baseline");
  std::vector<RunRecord> runs = rb::reports::read_results(kFixture);
  std::erase_if(runs, [](const RunRecord& r) { return r.config.value("baseline", false); });
  write_shard(dir / "shard.h5", runs);
  auto r = report((dir / "shard.h5").string(), dir / "out");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(contains(r.err, "shard.h5: baseline: no baseline configuration of SmolLM2-135M-Instruct.Q4_1.gguf · text:genesis.txt"));
  BOOST_TEST(contains(r.err, "--baseline LABEL"));
  BOOST_TEST(contains(r.err, "--no-baseline"));

  r = report((dir / "shard.h5").string(), dir / "out", " --no-png --no-baseline");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  BOOST_TEST(contains(read_file(dir / "out" / "report.md"), "Left out (--no-baseline)."));

  r = report((dir / "shard.h5").string(), dir / "named", " --no-png --baseline 'linear factor=2'");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  BOOST_TEST(contains(read_file(dir / "named" / "report.md"), "- **Baseline:** 'linear factor=2' (--baseline)"));

  r = report(kFixture, dir / "typo", " --no-png --baseline 'linear factr=2'");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(contains(r.err, "--baseline: 'linear factr=2' is no configuration or family in the results (did you mean "
                             "'linear factor=2'?)"));
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(png_copies_when_a_rasterizer_is_on_path) {
  const fs::path dir = scratch("png");
  const auto r = report(kFixture, dir / "out", " --training-length 256");
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
  if (contains(r.out, "rsvg-convert is not on PATH")) {
    BOOST_TEST_MESSAGE("rsvg-convert not installed: PNG not tested");
  } else {
    const std::string png = read_file(dir / "out" / "ppl_heatmap_1.png");
    BOOST_TEST(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  }
  const auto without = rbtest::run_ropebatch("report " + kFixture + " --out " + (dir / "plain").string() + " --no-png",
                                             "PATH=/nonexistent ");
  BOOST_TEST(without.status == 0);
  BOOST_TEST(!fs::exists(dir / "plain" / "ppl_heatmap_1.png"));
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(bad_command_lines) {
  auto r = rbtest::run_ropebatch("report " + kFixture);
  BOOST_TEST(r.status == 2);
  BOOST_TEST(contains(r.err, "--out: is required"));
  r = rbtest::run_ropebatch("report --out /tmp/x");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(contains(r.err, "needs at least one results file"));
  r = rbtest::run_ropebatch("report " + kFixture + " --out /tmp/x --top 0");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(contains(r.err, "--top: '0' is not a positive integer"));
  r = rbtest::run_ropebatch("report " + kFixture + " --out /tmp/x --frobnicate");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(contains(r.err, "--frobnicate: unknown option"));
  r = rbtest::run_ropebatch("report --help");
  BOOST_TEST(r.status == 0);
  BOOST_TEST(contains(r.out, "--rise-threshold PCT"));
}
