// Results files and journals we did not write (issue #12, findings 1, 2 and 4): every one gives a
// clear rb::InputError or a warning naming the file and the field, never a crash, undefined
// behaviour or a silent wrong number. The bytes are built here; tests/fuzz/ keeps them as reproducers.
#define BOOST_TEST_MODULE reports_hardening
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <limits>

#include "common/error.hpp"
#include "reports/crc32.hpp"
#include "reports/hdf5_probe.hpp"
#include "reports/hdf5_util.hpp"
#include "reports/journal.hpp"
#include "reports/plot_scales.hpp"
#include "reports/results_h5.hpp"
#include "reports/results_store.hpp"
#include "reports/run_record_json.hpp"
#include "test_reports_fixtures.hpp"

using namespace rb::reports;
using namespace rb::reports::testing;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void put_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFFu));
}

// A journal record around arbitrary payload bytes, with valid checksums (the layout of journal.hpp).
std::string record_around(const std::string& payload) {
  std::string r = "RBJ1";
  put_le(r, payload.size(), 8);
  put_le(r, crc32(payload), 4);
  put_le(r, crc32(r), 4);
  return r + payload;
}

// 200,000 nested one-element CBOR arrays around a 0: what crashed `merge` and `report`.
std::string deeply_nested_cbor() { return std::string(200000, '\x81') + std::string(1, '\0'); }

// {"kind": "ab\xff"}: a CBOR text string that is not UTF-8.
std::string cbor_with_invalid_utf8() { return std::string("\xa1\x64kind\x63" "ab\xff", 10); }

std::string write_one(const ScratchDir& dir, const std::string& name, const RunRecord& r) {
  const std::string path = dir.file(name);
  write_results_h5(path, {r}, sample_info());
  return path;
}

// read_results_h5(path) must throw an InputError whose message holds every one of `parts`.
void expect_refused(const std::string& path, const std::vector<std::string>& parts) {
  try {
    read_results_h5(path);
    BOOST_ERROR("no error for " << path);
  } catch (const rb::InputError& e) {
    for (const auto& p : parts) BOOST_TEST(contains(e.what(), p), "'" << p << "' not in: " << e.what());
  }
}

// Replaces the config attribute of /runs/ID with `text` (what a foreign writer could store).
void set_config_text(const std::string& path, const std::string& run_id, const std::string& text) {
  h5::QuietErrors quiet;
  h5::Handle file = h5::file_handle(HDF5_CHECK(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), path));
  const std::string group_path = "/runs/" + run_id;
  h5::Handle group = h5::group_handle(HDF5_CHECK(H5Gopen2(file, group_path.c_str(), H5P_DEFAULT), path));
  HDF5_CHECK(H5Adelete(group, "config"), path);
  h5::write_string_attr(group, "config", text, path);
}

}  // namespace

// What fuzz_results_h5 found (tests/fuzz/corpus/results_h5/finding_global_heap_object_index):
// libhdf5 trusts the object index of a variable-length string's heap reference and reads out of
// bounds (H5HG_read). ropebatch resolves those references itself, against checked collections.
BOOST_AUTO_TEST_CASE(a_damaged_global_heap_is_an_error_naming_the_string_not_a_crash) {
  ScratchDir dir;
  const RunRecord r = sample_record(2, false);
  const std::string good = write_one(dir, "good.h5", r);
  const std::string bytes = read_bytes(good);
  const std::size_t collection = bytes.find("GCOL");
  BOOST_REQUIRE(collection != std::string::npos);
  BOOST_REQUIRE_EQUAL(bytes[collection + 16], '\x01');  // the first object: index 1
  BOOST_CHECK_NO_THROW(read_results_h5(good));
  BOOST_CHECK_EQUAL(read_summary(good).at(0).run_id, r.run_id);

  // Every object renumbered past the references: each string names an object the heap lacks.
  std::string renumbered = bytes;
  for (std::size_t at = renumbered.find("GCOL"); at != std::string::npos; at = renumbered.find("GCOL", at + 4))
    renumbered[at + 17] = '\x7f';  // index 1 -> 0x7f01
  const std::string bad_index = dir.file("bad_index.h5");
  write_bytes(bad_index, renumbered);
  expect_refused(bad_index, {"bad_index.h5", "damaged string: no object 1 in the global heap collection"});
  try {
    read_summary(bad_index);
    BOOST_ERROR("read_summary: no error");
  } catch (const rb::InputError& e) {
    BOOST_TEST(contains(e.what(), "bad_index.h5: /format: damaged string: no object 1"), e.what());
  }

  // A collection whose size runs past the end of the file.
  std::string oversized = bytes;
  for (int i = 0; i < 8; ++i) oversized[collection + 8 + i] = i < 7 ? '\xff' : '\x0f';
  const std::string bad_size = dir.file("bad_size.h5");
  write_bytes(bad_size, oversized);
  expect_refused(bad_size, {"bad_size.h5", "global heap collection at", "outside the file"});
}

BOOST_AUTO_TEST_CASE(deeply_nested_cbor_in_a_journal_is_a_warning_not_a_stack_overflow) {
  ScratchDir dir;
  const std::string bytes = record_around(deeply_nested_cbor());
  const JournalContents j = decode_journal(bytes, "deep.journal");
  BOOST_TEST(j.entries.empty());
  BOOST_REQUIRE_EQUAL(j.warnings.size(), 1u);
  BOOST_TEST(contains(j.warnings[0], "nested deeper than 128 levels"), j.warnings[0]);
  BOOST_TEST(contains(j.warnings[0], "deep.journal: byte 0"), j.warnings[0]);

  // As merge and report read it: a journal beside no .h5, with one good run after the bad record.
  const std::string results = dir.file("killed.h5");
  const nlohmann::json good = {{"kind", "run"}, {"record", run_record_to_json(sample_record(1, false))}};
  std::ofstream(journal_path_for(results), std::ios::binary) << bytes << encode_journal_record(good);
  const ResultsFile file = read_results_file(results);
  BOOST_TEST(file.records.size() == 1u);
  BOOST_TEST(file.warnings.size() == 1u);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_in_a_journal_record_is_a_warning) {
  const JournalContents j = decode_journal(record_around(cbor_with_invalid_utf8()), "utf8.journal");
  BOOST_TEST(j.entries.empty());
  BOOST_REQUIRE_EQUAL(j.warnings.size(), 1u);
  BOOST_TEST(contains(j.warnings[0], "not valid UTF-8"), j.warnings[0]);
}

BOOST_AUTO_TEST_CASE(non_finite_or_non_positive_perplexity_is_an_error_naming_run_and_field) {
  ScratchDir dir;
  for (const double ppl : {std::nan(""), -1.0, 0.0, std::numeric_limits<double>::infinity()}) {
    RunRecord r = sample_record(2, false);
    r.ppl = ppl;
    expect_refused(write_one(dir, "ppl.h5", r), {"ppl.h5", "/runs/" + r.run_id + "/ppl", "finite and > 0"});
  }
  RunRecord r = sample_record(2, false);
  r.ppl_stderr = -0.5;
  expect_refused(write_one(dir, "stderr.h5", r), {"/runs/" + r.run_id + "/ppl_stderr", ">= 0"});
  r = sample_record(2, false);
  r.window_nll[1] = std::nan("");
  expect_refused(write_one(dir, "window.h5", r), {"/runs/" + r.run_id + "/window_nll", "window 1"});

  // The largest finite perplexity is valid: the report's scales must cope with it (below).
  r = sample_record(2, false);
  r.ppl = 1e308;
  BOOST_CHECK_NO_THROW(read_results_h5(write_one(dir, "huge.h5", r)));
}

BOOST_AUTO_TEST_CASE(a_config_that_is_not_an_object_or_holds_an_overflowing_number_is_refused) {
  ScratchDir dir;
  const RunRecord r = sample_record(3, false);
  const std::string path = write_one(dir, "config.h5", r);
  set_config_text(path, r.run_id, "[1, 2]");  // made `report` die with "cannot use value() with array"
  expect_refused(path, {"config.h5", "/runs/" + r.run_id + "/config", "not a JSON object"});
  set_config_text(path, r.run_id, R"({"family": "yarn", "length": 1e999})");
  expect_refused(path, {"/runs/" + r.run_id + "/config.length", "number overflow"});
  set_config_text(path, r.run_id, R"({"family": "yarn", "length": "long"})");
  expect_refused(path, {"/runs/" + r.run_id + "/config/length", "positive integer"});
  set_config_text(path, r.run_id, R"({"family": 7, "length": 64})");
  expect_refused(path, {"/runs/" + r.run_id + "/config/family", "wrong type"});
}

// Schema 2's fields (loss by position, the paired interval, trained length, resolved RoPE) are
// checked like the others when a file or journal is read.
BOOST_AUTO_TEST_CASE(schema_2_fields_out_of_place_are_refused_naming_run_and_field) {
  ScratchDir dir;
  RunRecord r = sample_record(2, false);
  r.position_mean_nll[3] = std::nan("");
  expect_refused(write_one(dir, "mean.h5", r), {"/runs/" + r.run_id + "/position_mean_nll", "bucket 3", "finite"});
  r = sample_record(2, false);
  r.position_predictions.pop_back();
  expect_refused(write_one(dir, "counts.h5", r), {"/runs/" + r.run_id + "/position_mean_nll", "for 6 buckets"});
  r = sample_record(2, false);
  r.position_bucket_start[2] = 1;
  expect_refused(write_one(dir, "starts.h5", r), {"/runs/" + r.run_id + "/position_bucket_start", "ascending"});
  r = sample_record(2, false);
  r.position_predictions[0] = 0;
  expect_refused(write_one(dir, "empty.h5", r), {"/runs/" + r.run_id + "/position_predictions", "bucket 0"});
  r = sample_record(2, false);
  r.trained_length = 0;
  expect_refused(write_one(dir, "trained.h5", r), {"/runs/" + r.run_id + "/trained_length", ">= 1"});
  r = sample_record(2, false);
  r.rope_resolved = "[1]";
  expect_refused(write_one(dir, "rope.h5", r), {"/runs/" + r.run_id + "/rope_resolved", "not a JSON object"});
  r.rope_resolved = std::string(100000, '[') + std::string(100000, ']');  // bounded, no stack overflow
  expect_refused(write_one(dir, "deep.h5", r), {"/runs/" + r.run_id + "/rope_resolved"});

  // The paired interval is derived when a file is written, so a foreign one arrives by a journal.
  nlohmann::json j = run_record_to_json(sample_record(2, false));
  j["ratio_ci_low"] = -0.5;
  try {
    run_record_from_json(j, "x.journal");
    BOOST_ERROR("no error for ratio_ci_low -0.5");
  } catch (const rb::InputError& e) {
    BOOST_TEST(contains(e.what(), "ratio_ci_low"), e.what());
    BOOST_TEST(contains(e.what(), "finite and > 0"), e.what());
  }
  j["ratio_ci_low"] = 1.2;
  j["ratio_ci_high"] = 1.1;
  BOOST_CHECK_THROW(run_record_from_json(j, "x.journal"), rb::InputError);
  j["ratio_ci_high"] = 1.3;
  BOOST_CHECK_NO_THROW(run_record_from_json(j, "x.journal"));
}

BOOST_AUTO_TEST_CASE(log_scales_stay_defined_at_the_ends_of_the_double_range) {
  // ppl 1e308 padded by 6% of the log range used to overflow to infinity, then to an int.
  const auto [lo, hi] = padded_log_range(1.0, 1e308);
  BOOST_TEST(std::isfinite(lo));
  BOOST_TEST(std::isfinite(hi));
  const std::vector<double> ticks = log_ticks(lo, hi);
  BOOST_TEST(!ticks.empty());
  for (const double t : ticks) {
    BOOST_TEST(std::isfinite(t));
    BOOST_TEST(!tick_label(t).empty());
  }
  BOOST_TEST(tick_label(1e308) == "10³⁰⁸");
  BOOST_TEST(tick_label(std::numeric_limits<double>::infinity()) == "inf");
  const auto [tiny_lo, tiny_hi] = padded_log_range(-1.0, -1.0);  // a value a reader refuses
  BOOST_TEST(tiny_lo > 0);
  BOOST_TEST(std::isfinite(tiny_hi));
  BOOST_TEST(log_ticks(std::numeric_limits<double>::max() / 2, std::numeric_limits<double>::infinity()).size() <= 2u);
}

// reports/hdf5_probe.hpp: the reader runs first in a child; its death refuses the file.
BOOST_AUTO_TEST_CASE(a_file_libhdf5_crashes_on_is_refused_by_the_probe) {
  const std::string crashing = std::string(RB_SOURCE_DIR) + "/tests/fuzz/corpus/results_h5/finding_dense_links_btree_header";
  expect_refused(crashing, {"finding_dense_links_btree_header", "damaged HDF5 file: libhdf5 crashed reading it"});

  ScratchDir dir;
  const std::string file = write_one(dir, "probed.h5", sample_record(2, false));
  try {
    h5::probe_in_child(file, [] { ::raise(SIGSEGV); });
    BOOST_ERROR("no error for a reader that dies");
  } catch (const rb::InputError& e) {
    BOOST_TEST(contains(e.what(), "SIGSEGV"), e.what());
  }
  ::setenv("RB_HDF5_PROBE_SECONDS", "1", 1);
  try {
    h5::probe_in_child(file, [] { ::sleep(30); });
    BOOST_ERROR("no error for a reader that hangs");
  } catch (const rb::InputError& e) {
    BOOST_TEST(contains(e.what(), "took over 1 s"), e.what());
  }
  ::unsetenv("RB_HDF5_PROBE_SECONDS");
  // A refusal in the child is the parent's to report; a success is remembered for the unchanged file.
  BOOST_CHECK_NO_THROW(h5::probe_in_child(file, [] { throw rb::InputError("f", "x", "bad"); }));
  BOOST_CHECK_NO_THROW(h5::probe_in_child(file, [] {}));
  BOOST_CHECK_NO_THROW(h5::probe_in_child(file, [] { ::raise(SIGSEGV); }));
}
