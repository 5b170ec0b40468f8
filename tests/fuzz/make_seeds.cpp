// Writes the seeds of fuzz_results_h5 and fuzz_journal that need ropebatch's own writer:
// small results files and journals, and the reproducers of issue #12's findings 2 and 4 (NaN,
// negative and huge perplexities, a configuration that is an array). Built by scripts/fuzz.sh as
// fuzz_make_seeds; run as `fuzz_make_seeds tests/fuzz/corpus` (its output is committed).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>

#include "reports/hdf5_util.hpp"
#include "reports/journal.hpp"
#include "reports/results_h5.hpp"
#include "reports/run_record_json.hpp"

namespace fs = std::filesystem;
using namespace rb::reports;

namespace {

RunRecord run(int i, const std::string& status = "ok") {
  RunRecord r;
  r.config = {{"model", "models/tiny"},   {"dataset", "text:/data/genesis.txt"},
              {"family", i % 2 ? "yarn" : "original"}, {"rope_label", i % 2 ? "yarn f=2" : "original"},
              {"length", 128 * (i % 3 + 1)}, {"quant", "none"}, {"baseline", i % 2 == 0},
              {"rope", i % 2 ? nlohmann::json{{"rope_type", "yarn"}, {"factor", 2.0}} : nlohmann::json::object()},
              {"metrics", {"ppl", "passkey"}}};
  char id[65];
  std::snprintf(id, sizeof id, "%064x", 0xabc0 + i);
  r.run_id = id;
  r.status = status;
  r.host = "node0";
  r.device = "cpu";
  r.started_at = "2026-01-01T00:00:00Z";
  r.finished_at = "2026-01-01T00:00:01Z";
  if (status != "ok") {
    r.error = "out of memory";
    return r;
  }
  r.window_nll = {300.5 + i, 310.25 + i};
  r.window_predictions = {127, 127};
  r.nll_sum = r.window_nll[0] + r.window_nll[1];
  r.predictions = 254;
  r.ppl = std::exp(r.nll_sum / 254.0);
  r.ppl_stderr = 0.05;
  r.passkey = {{128, 0.0, 0, true}, {128, 1.0, 0, i % 2 == 0}};
  r.seconds = 1.5;
  r.tokens_per_second = 170.0;
  return r;
}

const FileInfo kInfo{"0.1.0", "abc1234", {"ropebatch run --grid g.toml --out r.h5"}, "2026-01-01T00:00:00Z"};

void results(const fs::path& dir, const std::string& name, const std::vector<RunRecord>& records) {
  write_results_h5((dir / name).string(), records, kInfo);
}

void journal(const fs::path& dir, const std::string& name, const std::vector<RunRecord>& records, std::size_t cut = 0) {
  std::string bytes = encode_journal_record({{"kind", "session"}, {"info", file_info_to_json(kInfo)}});
  for (const RunRecord& r : records) bytes += encode_journal_record({{"kind", "run"}, {"record", run_record_to_json(r)}});
  if (cut > 0) bytes.resize(bytes.size() - cut);  // a write interrupted by a kill
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds CORPUS_DIR\n");
    return 2;
  }
  const fs::path h5 = fs::path(argv[1]) / "results_h5", jr = fs::path(argv[1]) / "journal";
  fs::create_directories(h5);
  fs::create_directories(jr);
  results(h5, "six_runs", {run(0), run(1), run(2), run(3), run(4, "failed"), run(5)});
  results(h5, "one_run", {run(1)});
  for (const auto& [name, ppl] : std::vector<std::pair<std::string, double>>{
           {"finding_ppl_nan", std::nan("")}, {"finding_ppl_negative", -1.0}, {"finding_ppl_1e308", 1e308}}) {
    RunRecord r = run(1);
    r.ppl = ppl;
    results(h5, name, {run(0), r});
  }
  // The writer needs an object configuration: the array is put in afterwards, as a foreign writer could.
  const RunRecord one = run(1);
  results(h5, "finding_config_array", {one});
  {
    const std::string path = (h5 / "finding_config_array").string();
    h5::Handle file = h5::file_handle(HDF5_CHECK(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), path));
    h5::Handle group =
        h5::group_handle(HDF5_CHECK(H5Gopen2(file, ("/runs/" + one.run_id).c_str(), H5P_DEFAULT), path));
    HDF5_CHECK(H5Adelete(group, "config"), path);
    h5::write_string_attr(group, "config", "[1, 2]", path);
  }

  journal(jr, "three_runs", {run(0), run(1), run(4, "failed")});
  journal(jr, "torn_tail", {run(0), run(1)}, 7);
  return 0;
}
