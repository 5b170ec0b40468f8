// The HDF5 results file and ResultsStore: every field round-trips, checkpoints replace the file
// atomically, --resume takes the union of file and journal, files that are not ours are refused
// with clear messages, and 10,000 runs write and read quickly.
#define BOOST_TEST_MODULE reports_store
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <hdf5.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "common/error.hpp"
#include "reports/durable_file.hpp"
#include "reports/results_h5.hpp"
#include "reports/results_store.hpp"
#include "test_reports_fixtures.hpp"

using namespace rb::reports;
using namespace rb::reports::testing;

namespace {

// Runs `f`, which must throw rb::InputError whose message contains every one of `parts`.
template <class F>
void expect_input_error(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
    BOOST_FAIL("no InputError thrown");
  } catch (const rb::InputError& e) {
    const std::string message = e.what();
    for (const std::string& p : parts) BOOST_TEST(message.find(p) != std::string::npos, "'" << message << "' lacks '" << p << "'");
  }
}

// Sets the root attribute schema_version of a results file.
void set_schema_version(const std::string& path, int64_t version) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  BOOST_REQUIRE(f >= 0);
  const hid_t a = H5Aopen(f, "schema_version", H5P_DEFAULT);
  BOOST_REQUIRE(H5Awrite(a, H5T_NATIVE_INT64, &version) >= 0);
  H5Aclose(a);
  H5Fclose(f);
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_field_round_trips_through_hdf5) {
  ScratchDir dir;
  const std::string path = dir.file("results.h5");
  std::vector<RunRecord> records{sample_record(0), sample_record(5), failed_record(1), sample_record(2, false)};
  records[3].ppl_stderr.reset();  // a one-window run
  records[3].longppl.reset();
  records[0].token_nll[7] = std::nanf("");  // NaN and infinities survive too
  records[0].window_nll[1] = -0.0;
  const FileInfo info = sample_info();
  write_results(path, records, info);
  BOOST_TEST(!file_exists(temporary_path_for(path)));

  const ResultsFile back = read_results_file(path);
  BOOST_TEST(back.warnings.empty());
  BOOST_TEST(back.info.ropebatch_version == info.ropebatch_version);
  BOOST_TEST(back.info.git_commit == info.git_commit);
  BOOST_TEST(back.info.command_lines == info.command_lines, boost::test_tools::per_element());
  BOOST_TEST(back.info.started_at == info.started_at);
  BOOST_REQUIRE(back.records.size() == records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    RunRecord expected = records[i];
    RunRecord actual = back.records[i];
    if (i == 0) {
      BOOST_TEST(std::isnan(actual.token_nll[7]));
      expected.token_nll[7] = actual.token_nll[7] = 0;  // NaN != NaN for the element compare
    }
    check_same_record(expected, actual);
  }
  BOOST_TEST(std::signbit(back.records[0].window_nll[1]));
}

BOOST_AUTO_TEST_CASE(summary_table_has_one_row_per_run) {
  ScratchDir dir;
  const std::string path = dir.file("results.h5");
  std::vector<RunRecord> records{sample_record(3), failed_record(4)};
  write_results(path, records, sample_info());
  const std::vector<SummaryRow> rows = read_summary(path);
  BOOST_REQUIRE(rows.size() == 2u);
  BOOST_TEST(rows[0].run_id == records[0].run_id);
  BOOST_TEST(rows[0].family == "yarn");
  BOOST_TEST(rows[0].rope_label == "yarn f=4");
  BOOST_TEST(rows[0].length == 8192);
  BOOST_TEST(rows[0].status == "ok");
  BOOST_TEST(rows[0].ppl == *records[0].ppl);
  BOOST_TEST(rows[0].ppl_stderr == *records[0].ppl_stderr);
  BOOST_TEST(rows[0].predictions == records[0].predictions);
  BOOST_TEST(rows[0].seconds == records[0].seconds);
  BOOST_TEST(rows[1].status == "failed");
  BOOST_TEST(rows[1].rope_label == "");
  BOOST_TEST(std::isnan(rows[1].ppl));
  BOOST_TEST(std::isnan(rows[1].ppl_stderr));
}

BOOST_AUTO_TEST_CASE(store_append_checkpoint_close) {
  ScratchDir dir;
  const std::string path = dir.file("results.h5");
  ResultsStore store = ResultsStore::open(path, sample_info(), false);
  BOOST_TEST(store.size() == 0u);
  store.append(sample_record(0));
  store.append(failed_record(1));
  BOOST_TEST(store.contains(sample_record(0).run_id));
  BOOST_TEST(!store.contains("nope"));
  BOOST_TEST(file_size_or_zero(journal_path_for(path)) > 0u);
  BOOST_TEST(!file_exists(path));  // nothing but the journal until a checkpoint

  // Readers see the journal's runs before any checkpoint.
  BOOST_TEST(read_results(path).size() == 2u);

  store.checkpoint();
  BOOST_TEST(file_exists(path));
  BOOST_TEST(file_size_or_zero(journal_path_for(path)) == 0u);
  store.append(sample_record(2));
  store.close();
  BOOST_TEST(!file_exists(journal_path_for(path)));
  BOOST_CHECK_THROW(store.append(sample_record(3)), rb::Error);

  const std::vector<RunRecord> back = read_results(path);
  BOOST_REQUIRE(back.size() == 3u);
  check_same_record(back[0], sample_record(0));
  check_same_record(back[1], failed_record(1));
  check_same_record(back[2], sample_record(2));
}

BOOST_AUTO_TEST_CASE(bad_records_are_refused_before_the_journal) {
  ScratchDir dir;
  ResultsStore store = ResultsStore::open(dir.file("r.h5"), sample_info(), false);
  RunRecord r = sample_record(0);
  r.run_id = "a/b";
  BOOST_CHECK_THROW(store.append(r), rb::Error);
  r = sample_record(0);
  r.status = "done";
  BOOST_CHECK_THROW(store.append(r), rb::Error);
  BOOST_TEST(file_size_or_zero(journal_path_for(dir.file("r.h5"))) == 0u);
}

BOOST_AUTO_TEST_CASE(resume_takes_the_union_of_file_and_journal) {
  ScratchDir dir;
  const std::string path = dir.file("results.h5");
  {
    ResultsStore first = ResultsStore::open(path, sample_info("ropebatch run --out results.h5"), false);
    first.append(sample_record(0));
    RunRecord failed = failed_record(7);
    failed.run_id = sample_record(7).run_id;
    first.append(failed);
    first.checkpoint();
    first.append(sample_record(1));  // journal only
  }  // no close(): as if killed

  expect_input_error([&] { ResultsStore::open(path, sample_info(), false); },
                     {path, "exists; use --resume to continue it or choose another --out"});

  ResultsStore second = ResultsStore::open(path, sample_info("ropebatch run --out results.h5 --resume"), true);
  BOOST_TEST(second.size() == 3u);
  BOOST_TEST(second.contains(sample_record(0).run_id));
  BOOST_TEST(second.contains(sample_record(1).run_id));
  BOOST_TEST(second.find(sample_record(7).run_id)->status == "failed");
  second.append(sample_record(7));  // the failed run done again replaces it
  second.append(sample_record(2));
  second.close();

  const ResultsFile back = read_results_file(path);
  BOOST_REQUIRE(back.records.size() == 4u);
  check_same_record(back.records[0], sample_record(0));
  check_same_record(back.records[1], sample_record(7));
  check_same_record(back.records[2], sample_record(1));
  check_same_record(back.records[3], sample_record(2));
  const std::vector<std::string> commands{"ropebatch run --out results.h5", "ropebatch run --out results.h5 --resume"};
  BOOST_TEST(back.info.command_lines == commands, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(resume_from_a_journal_alone) {
  ScratchDir dir;
  const std::string path = dir.file("results.h5");
  {
    ResultsStore s = ResultsStore::open(path, sample_info("first"), false);
    s.append(sample_record(0));
  }
  expect_input_error([&] { ResultsStore::open(path, sample_info(), false); }, {path, "--resume"});
  ResultsStore s = ResultsStore::open(path, sample_info("second"), true);
  BOOST_TEST(s.size() == 1u);
  s.close();
  const std::vector<std::string> commands{"first", "second"};
  BOOST_TEST(read_results_file(path).info.command_lines == commands, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_leftover_temporary_file_is_ignored) {
  ScratchDir dir;
  const std::string path = dir.file("results.h5");
  {
    ResultsStore s = ResultsStore::open(path, sample_info(), false);
    s.append(sample_record(0));
    s.checkpoint();
    s.append(sample_record(1));
  }
  // A checkpoint killed half-way leaves a partial RESULTS.h5.tmp; the real file is untouched.
  const std::string complete = read_bytes(path);
  write_bytes(temporary_path_for(path), complete.substr(0, complete.size() / 2));
  BOOST_TEST(read_results(path).size() == 2u);
  ResultsStore s = ResultsStore::open(path, sample_info(), true);
  BOOST_TEST(s.size() == 2u);
  s.append(sample_record(2));
  s.checkpoint();  // overwrites the leftover
  s.close();
  BOOST_TEST(!file_exists(temporary_path_for(path)));
  BOOST_TEST(read_results(path).size() == 3u);
}

BOOST_AUTO_TEST_CASE(an_empty_file_is_not_a_results_file_but_may_be_the_output) {
  ScratchDir dir;
  const std::string path = dir.file("results.h5");
  write_bytes(path, "");
  expect_input_error([&] { read_results(path); }, {path, "empty file"});
  ResultsStore s = ResultsStore::open(path, sample_info(), false);
  s.append(sample_record(0));
  s.close();
  BOOST_TEST(read_results(path).size() == 1u);
}

BOOST_AUTO_TEST_CASE(files_that_are_not_ours_are_refused) {
  ScratchDir dir;
  const std::string text = dir.file("notes.h5");
  write_bytes(text, "just some text, not HDF5\n");
  expect_input_error([&] { read_results(text); }, {text, "not an HDF5 file"});
  expect_input_error([&] { ResultsStore::open(text, sample_info(), true); }, {text, "not an HDF5 file"});
  BOOST_TEST(!file_exists(journal_path_for(text)));  // no journal created beside a foreign file

  const std::string foreign = dir.file("foreign.h5");
  {
    const hid_t f = H5Fcreate(foreign.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    BOOST_REQUIRE(f >= 0);
    H5Fclose(f);
  }
  expect_input_error([&] { read_results(foreign); }, {foreign, "format", "not a ropebatch results file"});

  expect_input_error([&] { read_results(dir.file("missing.h5")); }, {"missing.h5", "no such file"});

  const std::string journal_only = dir.file("j.h5");
  write_bytes(journal_path_for(journal_only), "this is not a journal at all");
  expect_input_error([&] { read_results(journal_only); }, {"j.h5.journal", "not a ropebatch journal"});
}

BOOST_AUTO_TEST_CASE(a_newer_schema_is_refused) {
  ScratchDir dir;
  const std::string path = dir.file("future.h5");
  write_results(path, {sample_record(0)}, sample_info());
  set_schema_version(path, 3);
  expect_input_error([&] { read_results(path); }, {path, "schema_version", "is 3", "newer ropebatch"});
}

// A file of schema 1 (before trained_length, rope_resolved, the paired comparison and loss by
// position) reads with those absent: made here by deleting them from a new file.
BOOST_AUTO_TEST_CASE(a_schema_1_file_reads_without_the_fields_added_in_2) {
  ScratchDir dir;
  const std::string path = dir.file("old.h5");
  RunRecord base = sample_record(0), other = sample_record(4);
  other.window_nll = base.window_nll;
  other.window_predictions = base.window_predictions;
  write_results(path, {base, other}, sample_info());
  set_schema_version(path, 1);
  {
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    BOOST_REQUIRE(f >= 0);
    for (const RunRecord& r : {base, other}) {
      const std::string group = "/runs/" + r.run_id;
      for (const char* name : {"trained_length", "rope_resolved", "paired_windows", "log_ratio_to_baseline",
                               "log_ratio_stderr", "ratio_ci_low", "ratio_ci_high"})
        if (H5Aexists_by_name(f, group.c_str(), name, H5P_DEFAULT) > 0)
          BOOST_REQUIRE(H5Adelete_by_name(f, group.c_str(), name, H5P_DEFAULT) >= 0);
      for (const char* name : {"position_bucket_start", "position_mean_nll", "position_predictions"})
        BOOST_REQUIRE(H5Ldelete(f, (group + "/" + name).c_str(), H5P_DEFAULT) >= 0);
    }
    H5Fclose(f);
  }
  const ResultsFile back = read_results_file(path);
  BOOST_REQUIRE(back.records.size() == 2u);
  for (const RunRecord& r : back.records) {
    BOOST_TEST(!r.trained_length.has_value());
    BOOST_TEST(r.rope_resolved.empty());
    BOOST_TEST(r.position_bucket_start.empty());
    BOOST_TEST(!r.ratio_ci_low.has_value());
  }
  BOOST_TEST(back.records[0].ppl.has_value());
}

// The paired comparison is stored with each run that has a baseline over the same windows.
BOOST_AUTO_TEST_CASE(the_paired_comparison_is_stored) {
  ScratchDir dir;
  const std::string path = dir.file("paired.h5");
  RunRecord base = sample_record(0), other = sample_record(4);  // both at length 2048, the same model
  other.config["index"] = 0;  // the same configuration apart from the method
  other.window_nll = {10.0, 12.0, 11.0};
  other.window_predictions = {5, 5, 5};
  base.window_nll = {9.0, 11.5, 10.0};
  base.window_predictions = {5, 5, 5};
  other.ppl = std::exp(33.0 / 15.0);
  base.ppl = std::exp(30.5 / 15.0);
  write_results(path, {base, other}, sample_info());
  const ResultsFile back = read_results_file(path);
  const RunRecord& r = back.records[1];
  BOOST_REQUIRE(r.ratio_ci_low.has_value());
  BOOST_TEST(*r.paired_windows == 3);
  BOOST_TEST(*r.log_ratio_to_baseline == 2.5 / 15.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(*r.log_ratio_stderr == 0.5 / 15.0, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(*r.ratio_ci_low == 1.023517177431182, boost::test_tools::tolerance(1e-13));  // statistics test's values
  BOOST_TEST(*r.ratio_ci_high == 1.3635456794079315, boost::test_tools::tolerance(1e-13));
  BOOST_TEST(*back.records[0].ratio_ci_low == 1.0);  // the baseline against itself, as ratio_to_baseline
  BOOST_TEST(*back.records[0].ratio_ci_high == 1.0);
}

BOOST_AUTO_TEST_CASE(a_damaged_file_is_refused) {
  ScratchDir dir;
  const std::string path = dir.file("cut.h5");
  std::vector<RunRecord> records;
  for (int i = 0; i < 20; ++i) records.push_back(sample_record(i));
  write_results(path, records, sample_info());
  const std::string bytes = read_bytes(path);
  write_bytes(path, bytes.substr(0, bytes.size() / 2));
  expect_input_error([&] { read_results(path); }, {path, "damaged"});
  expect_input_error([&] { ResultsStore::open(path, sample_info(), true); }, {path, "damaged"});
}

BOOST_AUTO_TEST_CASE(ten_thousand_runs_write_and_read) {
  ScratchDir dir;
  const std::string path = dir.file("big.h5");
  std::vector<RunRecord> records;
  for (int i = 0; i < 10000; ++i) records.push_back(sample_record(i, false));
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  write_results(path, records, sample_info());
  const auto t1 = clock::now();
  const std::vector<RunRecord> back = read_results(path);
  const auto t2 = clock::now();
  const std::vector<SummaryRow> rows = read_summary(path);
  const auto t3 = clock::now();
  auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
  std::cout << "10,000 runs: write " << seconds(t1 - t0) << " s, read " << seconds(t2 - t1) << " s, summary "
            << seconds(t3 - t2) << " s, " << file_size_or_zero(path) / 1e6 << " MB\n";
  BOOST_REQUIRE(back.size() == records.size());
  BOOST_TEST(rows.size() == records.size());
  check_same_record(back[9999], records[9999]);
  BOOST_TEST(back[1234].run_id == records[1234].run_id);
}
