// SIGTERM as a sweep sees it from schedulers: to mpirun (scancel and preemption outside srun;
// mpirun forwards it to every rank and sends SIGKILL a second later), to every rank (srun, Slurm's
// --signal and preemption) and to rank 0 alone. Each time the finished runs must be checkpointed
// into the results file, the ranks must exit with status 3, and --resume must complete the sweep to
// the same results as an uninterrupted run.
#define BOOST_TEST_MODULE run_signals
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <functional>

#include "cli_runner.hpp"
#include "sweep_helpers.hpp"

namespace fs = std::filesystem;

namespace {

const std::string kGrid = std::string(RB_SOURCE_DIR) + "/tests/grids/signal_test.toml";

fs::path scratch(const std::string& name) { return rbtest::scratch_dir("rb_signals_", name); }

using rbtest::mpirun;

std::string sweep(const fs::path& dir, const std::string& out) { return rbtest::run_args(kGrid, dir, out); }

// The uninterrupted sweep every interrupted one is compared with.
const fs::path& reference() {
  static const fs::path dir = [] {
    const fs::path d = scratch("reference");
    BOOST_REQUIRE(std::system((mpirun(1) + sweep(d, "full.h5") + " 2>/dev/null").c_str()) == 0);
    return d;
  }();
  return dir;
}

// Starts a 2-rank sweep, waits for its first finished run, lets `signal` interrupt it (mpirun passes
// a SIGTERM on a second later, after a SIGCONT; SIGKILL follows a second after that), and checks
// what every interruption must leave: a message naming --resume, the finished runs checkpointed in
// the .h5 (the journal gone), and a --resume that completes to the reference. Returns mpirun's status.
int interrupt_and_resume(const std::string& name, const std::function<void(pid_t mpirun_pid, const std::string& out)>& signal) {
  const fs::path dir = scratch(name);
  const std::string out = (dir / "cut.h5").string();
  rbtest::Background job(mpirun(2) + sweep(dir, "cut.h5"), dir / "cut.log");
  BOOST_REQUIRE_MESSAGE(job.wait_for("[1/"), job.log());
  signal(job.pid(), out);
  const int rc = job.wait();
  const std::string log = rbtest::read_text(dir / "cut.log");
  BOOST_CHECK_MESSAGE(log.find("stopped by signal 15") != std::string::npos && log.find("--resume") != std::string::npos, log);
  BOOST_CHECK_MESSAGE(fs::exists(out) && !fs::exists(out + ".journal"), "not checkpointed:\n" << log);
  const auto partial = rbtest::runs_by_id(out);
  BOOST_TEST_MESSAGE(name << ": mpirun exit " << rc << ", " << partial.size() << " runs saved");
  BOOST_CHECK_GE(partial.size(), 1u);
  BOOST_CHECK_LT(partial.size(), rbtest::runs_by_id((reference() / "full.h5").string()).size());
  const int resumed = std::system((mpirun(2) + sweep(dir, "cut.h5") + " --resume 2>" + (dir / "resume.log").string()).c_str());
  BOOST_CHECK_MESSAGE(resumed == 0, rbtest::read_text(dir / "resume.log"));
  rbtest::check_same_numbers((reference() / "full.h5").string(), out);
  fs::remove_all(dir);
  return rc;
}

// The ranks of the sweep writing `out` (not mpirun, whose command line starts with "mpirun").
void signal_ranks(const std::string& out, const char* which) {
  const std::string cmd = std::string("pkill -TERM ") + which + " -f '^[^ ]*ropebatch run.*" + out + "'";
  BOOST_CHECK(std::system(cmd.c_str()) == 0);
}

}  // namespace

BOOST_AUTO_TEST_CASE(sigterm_to_mpirun_checkpoints_and_resume_completes) {
  const int rc = interrupt_and_resume("mpirun", [](pid_t mpirun_pid, const std::string&) { ::kill(mpirun_pid, SIGTERM); });
  // Open MPI's mpirun exits with 1 whenever it is itself signalled, whatever its ranks return
  // (docs/SLURM.md); the ranks' own exit 3 is checked through their message above.
  BOOST_CHECK_NE(rc, 0);
}

BOOST_AUTO_TEST_CASE(sigterm_to_every_rank_exits_3) {
  // What srun, Slurm's --signal and preemption do: every rank gets the signal.
  const int rc = interrupt_and_resume("ranks", [](pid_t, const std::string& out) { signal_ranks(out, ""); });
  BOOST_CHECK_EQUAL(rc, 3);
}

BOOST_AUTO_TEST_CASE(sigterm_to_rank_0_alone_exits_3) {
  // The oldest rank process is rank 0; the others never see a signal and are ended by rank 0.
  const int rc = interrupt_and_resume("rank0", [](pid_t, const std::string& out) { signal_ranks(out, "-o"); });
  BOOST_CHECK_EQUAL(rc, 3);
}
