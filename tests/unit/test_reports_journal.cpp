// The journal under crashes: a record cut at any byte leaves the earlier ones intact; a damaged
// byte anywhere in a record drops that record alone, with a warning; a process killed with SIGKILL
// at random moments (during appends and checkpoints) never loses a run whose append() returned.
#define BOOST_TEST_MODULE reports_journal
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "common/error.hpp"
#include "reports/durable_file.hpp"
#include "reports/journal.hpp"
#include "reports/results_store.hpp"
#include "test_reports_fixtures.hpp"

using namespace rb::reports;
using namespace rb::reports::testing;

namespace {

// A journal of three runs (the first append also carries the session entry); returns its bytes and
// the byte offsets where the second and third runs' records start.
struct ThreeRuns {
  std::string bytes;
  std::size_t second = 0, third = 0;
};

ThreeRuns journal_of_three_runs(const ScratchDir& dir) {
  const std::string path = dir.file("three.h5");
  ThreeRuns out;
  ResultsStore store = ResultsStore::open(path, sample_info(), false);
  store.append(sample_record(0, false));
  out.second = file_size_or_zero(journal_path_for(path));
  store.append(sample_record(1, false));
  out.third = file_size_or_zero(journal_path_for(path));
  store.append(sample_record(2, false));
  out.bytes = read_bytes(journal_path_for(path));
  return out;  // the store is dropped without close(): the journal stays, as after a kill
}

std::set<std::string> run_ids(const std::vector<RunRecord>& records) {
  std::set<std::string> ids;
  for (const RunRecord& r : records) ids.insert(r.run_id);
  return ids;
}

}  // namespace

BOOST_AUTO_TEST_CASE(records_decode_as_written) {
  const nlohmann::json a = {{"kind", "run"}, {"x", 1.5}}, b = {{"kind", "session"}, {"y", {1, 2, 3}}};
  const std::string bytes = encode_journal_record(a) + encode_journal_record(b);
  const JournalContents c = decode_journal(bytes, "j");
  BOOST_REQUIRE(c.entries.size() == 2u);
  BOOST_TEST(c.entries[0] == a);
  BOOST_TEST(c.entries[1] == b);
  BOOST_TEST(c.warnings.empty());
  BOOST_TEST(c.intact_end == bytes.size());
}

BOOST_AUTO_TEST_CASE(a_record_cut_at_any_byte_loses_only_itself) {
  ScratchDir dir;
  const ThreeRuns three = journal_of_three_runs(dir);
  const std::set<std::string> first_two{sample_record(0).run_id, sample_record(1).run_id};
  const std::string path = dir.file("cut.h5");
  for (std::size_t cut = three.third; cut < three.bytes.size(); ++cut) {
    BOOST_TEST_CONTEXT("journal cut at byte " << cut) {
      write_bytes(journal_path_for(path), three.bytes.substr(0, cut));
      const ResultsFile file = read_results_file(path);
      BOOST_TEST(run_ids(file.records) == first_two);
      BOOST_TEST(file.warnings.size() == (cut == three.third ? 0u : 1u));
      for (const RunRecord& r : file.records) check_same_record(r, sample_record(r.config.at("index").get<int>(), false));
    }
  }
}

BOOST_AUTO_TEST_CASE(resume_cuts_a_torn_tail_and_appends_after_it) {
  ScratchDir dir;
  const ThreeRuns three = journal_of_three_runs(dir);
  const std::string path = dir.file("torn.h5");
  write_bytes(journal_path_for(path), three.bytes.substr(0, three.bytes.size() - 10));
  {
    ResultsStore store = ResultsStore::open(path, sample_info(), true);
    BOOST_TEST(store.size() == 2u);
    BOOST_TEST(store.warnings().size() == 1u);
    BOOST_TEST(file_size_or_zero(journal_path_for(path)) == three.third);  // the torn bytes are gone
    store.append(sample_record(2, false));
  }
  const ResultsFile file = read_results_file(path);
  BOOST_TEST(file.warnings.empty());
  BOOST_REQUIRE(file.records.size() == 3u);
  check_same_record(file.records[2], sample_record(2, false));
}

BOOST_AUTO_TEST_CASE(a_damaged_byte_drops_that_record_with_a_warning) {
  ScratchDir dir;
  const ThreeRuns three = journal_of_three_runs(dir);
  const std::set<std::string> first_and_third{sample_record(0).run_id, sample_record(2).run_id};
  const std::string path = dir.file("flipped.h5");
  for (std::size_t at = three.second; at < three.third; ++at) {
    BOOST_TEST_CONTEXT("byte " << at << " of the second record flipped") {
      std::string bytes = three.bytes;
      bytes[at] = static_cast<char>(bytes[at] ^ 0x5A);
      write_bytes(journal_path_for(path), bytes);
      const ResultsFile file = read_results_file(path);
      BOOST_TEST(run_ids(file.records) == first_and_third);
      BOOST_REQUIRE(file.warnings.size() == 1u);
      BOOST_TEST(file.warnings[0].find("byte " + std::to_string(three.second)) != std::string::npos, file.warnings[0]);
    }
  }
  // The first append wrote two records, the session entry and run 0: damaging the session entry
  // loses only it (the file's command line), never a run.
  std::string bytes = three.bytes;
  bytes[0] = 'X';
  write_bytes(journal_path_for(path), bytes);
  const ResultsFile file = read_results_file(path);
  BOOST_TEST(file.records.size() == 3u);
  BOOST_TEST(file.warnings.size() == 1u);
  BOOST_TEST(file.info.command_lines.empty());
}

BOOST_AUTO_TEST_CASE(a_second_writer_is_locked_out) {
  ScratchDir dir;
  const std::string path = dir.file("busy.h5");
  ResultsStore first = ResultsStore::open(path, sample_info(), false);
  BOOST_CHECK_THROW(ResultsStore::open(path, sample_info(), true), rb::InputError);
}

BOOST_AUTO_TEST_CASE(sigkill_at_random_moments_loses_no_finished_run) {
  ScratchDir dir;
  const std::string path = dir.file("killed.h5");
  std::mt19937 rng(12345);
  std::set<int> confirmed;  // runs whose append() returned in some child
  int next = 0;
  for (int round = 0; round < 25; ++round) {
    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);
    const pid_t child = ::fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
      ::close(fds[0]);
      try {
        ResultsStore store = ResultsStore::open(path, sample_info("child"), true);
        for (int i = next;; ++i) {
          store.append(sample_record(i, i % 3 == 0));
          if (::write(fds[1], &i, sizeof i) != sizeof i) ::_exit(3);
          if (i % 4 == 3) store.checkpoint();
        }
      } catch (...) {
        ::_exit(2);
      }
    }
    ::close(fds[1]);
    int i = 0;
    if (::read(fds[0], &i, sizeof i) == sizeof i) confirmed.insert(i);  // the child is at work: now kill it
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 40)(rng)));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    BOOST_TEST((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL), "child exited early, status " << status);
    while (::read(fds[0], &i, sizeof i) == sizeof i) confirmed.insert(i);
    ::close(fds[0]);

    const ResultsFile file = read_results_file(path);
    std::set<int> present;
    for (const RunRecord& r : file.records) {
      const int index = r.config.at("index").get<int>();
      present.insert(index);
      check_same_record(r, sample_record(index, index % 3 == 0));  // complete, never half-written
    }
    for (int c : confirmed) BOOST_TEST(present.count(c) == 1u, "run " << c << " was confirmed but is lost");
    next = present.empty() ? 0 : *present.rbegin() + 1;
  }
  BOOST_TEST_MESSAGE(confirmed.size() << " runs confirmed over 25 kills");
  BOOST_TEST(confirmed.size() >= 25u);
}
