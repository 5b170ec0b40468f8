// ropebatch merge: the union of shards by run_id; duplicates that agree bit for bit are kept once,
// duplicates that differ are an error naming both files, the run and the field.
#define BOOST_TEST_MODULE reports_merge
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "common/error.hpp"
#include "reports/durable_file.hpp"
#include "reports/merge.hpp"
#include "reports/results_store.hpp"
#include "test_reports_fixtures.hpp"

using namespace rb::reports;
using namespace rb::reports::testing;

namespace {

std::string shard(const ScratchDir& dir, const std::string& name, const std::vector<RunRecord>& records) {
  const std::string path = dir.file(name);
  write_results(path, records, sample_info("ropebatch run --shard " + name));
  return path;
}

std::string merge_error(const std::string& out, const std::vector<std::string>& inputs) {
  try {
    merge_files(out, inputs, sample_info("ropebatch merge"));
  } catch (const rb::InputError& e) {
    return e.what();
  }
  BOOST_FAIL("merge did not fail");
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_CASE(agreeing_duplicates_merge_once) {
  ScratchDir dir;
  RunRecord again = sample_record(1);
  again.host = "elsewhere";  // where and when it ran may differ
  again.rank = 5;
  again.seconds = 99.0;
  again.started_at = "2025-04-01T00:00:00Z";
  const std::string a = shard(dir, "a.h5", {sample_record(0), sample_record(1)});
  const std::string b = shard(dir, "b.h5", {again, sample_record(2), failed_record(3)});
  const std::string out = dir.file("all.h5");
  const MergeResult merged = merge_files(out, {a, b}, sample_info("ropebatch merge all.h5 a.h5 b.h5"));
  BOOST_TEST(merged.duplicates == 1u);

  const ResultsFile back = read_results_file(out);
  BOOST_REQUIRE(back.records.size() == 4u);
  check_same_record(back.records[0], sample_record(0));
  check_same_record(back.records[1], sample_record(1));  // the first input's copy
  check_same_record(back.records[2], sample_record(2));
  check_same_record(back.records[3], failed_record(3));
  const std::vector<std::string> commands{"ropebatch run --shard a.h5", "ropebatch run --shard b.h5",
                                          "ropebatch merge all.h5 a.h5 b.h5"};
  BOOST_TEST(back.info.command_lines == commands, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_shard_still_running_is_read_with_its_journal) {
  ScratchDir dir;
  const std::string a = shard(dir, "a.h5", {sample_record(0)});
  const std::string b = dir.file("b.h5");
  ResultsStore running = ResultsStore::open(b, sample_info(), false);
  running.append(sample_record(1));  // journal only, no .h5 yet
  const std::string out = dir.file("all.h5");
  BOOST_TEST(merge_files(out, {a, b}, sample_info()).records.size() == 2u);
  BOOST_TEST(read_results(out).size() == 2u);
}

BOOST_AUTO_TEST_CASE(conflicting_numbers_are_an_error_naming_both_files) {
  ScratchDir dir;
  RunRecord other = sample_record(1);
  other.ppl = std::nextafter(*other.ppl, 1e300);  // one bit apart
  const std::string a = shard(dir, "a.h5", {sample_record(0), sample_record(1)});
  const std::string b = shard(dir, "b.h5", {other});
  const std::string out = dir.file("all.h5");
  const std::string message = merge_error(out, {a, b});
  BOOST_TEST(contains(message, a), message);
  BOOST_TEST(contains(message, b), message);
  BOOST_TEST(contains(message, "/runs/" + other.run_id + "/ppl"), message);
  BOOST_TEST(!file_exists(out));

  RunRecord window = sample_record(1);
  window.window_nll[2] += 1e-9;
  const std::string c = shard(dir, "c.h5", {window});
  BOOST_TEST(contains(merge_error(out, {a, c}), "window_nll[2]"));

  RunRecord failed = failed_record(9);
  failed.run_id = sample_record(1).run_id;
  failed.config = sample_record(1).config;
  const std::string d = shard(dir, "d.h5", {failed});
  const std::string status = merge_error(out, {a, d});
  BOOST_TEST(contains(status, "status 'ok' there, 'failed' here"), status);
}

BOOST_AUTO_TEST_CASE(bad_outputs_are_refused) {
  ScratchDir dir;
  const std::string a = shard(dir, "a.h5", {sample_record(0)});
  BOOST_TEST(contains(merge_error(a, {a}), "exists"));
  BOOST_TEST(contains(merge_error(dir.file("out.h5"), {a, dir.file("missing.h5")}), "no such file"));
  BOOST_CHECK_THROW(merge_results({}, sample_info()), rb::InputError);
}

BOOST_AUTO_TEST_CASE(first_difference_ignores_provenance_only) {
  RunRecord a = failed_record(1), b = failed_record(1);
  b.error = "a different message";
  b.host = "other";
  BOOST_TEST(!first_difference(a, b).has_value());
  a = sample_record(4);
  b = sample_record(4);
  a.window_nll[0] = b.window_nll[0] = std::nan("");
  BOOST_TEST(!first_difference(a, b).has_value());
  b.passkey[1].retrieved = !b.passkey[1].retrieved;
  BOOST_TEST(first_difference(a, b).value_or("") == "passkey[1]");
  b = sample_record(4);
  b.config["rope"]["factor"] = 100;
  BOOST_TEST(first_difference(sample_record(4), b).value_or("") == "config");
}
