// Faults against a running sweep (docs/RELIABILITY.md): kill -9 of a worker rank, a second writer
// on the same results file, a results file that exists without --resume, and a disk that fills up.
// Each ends with a clear message and, where runs were lost, a --resume that gives numbers
// bit-identical to an uninterrupted sweep.
#define BOOST_TEST_MODULE run_faults
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "sweep_helpers.hpp"

namespace fs = std::filesystem;
using namespace rbtest;

namespace {

// A small tmpfs at `dir` for as long as it lives; mounted() is false where mounting is not allowed.
class SmallDisk {
 public:
  SmallDisk(const fs::path& dir, const std::string& size) : dir_(dir) {
    fs::create_directories(dir);
    mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  bool resize(const std::string& size) {
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, ("size=" + size).c_str()) == 0;
  }

 private:
  fs::path dir_;
  bool mounted_ = false;
};

// Room for the journal of all 15 runs (19 kB) but not for the HDF5 file written at the end (about
// 70 kB on disk): measured with this grid and tmpfs sizes of 24k and 64k, both stop at H5Fclose.
const std::string kFullDiskSize = "64k";

}  // namespace

BOOST_AUTO_TEST_CASE(an_existing_results_file_without_resume_is_refused) {
  const fs::path dir = sweep_scratch("exists");
  const std::string out = (dir / "r.h5").string();
  BOOST_REQUIRE(std::system((mpirun(1) + sweep_args(dir, out) + " 2>/dev/null").c_str()) == 0);
  const auto before = runs_by_id(out);
  const auto again = run_ropebatch(sweep_args(dir, out), mpi_env());
  BOOST_CHECK_EQUAL(again.status, 2);
  BOOST_CHECK_MESSAGE(again.err.find(out + ": exists; use --resume") != std::string::npos, again.err);
  // Untouched: the same runs, and no second command line recorded.
  BOOST_CHECK_EQUAL(runs_by_id(out).size(), before.size());
  BOOST_CHECK_EQUAL(rb::reports::read_results_file(out).info.command_lines.size(), 1u);
  BOOST_CHECK_EQUAL(run_ropebatch(sweep_args(dir, out) + " --resume", mpi_env()).status, 0);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_second_writer_is_refused_while_a_sweep_runs) {
  const fs::path dir = sweep_scratch("writers");
  const std::string out = (dir / "r.h5").string();
  Background first(mpirun(1) + sweep_args(dir, out), dir / "first.log");
  BOOST_REQUIRE_MESSAGE(first.wait_for("[1/"), first.log());
  // Paused while it holds the results file, so that the second finds it busy however fast it is.
  const pid_t holder = rank_pid(out, 0);
  BOOST_REQUIRE_MESSAGE(holder > 0, "rank 0 not found");
  ::kill(holder, SIGSTOP);
  const auto second = run_ropebatch(sweep_args(dir, out) + " --resume", mpi_env());
  ::kill(holder, SIGCONT);
  BOOST_CHECK_EQUAL(second.status, 2);
  BOOST_CHECK_MESSAGE(second.err.find("locked by another ropebatch process") != std::string::npos, second.err);
  BOOST_CHECK_EQUAL(first.wait(), 0);
  const auto runs = runs_by_id(out);
  BOOST_CHECK_EQUAL(runs.size(), 15u);
  for (const auto& [id, r] : runs) BOOST_CHECK_EQUAL(r.status, "ok");
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(kill_9_of_a_worker_rank_then_resume_loses_and_duplicates_nothing) {
  const fs::path dir = sweep_scratch("kill_worker");
  const std::string full = (dir / "full.h5").string(), cut = (dir / "cut.h5").string();
  BOOST_REQUIRE(std::system((mpirun(1) + sweep_args(dir, full) + " 2>/dev/null").c_str()) == 0);
  {
    Background sweep(mpirun(2) + sweep_args(dir, cut), dir / "cut.log");
    BOOST_REQUIRE_MESSAGE(sweep.wait_for("[1/"), sweep.log());
    const pid_t worker = rank_pid(cut, 1);
    BOOST_REQUIRE_MESSAGE(worker > 0, "rank 1 not found");
    ::kill(worker, SIGKILL);
    BOOST_CHECK_NE(sweep.wait(), 0);
  }
  BOOST_TEST_MESSAGE("runs saved before rank 1 was killed: " << runs_by_id(cut).size());
  BOOST_CHECK_GE(runs_by_id(cut).size(), 1u);
  BOOST_REQUIRE(std::system((mpirun(2) + sweep_args(dir, cut) + " --resume 2>/dev/null").c_str()) == 0);
  check_same_numbers(full, cut);
  fs::remove_all(dir);
}

void full_disk_then_resume(const fs::path& dir) {
  const std::string full = (dir / "full.h5").string();
  SmallDisk disk(dir / "disk", kFullDiskSize);
  if (!disk.mounted()) {
    BOOST_TEST_MESSAGE("skipped: cannot mount a tmpfs here (needs CAP_SYS_ADMIN): " << std::strerror(errno));
    return;
  }
  BOOST_REQUIRE(std::system((mpirun(1) + sweep_args(dir, full) + " 2>/dev/null").c_str()) == 0);
  const std::string out = (dir / "disk" / "r.h5").string();
  const auto filled = run_ropebatch(sweep_args(dir, out), mpi_env());
  BOOST_TEST_MESSAGE("full disk: exit " << filled.status << "\n" << filled.err);
  BOOST_CHECK_EQUAL(filled.status, 1);
  BOOST_CHECK_MESSAGE(filled.err.find("No space left on device") != std::string::npos, filled.err);
  BOOST_CHECK_MESSAGE(filled.err.find(out) != std::string::npos, filled.err);
  BOOST_CHECK_MESSAGE(filled.err.find("--resume") != std::string::npos, filled.err);
  BOOST_CHECK(filled.err.find("MPI_ABORT") == std::string::npos);
  BOOST_CHECK(!fs::exists(out + ".tmp"));  // the half-written file is removed
  const auto kept = runs_by_id(out);       // the journal (and .h5, if any) as readers see it
  BOOST_TEST_MESSAGE("runs kept: " << kept.size());
  BOOST_CHECK_GE(kept.size(), 1u);

  BOOST_REQUIRE(disk.resize("64m"));
  const auto resumed = run_ropebatch(sweep_args(dir, out) + " --resume", mpi_env());
  BOOST_CHECK_MESSAGE(resumed.status == 0, resumed.err);
  BOOST_CHECK_MESSAGE(resumed.err.find("(" + std::to_string(kept.size()) + " already complete") != std::string::npos,
                      resumed.err);
  check_same_numbers(full, out);
}

BOOST_AUTO_TEST_CASE(a_full_disk_stops_cleanly_keeps_the_journal_and_resume_finishes) {
  const fs::path dir = sweep_scratch("full_disk");
  full_disk_then_resume(dir);  // unmounts its disk before the folder is removed
  fs::remove_all(dir);
}
